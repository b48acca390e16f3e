// End to end on loopback: the real `scanscope collector` (plain HTTP on
// 127.0.0.1, as allowed for tests) and the real `scanscope sensor` following
// a firewall log that grows and rotates. The sensor is killed with SIGKILL
// mid-stream and restarted on its spool, the collector is killed with
// SIGKILL and restarted on its database, lines keep coming meanwhile; then
// `stats --json` must equal what the test wrote, counted here on its own:
// every access once (nothing lost, nothing twice), per port type, with the
// gross number of sources.
//
// Then the sensors' cases of "each access once" (docs/store.md), on SQLite
// and on ClickHouse: a sensor restarted with a fresh spool on a log it had
// already shipped, and two sensors started for one point on the same log.
// Both read the log from its start, so the store is sent every line twice;
// it must count each once, and the collector must say it saw a second spool.

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "common/time_zone.h"
#include "support/clickhouse_server.h"
#include "support/run_command.h"

namespace scanscope::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void AppendFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  f << text;
}

template <typename F>
bool PollUntil(F done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// A child process running `scanscope ARGS`, its stderr in a file. Killed
// (SIGKILL) and reaped when the object goes, also when the test fails.
class Process {
 public:
  // `wrapper`: a command to run scanscope under (setpriv ...), empty: none.
  Process(const std::vector<std::string>& args, const std::string& stderr_path,
          const std::vector<std::string>& wrapper = {})
      : stderr_path_(stderr_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) ::dup2(fd, 2);
      int devnull = ::open("/dev/null", O_RDWR);
      if (devnull >= 0) ::dup2(devnull, 1);
      std::vector<std::string> all = wrapper;
      all.push_back(SCANSCOPE_BINARY);
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(all[0].c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Sends `sig` and waits for the exit; returns the wait status.
  int Signal(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  std::string Log() const { return ReadFile(stderr_path_); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string stderr_path_;
};

// The capability sets of a process (/proc/PID/status) are all empty.
void ExpectNoCapabilities(pid_t pid) {
  std::string status = ReadFile(fmt::format("/proc/{}/status", pid));
  for (const char* set : {"CapInh:", "CapPrm:", "CapEff:", "CapAmb:"}) {
    size_t at = status.find(set);
    ASSERT_NE(at, std::string::npos) << set;
    std::string value = status.substr(at + std::strlen(set));
    value = value.substr(value.find_first_not_of(" \t"), 16);
    EXPECT_EQ(value, "0000000000000000") << set << "\n" << status;
  }
}

// Line i: an inbound packet from 203.0.113.(i % 40) to the watched
// 192.0.2.(10 + i % 3), port 2000 + i % 7 (TCP, or UDP when i % 5 == 0), on
// 2024-05-03 UTC. Each is followed by lines that are not accesses: the host's
// own outbound packet and a line of another program.
std::string Lines(int i) {
  bool udp = i % 5 == 0;
  return fmt::format(
      "2024-05-03T10:{:02d}:{:02d}.{:06d}Z host kernel: [UFW BLOCK] IN=eth0 OUT= "
      "SRC=203.0.113.{} DST=192.0.2.{} LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=1 DF PROTO={} "
      "SPT=40000 DPT={} {}\n"
      "2024-05-03T10:00:00Z host kernel: IN= OUT=eth0 SRC=192.0.2.10 DST=198.51.100.1 LEN=60 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=5000 DPT=80 WINDOW=29200 RES=0x00 SYN "
      "URGP=0\n"
      "2024-05-03T10:00:00Z host cron[1]: (root) CMD (true)\n",
      (i / 60) % 60, i % 60, i % 1000000, i % 40, 10 + i % 3, udp ? "UDP" : "TCP", 2000 + i % 7,
      udp ? "LEN=40" : "WINDOW=29200 RES=0x00 SYN URGP=0");
}

struct Expected {
  std::map<std::string, uint64_t> accesses;  // per port type
  std::map<std::string, std::set<int>> sources;
  uint64_t total = 0;
  void Add(int i) {
    std::string port = fmt::format("{}/{}", 2000 + i % 7, i % 5 == 0 ? "udp" : "tcp");
    ++accesses[port];
    sources[port].insert(i % 40);
    ++total;
  }
};

TEST(SensorLoopback, FollowsRotatingLogThroughKillsOfSensorAndCollector) {
  TempDir dir;
  const std::string token = "sensor-lo-test-token";
  AppendFile(dir.File("token"), token + "\n");
  ASSERT_EQ(::chmod(dir.File("token").c_str(), 0600), 0);
  CommandResult sha = RunCommand("printf %s '" + token + "' | sha256sum | cut -d' ' -f1");
  ASSERT_EQ(sha.exit_code, 0);
  std::string token_sha = sha.out.substr(0, 64);
  AppendFile(dir.File("sensors.toml"), fmt::format("[[sensor]]\npoint = \"point-lo\"\n"
                                                   "watch = [\"192.0.2.0/24\"]\n"
                                                   "token_sha256 = \"{}\"\n",
                                                   token_sha));
  const std::string db = dir.File("collector.db");
  const std::string log = dir.File("kern.log");
  AppendFile(log, "");

  auto start_collector = [&](const std::string& listen, int n) {
    auto p = std::make_unique<Process>(
        std::vector<std::string>{"collector", "--db", db, "--listen", listen, "--sensors",
                                 dir.File("sensors.toml"), "--allow-plain", "--max-record-age-days",
                                 "0"},
        dir.File(fmt::format("collector{}.err", n)));
    return p;
  };
  auto collector = start_collector("127.0.0.1:0", 1);
  std::string port;
  ASSERT_TRUE(PollUntil([&] {
    std::string l = collector->Log();
    size_t at = l.find("collector: listening on 127.0.0.1:");
    if (at == std::string::npos) return false;
    at += std::string("collector: listening on 127.0.0.1:").size();
    size_t end = l.find_first_not_of("0123456789", at);
    port = l.substr(at, end - at);
    return !port.empty();
  })) << collector->Log();

  std::vector<std::string> sensor_args = {"sensor",
                                          "--point",
                                          "point-lo",
                                          "--watch",
                                          "192.0.2.0/24",
                                          "--netfilter-log",
                                          log,
                                          "--collector",
                                          "http://127.0.0.1:" + port,
                                          "--token-file",
                                          dir.File("token"),
                                          "--spool",
                                          dir.File("spool"),
                                          "--allow-plain",
                                          "--seal-seconds",
                                          "1",
                                          "--log-from-start"};
  int sensor_runs = 0;
  auto start_sensor = [&] {
    ++sensor_runs;
    return std::make_unique<Process>(sensor_args,
                                     dir.File(fmt::format("sensor{}.err", sensor_runs)));
  };
  auto stored = [&]() -> uint64_t {
    CommandResult r = RunCommand(
        fmt::format("{} stats --db {} --month 2024-05 --json 2>/dev/null", SCANSCOPE_BINARY, db));
    if (r.exit_code != 0) return 0;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_discarded() ? 0 : j.value("accesses", uint64_t{0});
  };

  Expected expected;
  int written = 0;
  auto write = [&](int n) {
    std::string text;
    for (int k = 0; k < n; ++k, ++written) {
      text += Lines(written);
      expected.Add(written);
    }
    AppendFile(log, text);
  };

  auto sensor = start_sensor();
  ASSERT_TRUE(PollUntil([&] {
    return sensor->Log().find("sensor: following") != std::string::npos;
  })) << sensor->Log();
  write(400);
  ASSERT_TRUE(PollUntil([&] { return stored() >= 400; })) << sensor->Log();

  // kill -9 the sensor in the middle of a stream of lines, with a rotation.
  write(300);
  int killed = sensor->Signal(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(killed));
  fs::rename(log, log + ".1");
  AppendFile(log, "");
  write(300);
  sensor = start_sensor();
  ASSERT_TRUE(PollUntil([&] { return stored() >= 1000; })) << sensor->Log();

  // kill -9 the collector; the sensor keeps spooling and retries (the test
  // waits until it has logged a failed send); the collector comes back on
  // the same port and database.
  collector->Signal(SIGKILL);
  write(250);
  ASSERT_TRUE(PollUntil([&] { return sensor->Log().find("failed") != std::string::npos; }))
      << sensor->Log();
  collector = start_collector("127.0.0.1:" + port, 2);
  ASSERT_TRUE(PollUntil([&] { return stored() >= 1250; })) << sensor->Log() << collector->Log();

  // copytruncate (once the sensor has read everything: lines written between
  // logrotate's copy and its truncate are lost by design of copytruncate).
  fs::copy_file(log, log + ".2");
  fs::resize_file(log, 0);
  write(250);
  ASSERT_TRUE(PollUntil([&] { return stored() >= 1500; })) << sensor->Log();

  // A clean stop: SIGTERM, exit 0, everything shipped.
  int stopped = sensor->Signal(SIGTERM);
  ASSERT_TRUE(WIFEXITED(stopped)) << sensor->Log();
  EXPECT_EQ(WEXITSTATUS(stopped), 0) << sensor->Log();
  std::string last_log = ReadFile(dir.File(fmt::format("sensor{}.err", sensor_runs)));
  EXPECT_NE(last_log.find("all shipped"), std::string::npos) << last_log;

  // The store against the test's own count.
  CommandResult r =
      RunCommand(fmt::format("{} stats --db {} --month 2024-05 --json", SCANSCOPE_BINARY, db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(written, 1500);
  EXPECT_EQ(j["accesses"].get<uint64_t>(), expected.total) << "lost or counted twice";
  uint64_t sources = 0;
  for (const auto& [port_type, s] : expected.sources) sources += s.size();
  EXPECT_EQ(j["sources"].get<uint64_t>(), sources);
  std::map<std::string, uint64_t> got;
  for (const auto& p : j["by_port"]) {
    got[p["port"].get<std::string>()] = p["accesses"].get<uint64_t>();
    EXPECT_EQ(p["sources"].get<uint64_t>(), expected.sources[p["port"].get<std::string>()].size())
        << p["port"];
  }
  EXPECT_EQ(got, expected.accesses);
  collector->Signal(SIGTERM);
}

// A collector on 127.0.0.1 (plain HTTP, allowed on loopback for tests) with
// one point, "point-lo", and its token; the store is SQLite or ClickHouse.
class SensorOnceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "clickhouse") {
      std::string error;
      server_ = ClickHouseServer::Start(&error);
      ASSERT_NE(server_, nullptr) << error;
      db_ = server_->Url(fmt::format("sensor_once_{}", ::getpid()));
    } else {
      db_ = dir_.File("collector.db");
    }
    const std::string token = "sensor-once-test-token";
    AppendFile(dir_.File("token"), token + "\n");
    ASSERT_EQ(::chmod(dir_.File("token").c_str(), 0600), 0);
    CommandResult sha = RunCommand("printf %s '" + token + "' | sha256sum | cut -d' ' -f1");
    ASSERT_EQ(sha.exit_code, 0);
    AppendFile(dir_.File("sensors.toml"),
               fmt::format("[[sensor]]\npoint = \"point-lo\"\nwatch = [\"192.0.2.0/24\"]\n"
                           "token_sha256 = \"{}\"\n",
                           sha.out.substr(0, 64)));
    AppendFile(log_, "");
    collector_ = std::make_unique<Process>(
        std::vector<std::string>{"collector", "--db", db_, "--listen", "127.0.0.1:0", "--sensors",
                                 dir_.File("sensors.toml"), "--allow-plain",
                                 "--max-record-age-days", "0"},
        dir_.File("collector.err"));
    const std::string ready = "collector: listening on 127.0.0.1:";
    ASSERT_TRUE(PollUntil([&] {
      std::string l = collector_->Log();
      size_t at = l.find(ready);
      if (at == std::string::npos) return false;
      size_t end = l.find_first_not_of("0123456789", at + ready.size());
      port_ = l.substr(at + ready.size(), end - at - ready.size());
      return !port_.empty();
    })) << collector_->Log();
  }

  // A sensor of point-lo on the log, reading it from its start, spooling
  // in `spool`; waits until it follows the log.
  std::unique_ptr<Process> StartSensor(const std::string& spool) {
    auto p = std::make_unique<Process>(
        std::vector<std::string>{"sensor", "--point", "point-lo", "--watch", "192.0.2.0/24",
                                 "--netfilter-log", log_, "--collector",
                                 "http://127.0.0.1:" + port_, "--token-file", dir_.File("token"),
                                 "--spool", dir_.File(spool), "--allow-plain", "--seal-seconds",
                                 "1", "--log-from-start"},
        dir_.File(spool + ".err"));
    EXPECT_TRUE(PollUntil([&] { return p->Log().find("sensor: following") != std::string::npos; }))
        << p->Log();
    return p;
  }

  void Write(int n) {
    std::string text;
    for (int k = 0; k < n; ++k, ++written_) {
      text += Lines(written_);
      expected_.Add(written_);
    }
    AppendFile(log_, text);
  }

  nlohmann::json Stats() {
    CommandResult r = RunCommand(
        fmt::format("{} stats --db '{}' --month 2024-05 --json 2>&1", SCANSCOPE_BINARY, db_));
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return r.exit_code == 0 && j.is_object() ? j : nlohmann::json::object();
  }
  uint64_t Stored() { return Stats().value("accesses", uint64_t{0}); }

  // Stops a sensor with SIGTERM: exit 0 with everything shipped.
  void StopSensor(Process* p) {
    int st = p->Signal(SIGTERM);
    ASSERT_TRUE(WIFEXITED(st)) << p->Log();
    EXPECT_EQ(WEXITSTATUS(st), 0) << p->Log();
    EXPECT_NE(p->Log().find("all shipped"), std::string::npos) << p->Log();
  }

  // The store's figures against the test's own count, once the collector
  // has committed what it was sent.
  void ExpectEachLineOnce() {
    nlohmann::json j = Stats();
    ASSERT_TRUE(j.contains("accesses")) << j.dump();
    EXPECT_EQ(j["accesses"].get<uint64_t>(), expected_.total) << "lost or counted twice";
    uint64_t sources = 0;
    for (const auto& [port_type, s] : expected_.sources) sources += s.size();
    EXPECT_EQ(j["sources"].get<uint64_t>(), sources);
    std::map<std::string, uint64_t> got;
    for (const auto& p : j["by_port"]) {
      got[p["port"].get<std::string>()] = p["accesses"].get<uint64_t>();
    }
    EXPECT_EQ(got, expected_.accesses);
    EXPECT_NE(collector_->Log().find("sends from a second spool"), std::string::npos)
        << collector_->Log();
  }

  TempDir dir_;
  std::unique_ptr<ClickHouseServer> server_;
  std::string db_;
  std::string log_ = dir_.File("kern.log");
  std::string port_;
  std::unique_ptr<Process> collector_;
  Expected expected_;
  int written_ = 0;
};

// The sensor ships the log, is stopped, and is started again on a fresh
// spool (its old one lost): it reads the log from its start once more and
// sends every line again under new batch ids; the store keeps each once.
TEST_P(SensorOnceTest, RestartedWithAFreshSpoolStoresEachLineOnce) {
  Write(300);
  auto first = StartSensor("spool-a");
  ASSERT_TRUE(PollUntil([&] { return Stored() >= 300; })) << first->Log();
  StopSensor(first.get());
  Write(200);
  auto second = StartSensor("spool-b");
  Write(100);
  ASSERT_TRUE(PollUntil([&] { return Stored() >= 600; })) << second->Log();
  StopSensor(second.get());
  ASSERT_EQ(written_, 600);
  ExpectEachLineOnce();
  collector_->Signal(SIGTERM);
}

// Two sensors started for one point on the same log, both from its start:
// every line arrives twice, in batches cut at different places; the store
// keeps each once.
TEST_P(SensorOnceTest, TwoSensorsOfOnePointStoreEachLineOnce) {
  Write(250);
  auto a = StartSensor("spool-a");
  auto b = StartSensor("spool-b");
  for (int round = 0; round < 3; ++round) {
    Write(150);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  ASSERT_TRUE(PollUntil([&] { return Stored() >= 700; })) << a->Log() << b->Log();
  StopSensor(a.get());
  StopSensor(b.get());
  ASSERT_EQ(written_, 700);
  ExpectEachLineOnce();
  collector_->Signal(SIGTERM);
}

// A sensor killed for a while leaves a hole in its point's coverage: the
// collector writes what the status reports of each run covered (from the
// run's start to its last report), and nothing for the time it was down.
TEST_P(SensorOnceTest, KilledSensorLeavesAHoleInItsCoverage) {
  auto now_s = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto reports = [&] {
    CommandResult r = RunCommand(
        fmt::format("{} points --status --json --db '{}' 2>/dev/null", SCANSCOPE_BINARY, db_));
    return r.out;
  };
  const int64_t first_start = now_s();
  auto sensor = StartSensor("spool-a");
  ASSERT_TRUE(PollUntil([&] { return reports().find("sent_at_ns") != std::string::npos; }))
      << sensor->Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(6500));  // a second report
  const int64_t killed = now_s() + 1;
  sensor->Signal(SIGKILL);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const int64_t restarted = now_s();
  sensor = StartSensor("spool-a");
  std::this_thread::sleep_for(std::chrono::milliseconds(6500));
  StopSensor(sensor.get());
  const int64_t stopped = now_s() + 1;
  ASSERT_EQ(collector_->Signal(SIGTERM) >> 8, 0) << collector_->Log();  // writes what is pending
  CommandResult r =
      RunCommand(fmt::format("{} points --coverage --json --db '{}'", SCANSCOPE_BINARY, db_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto points = nlohmann::json::parse(r.out);
  ASSERT_EQ(points.size(), 1u);
  const auto& intervals = points[0]["intervals"];
  ASSERT_EQ(intervals.size(), 2u) << r.out;
  auto seconds = [](const nlohmann::json& text) {
    Result<int64_t> ns = ParseUtcTime(text.get<std::string>().substr(0, 19));
    return ns.ok() ? *ns / 1'000'000'000 : -1;
  };
  EXPECT_GE(seconds(intervals[0]["from"]), first_start - 1) << r.out;
  EXPECT_LE(seconds(intervals[0]["to"]), killed) << r.out;
  EXPECT_GE(seconds(intervals[0]["to"]), killed - 3) << r.out;  // the report before the kill
  EXPECT_GE(seconds(intervals[1]["from"]), restarted - 1) << r.out;
  EXPECT_LE(seconds(intervals[1]["to"]), stopped) << r.out;
  EXPECT_GE(seconds(intervals[1]["from"]) - seconds(intervals[0]["to"]), 3) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, SensorOnceTest, ::testing::Values("sqlite", "clickhouse"));

// Live capture on lo, started as root with --user nobody: the process runs
// as nobody with no capabilities left, keeps capturing through the handle it
// opened as root, writes its spool (made nobody's), and every datagram sent
// to the watched 127.0.0.22 is stored once (the kernel's port-unreachable
// answers are the host's own outbound packets, not accesses).
TEST(SensorLoopback, LiveCaptureAfterDroppingToUserNobody) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (CI runs as root)";
  passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody";
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);  // nobody must reach its spool inside
  const std::string token = "sensor-lo-user-token";
  AppendFile(dir.File("token"), token);
  ASSERT_EQ(::chmod(dir.File("token").c_str(), 0600), 0);  // read before the drop
  CommandResult sha = RunCommand("printf %s '" + token + "' | sha256sum | cut -d' ' -f1");
  AppendFile(dir.File("sensors.toml"),
             fmt::format("[[sensor]]\npoint = \"lo-user\"\nwatch = [\"127.0.0.22/32\"]\n"
                         "token_sha256 = \"{}\"\n",
                         sha.out.substr(0, 64)));
  const std::string db = dir.File("collector.db");
  Process collector({"collector", "--db", db, "--listen", "127.0.0.1:0", "--sensors",
                     dir.File("sensors.toml"), "--allow-plain"},
                    dir.File("collector.err"));
  std::string port;
  ASSERT_TRUE(PollUntil([&] {
    std::string l = collector.Log();
    size_t at = l.find("listening on 127.0.0.1:");
    if (at == std::string::npos) return false;
    at += std::string("listening on 127.0.0.1:").size();
    port = l.substr(at, l.find_first_not_of("0123456789", at) - at);
    return !port.empty();
  })) << collector.Log();
  Process sensor(
      {"sensor", "--point", "lo-user", "--watch", "127.0.0.22/32", "--interface", "lo",
       "--collector", "http://127.0.0.1:" + port, "--token-file", dir.File("token"), "--spool",
       dir.File("spool"), "--allow-plain", "--seal-seconds", "1", "--user", "nobody"},
      dir.File("sensor.err"));
  ASSERT_TRUE(PollUntil([&] { return sensor.Log().find("capturing on lo") != std::string::npos; }))
      << sensor.Log();
  EXPECT_NE(sensor.Log().find("running as user nobody"), std::string::npos) << sensor.Log();
  ExpectNoCapabilities(sensor.pid());
  struct stat st;
  ASSERT_EQ(::stat(dir.File("spool").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid);

  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  const int kSent = 50;
  for (int i = 0; i < kSent; ++i) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(31000 + i));
    ::inet_pton(AF_INET, "127.0.0.22", &a.sin_addr);
    ASSERT_EQ(::sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 1);
  }
  ::close(fd);
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::string month = fmt::format("{:04d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1);
  uint64_t stored = 0;
  EXPECT_TRUE(PollUntil([&] {
    CommandResult r = RunCommand(
        fmt::format("{} stats --db {} --month {} --json 2>/dev/null", SCANSCOPE_BINARY, db, month));
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    stored = j.is_discarded() ? 0 : j.value("accesses", uint64_t{0});
    return stored >= kSent;
  })) << sensor.Log();
  EXPECT_EQ(stored, static_cast<uint64_t>(kSent));
  int stopped = sensor.Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << sensor.Log();
}

// Started as systemd starts it: as user nobody with CAP_NET_RAW (and
// CAP_NET_ADMIN) ambient, no root at all. Once the capture is open it holds
// no capability.
TEST(SensorLoopback, GivesUpCapabilitiesItWasStartedWith) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start it as nobody (CI runs as root)";
  if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "no setpriv";
  passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody";
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);  // nobody makes its spool inside
  AppendFile(dir.File("token"), "caps-token\n");
  ASSERT_EQ(::chown(dir.File("token").c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  ASSERT_EQ(::chmod(dir.File("token").c_str(), 0600), 0);
  Process sensor({"sensor", "--point", "lo-caps", "--watch", "127.0.0.23/32", "--interface", "lo",
                  "--collector", "http://127.0.0.1:9", "--token-file", dir.File("token"), "--spool",
                  dir.File("spool"), "--allow-plain"},
                 dir.File("sensor.err"),
                 {"/usr/bin/setpriv", "--reuid", std::to_string(nobody->pw_uid), "--regid",
                  std::to_string(nobody->pw_gid), "--clear-groups", "--inh-caps",
                  "+net_raw,+net_admin", "--ambient-caps", "+net_raw,+net_admin"});
  ASSERT_TRUE(PollUntil([&] { return sensor.Log().find("capturing on lo") != std::string::npos; }))
      << sensor.Log();
  ExpectNoCapabilities(sensor.pid());
}

}  // namespace
}  // namespace scanscope::testing
