// scanscope sensor: a monitoring point that captures live (or follows a
// firewall log), keeps its accesses in a durable spool and ships them to the
// collector. Flags win over the TOML config (the same keys). docs/sensor.md.
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/commands.h"
#include "app/context.h"
#include "common/toml_file.h"
#include "sensor/sensor.h"
#include "transport/collector_client.h"

namespace scanscope {

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void OnStopSignal(int) { g_stop.store(true); }

// The collector, through the transport's client.
class CollectorSender final : public BatchSender {
 public:
  explicit CollectorSender(std::unique_ptr<CollectorClient> client) : client_(std::move(client)) {}
  Status Send(const WireBatch& batch) override { return client_->Send(batch); }
  Status Report(const std::string& point, const std::string& status_json) override {
    return client_->Report(point, status_json);
  }
  int retry_after_seconds() const override { return client_->retry_after_seconds(); }
  bool refused_for_good() const override { return client_->refused_for_good(); }

 private:
  std::unique_ptr<CollectorClient> client_;
};

// Reads sensor.toml into the args the flags left empty. Keys: the flags'
// names, with '-' or '_' alike, at the top level or in a [sensor] table.
Status MergeConfig(const std::string& path, SensorArgs* a) {
  Result<toml::table> parsed = ParseTomlFile(path);
  if (!parsed.ok()) return parsed.status();
  const toml::table& root = *parsed;
  const toml::table* t = &root;
  if (const toml::table* s = root["sensor"].as_table()) t = s;
  for (const auto& entry : *t) {
    const toml::key& k = entry.first;
    const toml::node& node = entry.second;
    std::string key(k.str());
    for (char& c : key) c = c == '-' ? '_' : c;
    std::string where = fmt::format("{}:{}: {}", path, node.source().begin.line, k.str());
    auto str = [&](std::string* out) -> Status {
      auto v = node.value<std::string>();
      if (!v) return Status::InvalidArgument(where + " must be a string");
      if (out->empty()) *out = *v;
      return Status::Ok();
    };
    auto num = [&](auto* out) -> Status {
      auto v = node.value<int64_t>();
      if (!v || *v < 0) return Status::InvalidArgument(where + " must be a non-negative integer");
      if (*out == 0) *out = static_cast<std::remove_pointer_t<decltype(out)>>(*v);
      return Status::Ok();
    };
    auto flag = [&](bool* out) -> Status {
      auto v = node.value<bool>();
      if (!v) return Status::InvalidArgument(where + " must be true or false");
      *out = *out || *v;
      return Status::Ok();
    };
    Status s;
    if (key == "point") {
      s = str(&a->point);
    } else if (key == "watch") {
      if (const toml::array* arr = node.as_array()) {
        std::string text;
        for (const toml::node& item : *arr) {
          auto v = item.value<std::string>();
          if (!v) return Status::InvalidArgument(where + " entries must be strings");
          text += (text.empty() ? "" : ",") + *v;
        }
        if (a->watch.empty()) a->watch = text;
      } else {
        s = str(&a->watch);
      }
    } else if (key == "interface") {
      s = str(&a->interface);
    } else if (key == "netfilter_log") {
      s = str(&a->netfilter_log);
    } else if (key == "collector") {
      s = str(&a->collector);
    } else if (key == "token_file") {
      s = str(&a->token_file);
    } else if (key == "ca_file") {
      s = str(&a->ca_file);
    } else if (key == "spool") {
      s = str(&a->spool);
    } else if (key == "spool_max_bytes") {
      s = num(&a->spool_max_bytes);
    } else if (key == "segment_bytes") {
      s = num(&a->segment_bytes);
    } else if (key == "seal_seconds") {
      s = num(&a->seal_seconds);
    } else if (key == "allow_plain") {
      s = flag(&a->allow_plain);
    } else if (key == "user") {
      s = str(&a->user);
    } else if (key == "log_tz") {
      s = str(&a->log_tz);
    } else if (key == "log_from_start") {
      s = flag(&a->log_from_start);
    } else {
      return Status::InvalidArgument(where + ": unknown key");
    }
    SCANSCOPE_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

// The token file, which only its owner may read: a token readable by group
// or others is refused, with the command that fixes it.
Result<std::string> ReadToken(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::InvalidArgument(path + ": cannot read the token file: " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    return Status::InvalidArgument(fmt::format(
        "{}: the token file is readable by group or others (mode {:o}); fix: chmod 600 {}", path,
        st.st_mode & 0777, path));
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::InvalidArgument(path + ": cannot read the token file");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  size_t start = 0;
  while (start < token.size() && std::isspace(static_cast<unsigned char>(token[start]))) ++start;
  token.erase(0, start);
  if (token.empty()) return Status::InvalidArgument(path + ": empty token file");
  return token;
}

}  // namespace

int RunSensor(const SensorArgs& flags) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt("sensor"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %L %v");

  SensorArgs a = flags;
  if (!a.config.empty()) {
    if (Status s = MergeConfig(a.config, &a); !s.ok()) return Fail(s.message(), 2);
  }
  if (a.seal_seconds == 0) a.seal_seconds = 5;
  auto need = [&](const std::string& v, const char* flag) {
    return v.empty() ? fmt::format("{} is required (flag or config key)", flag) : std::string();
  };
  for (const std::string& missing :
       {need(a.point, "--point"), need(a.watch, "--watch"), need(a.collector, "--collector"),
        need(a.token_file, "--token-file"), need(a.spool, "--spool")}) {
    if (!missing.empty()) return Fail(missing, 2);
  }
  if (a.interface.empty() == a.netfilter_log.empty()) {
    return Fail("give exactly one of --interface IF or --netfilter-log FILE", 2);
  }
  // The point's name goes into every batch id ("<point>/<spool>/<n>") and
  // log line: 1 to 255 printable bytes, no '/'.
  if (a.point.size() > 255 || std::any_of(a.point.begin(), a.point.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7f || c == '/';
      })) {
    return Fail("--point must be 1 to 255 printable bytes, without '/'", 2);
  }

  SensorOptions o;
  o.point = a.point;
  auto watched = PrefixSet::Parse(a.watch);
  if (!watched.ok()) return Fail("--watch: " + watched.status().message(), 2);
  o.watched = *watched;
  o.interface = a.interface;
  o.netfilter_log = a.netfilter_log;
  o.log_from_start = a.log_from_start;
  if (!a.log_tz.empty()) {
    auto zone = TimeZone::Find(a.log_tz);
    if (!zone.ok()) return Fail("--log-tz: " + zone.status().message(), 2);
    o.log_zone = *zone;
  }
  o.spool_dir = a.spool;
  if (a.spool_max_bytes != 0) o.spool_max_bytes = a.spool_max_bytes;
  if (a.segment_bytes != 0) o.segment_bytes = a.segment_bytes;
  if (o.segment_bytes > o.spool_max_bytes) o.segment_bytes = o.spool_max_bytes;
  o.seal_seconds = a.seal_seconds;
  o.user = a.user;

  // The token is read now, while the process may still read root-only files.
  auto token = ReadToken(a.token_file);
  if (!token.ok()) return Fail(token.status().message(), 2);
  ClientOptions co;
  co.url = a.collector;
  co.token = *token;
  co.ca_file = a.ca_file;
  co.allow_plain = a.allow_plain;
  co.connect_timeout_ms = 3000;
  co.timeout_ms = 10000;
  auto client = CollectorClient::Create(co);
  if (!client.ok()) return Fail(client.status().message(), 2);
  CollectorSender sender(std::move(*client));

  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll returns at once
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  spdlog::info("sensor: point {} watching {}, shipping to {}", o.point, o.watched.ToString(),
               a.collector);
  Status s = RunSensorUntil(o, &sender, g_stop);
  if (!s.ok()) {
    spdlog::error("sensor: {}", s.ToString());
    return 1;
  }
  return 0;
}

}  // namespace scanscope
