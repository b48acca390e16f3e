#include "support/scanscope_rig.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "store/sqlite/sqlite_store.h"

namespace scanscope::testing {
namespace {

using std::chrono::seconds;

constexpr char kCollectorAddress[] = "203.0.113.1";
constexpr int kCollectorPort = 8443;

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string RandomToken() {
  std::random_device rd;
  std::string t;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) t += hex[rd() % 16];
  return t;
}

}  // namespace

TestZone ZoneAtNoonNow() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  int hours = 12 - utc.tm_hour;  // -11..12: local time is noon ± 30 minutes
  TestZone z;
  z.offset_seconds = int64_t{hours} * 3600;
  // POSIX-style Etc names: Etc/GMT-3 is three hours ahead of UTC.
  z.name = hours == 0 ? "Etc/GMT"
                      : (hours > 0 ? "Etc/GMT-" : "Etc/GMT+") + std::to_string(std::abs(hours));
  std::time_t local = now + z.offset_seconds;
  std::tm lt{};
  gmtime_r(&local, &lt);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d", lt.tm_year + 1900, lt.tm_mon + 1);
  z.month = buf;
  return z;
}

std::string CanonicalAddress(const std::string& text) {
  char buf[INET6_ADDRSTRLEN];
  uint8_t bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return inet_ntop(AF_INET, bytes, buf, sizeof buf);
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    return inet_ntop(AF_INET6, bytes, buf, sizeof buf);
  }
  return text;
}

uint64_t TotalAccesses(const std::map<CellKey, ExpectedCell>& cells) {
  uint64_t n = 0;
  for (const auto& [key, cell] : cells) n += cell.accesses;
  return n;
}

std::string CompareFigures(const std::map<CellKey, ExpectedCell>& expected,
                           const std::map<CellKey, StoredCell>& stored, size_t max_lines) {
  std::string out;
  size_t lines = 0;
  auto line = [&](const CellKey& k, const std::string& what) {
    if (lines++ < max_lines) {
      out += "day " + std::to_string(std::get<0>(k)) + " " + std::get<1>(k) + " " + std::get<2>(k) +
             ": " + what + "\n";
    }
  };
  for (const auto& [key, want] : expected) {
    auto it = stored.find(key);
    if (it == stored.end()) {
      line(key, "sent " + std::to_string(want.accesses) + " accesses, none stored");
      continue;
    }
    const StoredCell& got = it->second;
    if (got.accesses != want.accesses) {
      line(key, "accesses: sent " + std::to_string(want.accesses) + ", stored " +
                    std::to_string(got.accesses));
    }
    if (got.sources != want.sources.size()) {
      line(key, "sources: sent from " + std::to_string(want.sources.size()) + ", stored " +
                    std::to_string(got.sources));
    }
    std::map<std::string, uint64_t> want_rows;
    for (const auto& [src, n] : want.sources) want_rows[CanonicalAddress(src)] = n;
    if (want_rows != got.rows) {
      for (const auto& [src, n] : want_rows) {
        auto r = got.rows.find(src);
        uint64_t have = r == got.rows.end() ? 0 : r->second;
        if (have != n) {
          line(key, "source " + src + ": sent " + std::to_string(n) + ", stored " +
                        std::to_string(have));
        }
      }
      for (const auto& [src, n] : got.rows) {
        if (!want_rows.count(src)) {
          line(key, "source " + src + ": sent nothing, stored " + std::to_string(n));
        }
      }
    }
  }
  for (const auto& [key, got] : stored) {
    if (!expected.count(key)) {
      line(key, "sent nothing, stored " + std::to_string(got.accesses) + " accesses");
    }
  }
  if (lines > max_lines) out += "... " + std::to_string(lines - max_lines) + " more\n";
  return out;
}

// ---- ScanscopeRig ----------------------------------------------------------------

std::unique_ptr<ScanscopeRig> ScanscopeRig::Create(const TestNetwork& net,
                                                   const std::string& binary,
                                                   const std::string& dir, const TestZone& zone,
                                                   std::string* error) {
  std::unique_ptr<ScanscopeRig> rig(new ScanscopeRig(net, binary, dir, zone));
  ScanscopeRig& r = *rig;
  r.db_ = dir + "/collector.db";
  r.ca_ = dir + "/ca.pem";
  r.cert_ = dir + "/collector.pem";
  r.key_ = dir + "/collector.key";
  r.sensors_file_ = dir + "/sensors.toml";
  r.url_ = std::string("https://") + kCollectorAddress + ":" + std::to_string(kCollectorPort);
  // A test CA and the collector's certificate for its IP address (P-256).
  const std::string d = dir + "/";
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
  std::vector<std::string> pki = {
      "openssl req -x509 " + ec + "-keyout " + d + "ca.key -out " + r.ca_ +
          " -days 2 -subj /CN=scanscope-test-ca"
          " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign",
      "openssl req " + ec + "-keyout " + r.key_ + " -out " + d +
          "collector.csr -subj /CN=" + kCollectorAddress,
      "printf 'subjectAltName=IP:" + std::string(kCollectorAddress) +
          "\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > " + d + "ext.cnf",
      "openssl x509 -req -in " + d + "collector.csr -CA " + r.ca_ + " -CAkey " + d +
          "ca.key -CAcreateserial -out " + r.cert_ + " -days 2 -extfile " + d + "ext.cnf"};
  for (const std::string& cmd : pki) {
    CommandResult c = RunCommand(cmd);
    if (c.exit_code != 0) {
      *error = cmd + ": " + c.err;
      return nullptr;
    }
  }
  // One token per sensor; the collector knows only its sha256.
  std::string sensors;
  for (int i = 0; i < net.sensor_count(); ++i) {
    std::string token = RandomToken();
    std::string token_file = d + "token-" + std::to_string(i + 1);
    if (!WriteText(token_file, token + "\n") || ::chmod(token_file.c_str(), 0600) != 0) {
      *error = "cannot write " + token_file;
      return nullptr;
    }
    CommandResult h = RunCommand("printf %s " + token + " | openssl dgst -sha256 -r");
    if (h.exit_code != 0 || h.out.size() < 64) {
      *error = "openssl dgst: " + h.err;
      return nullptr;
    }
    const NetHost& s = net.sensor(i);
    sensors += "[[sensor]]\npoint = \"" + r.point(i) + "\"\nwatch = [\"" + s.v4 + "/32\", \"" +
               s.v6 + "/128\"]\ntoken_sha256 = \"" + h.out.substr(0, 64) + "\"\n\n";
    r.sensors_.emplace_back();
  }
  if (!WriteText(r.sensors_file_, sensors)) {
    *error = "cannot write " + r.sensors_file_;
    return nullptr;
  }
  // The store, made now so that it keeps the zone's days from the start.
  auto zone_found = TimeZone::Find(zone.name);
  if (!zone_found.ok()) {
    *error = zone_found.status().message();
    return nullptr;
  }
  auto store = OpenSqliteStore(r.db_, {TimeZone::Utc(), *zone_found});
  if (!store.ok()) {
    *error = store.status().message();
    return nullptr;
  }
  return rig;
}

ScanscopeRig::~ScanscopeRig() = default;  // the NsProcess destructors kill -9 what runs

std::vector<std::string> ScanscopeRig::points() const {
  std::vector<std::string> p;
  for (int i = 0; i < net_.sensor_count(); ++i) p.push_back(point(i));
  return p;
}

bool ScanscopeRig::StartCollector(std::string* error) {
  if (collector_ && collector_->Running()) {
    *error = "collector already running";
    return false;
  }
  std::string log = dir_ + "/collector.log";
  size_t from = ReadText(log).size();
  collector_ = net_.Spawn(net_.collector().ns,
                          {binary_, "collector", "--db", db_, "--listen",
                           std::string(kCollectorAddress) + ":" + std::to_string(kCollectorPort),
                           "--cert-file", cert_, "--key-file", key_, "--sensors", sensors_file_},
                          log);
  if (!collector_ || !collector_->WaitForLog("collector: listening on", seconds(20), from)) {
    *error = "the collector did not start listening:\n" + ReadText(log).substr(from);
    return false;
  }
  return true;
}

void ScanscopeRig::KillCollector() {
  if (collector_) collector_->Kill();
}

bool ScanscopeRig::StopCollector() {
  if (!collector_) return true;
  collector_->Signal(SIGTERM);
  return collector_->Wait(seconds(20)) == 0;
}

std::string ScanscopeRig::CollectorLog() const { return ReadText(dir_ + "/collector.log"); }

bool ScanscopeRig::StartSensor(int i, std::string* error, const std::vector<std::string>& extra) {
  std::unique_ptr<NsProcess>& p = sensors_.at(i);
  if (p && p->Running()) {
    *error = "sensor already running";
    return false;
  }
  const NetHost& s = net_.sensor(i);
  std::string log = dir_ + "/sensor-" + std::to_string(i + 1) + ".log";
  size_t from = ReadText(log).size();
  std::vector<std::string> argv = {binary_,          "sensor",
                                   "--point",        point(i),
                                   "--watch",        s.v4 + "/32," + s.v6 + "/128",
                                   "--interface",    s.interface,
                                   "--collector",    url_,
                                   "--token-file",   dir_ + "/token-" + std::to_string(i + 1),
                                   "--ca-file",      ca_,
                                   "--spool",        spool(i),
                                   "--seal-seconds", "1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  p = net_.Spawn(s.ns, argv, log);
  if (!p || !p->WaitForLog("sensor: capturing on " + s.interface, seconds(20), from)) {
    *error = "sensor " + point(i) + " did not start capturing:\n" + ReadText(log).substr(from);
    return false;
  }
  return true;
}

void ScanscopeRig::KillSensor(int i) {
  if (sensors_.at(i)) sensors_.at(i)->Kill();
}

bool ScanscopeRig::StopSensor(int i) {
  std::unique_ptr<NsProcess>& p = sensors_.at(i);
  if (!p) return true;
  p->Signal(SIGTERM);
  return p->Wait(seconds(30)) == 0;
}

std::string ScanscopeRig::SensorLog(int i) const {
  return ReadText(dir_ + "/sensor-" + std::to_string(i + 1) + ".log");
}

std::string ScanscopeRig::AllLogs() const {
  std::string out = "---- collector.log\n" + CollectorLog();
  for (int i = 0; i < net_.sensor_count(); ++i) {
    out += "---- sensor-" + std::to_string(i + 1) + ".log\n" + SensorLog(i);
  }
  return out;
}

int64_t ScanscopeRig::StatsAccesses(std::string* json_out) const {
  CommandResult r = RunCommand(binary_ + " stats --json --db " + db_ + " --month " + zone_.month +
                               " --tz " + zone_.name);
  if (json_out) *json_out = r.out + r.err;
  if (r.exit_code != 0) return -1;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j["accesses"].is_number()) return -1;
  return j["accesses"].get<int64_t>();
}

std::string ScanscopeRig::PointsStatusJson() const {
  CommandResult r = RunCommand(binary_ + " points --status --json --db " + db_);
  return r.out + r.err;
}

bool ScanscopeRig::CommittedBatches(std::set<std::string>* out, std::string* error) const {
  out->clear();
  CommandResult r = RunCommand(binary_ + " points --batches --json --db " + db_);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array()) {
    *error = "points --batches: " + r.out + r.err;
    return false;
  }
  for (const auto& b : j) out->insert(b.value("batch", std::string()));
  return true;
}

bool ScanscopeRig::StoredCells(std::map<CellKey, StoredCell>* out, std::string* error) const {
  out->clear();
  auto zone = TimeZone::Find(zone_.name);
  if (!zone.ok()) {
    *error = zone.status().message();
    return false;
  }
  auto store = OpenSqliteStore(db_, {});
  if (!store.ok()) {
    *error = store.status().message();
    return false;
  }
  int32_t today = zone->LocalDay(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  // A week either side: anything stored on another day is a difference too.
  auto totals = (*store)->Totals(*zone, today - 7, today + 7);
  if (!totals.ok()) {
    *error = totals.status().message();
    return false;
  }
  for (const BlockTotal& t : *totals) {
    StoredCell& c = (*out)[{t.day, t.point, t.port.ToString()}];
    c.accesses = t.accesses;
    c.sources = t.sources;
  }
  Status s = (*store)->ScanBlocks(
      *zone, today - 7, today + 7, [&](const std::string& point, const SourceDayBlock& block) {
        StoredCell& c = (*out)[{block.day, point, block.port.ToString()}];
        for (const SourceDayRow& row : block.rows) c.rows[row.source.ToString()] += row.accesses;
        return Status::Ok();
      });
  if (!s.ok()) {
    *error = s.message();
    return false;
  }
  return true;
}

std::unique_ptr<NetRig> NetRig::Start(int sensors, int extra_sources, const std::string& binary,
                                      std::string* error) {
  auto t = std::make_unique<NetRig>();
  t->net = TestNetwork::Create(sensors, extra_sources, error);
  if (t->net == nullptr) return nullptr;
  t->rig = ScanscopeRig::Create(*t->net, binary, t->dir.path(), t->zone, error);
  if (t->rig == nullptr || !t->rig->StartCollector(error)) return nullptr;
  t->sender = ScanSender::Create(*t->net, error);
  if (t->sender == nullptr) return nullptr;
  return t;
}

}  // namespace scanscope::testing
