#include "sensor/sensor.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "gtest/gtest.h"
#include "support/fake_collector.h"

namespace scanscope {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sensor_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void Append(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  f << text;
}

template <typename F>
bool PollUntil(F done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// 2024-05-03T14:00:00Z, computed apart from the parser under test.
int64_t BaseSeconds() {
  std::tm tm{};
  tm.tm_year = 2024 - 1900;
  tm.tm_mon = 4;
  tm.tm_mday = 3;
  tm.tm_hour = 14;
  return static_cast<int64_t>(::timegm(&tm));
}

// Line i is an inbound TCP SYN from 203.0.113.(i%250) to the watched
// 192.0.2.10, port 1000+i, stamped i seconds and i microseconds after the base.
std::string AccessLine(int i) {
  return fmt::format(
      "2024-05-03T{:02d}:{:02d}:{:02d}.{:06d}Z host kernel: [UFW BLOCK] IN=eth0 OUT= "
      "SRC=203.0.113.{} DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=1 DF PROTO=TCP "
      "SPT=40000 DPT={} WINDOW=29200 RES=0x00 SYN URGP=0\n",
      14 + i / 3600, (i / 60) % 60, i % 60, i, i % 250, 1000 + i);
}
// Lines that are not accesses: the host's own outbound packet, a packet to
// an address not watched, a line of another program.
std::string NoiseLines(int i) {
  return fmt::format(
      "2024-05-03T14:00:00Z host kernel: IN= OUT=eth0 SRC=192.0.2.10 DST=198.51.100.{} LEN=60 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=5000 DPT=80 WINDOW=29200 RES=0x00 SYN "
      "URGP=0\n"
      "2024-05-03T14:00:00Z host kernel: IN=eth0 OUT= SRC=203.0.113.1 DST=198.51.100.{} LEN=60 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=UDP SPT=5000 DPT=53 LEN=40\n"
      "2024-05-03T14:00:00Z host sshd[12]: Accepted publickey for nobody\n",
      i % 250, i % 250);
}

using Key = std::tuple<int64_t, std::string, std::string>;  // time, source, port type
Key ExpectedKey(int i) {
  return {(BaseSeconds() + i) * 1'000'000'000LL + i * 1000LL, fmt::format("203.0.113.{}", i % 250),
          fmt::format("{}/tcp", 1000 + i)};
}

class SensorRun {
 public:
  SensorRun(const SensorOptions& options, BatchSender* sender)
      : thread_([this, options, sender] { status_ = RunSensorUntil(options, sender, stop_); }) {}
  ~SensorRun() { (void)Stop(); }
  Status Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  std::atomic<bool> stop_{false};
  Status status_;
  std::thread thread_;
};

// The sensor follows a firewall log through a rename rotation and a
// copytruncate, ships to a collector that fails now and then, is stopped and
// restarted while lines keep coming: afterwards the collector holds exactly
// the accesses written (compared record by record with what the test wrote),
// none twice, and the status report carries the agreed counters.
TEST(Sensor, FollowsRotatingLogAndShipsEachAccessOnce) {
  TempDir dir;
  std::string log = dir.File("kern.log");
  Append(log, "");
  SensorOptions o;
  o.point = "point-07";
  o.watched = *PrefixSet::Parse("192.0.2.0/24");
  o.netfilter_log = log;
  o.log_from_start = true;  // lines written before the follower opens the file count too
  o.spool_dir = dir.File("spool");
  o.seal_seconds = 1;
  o.report_interval = std::chrono::milliseconds(100);
  o.flush_interval = std::chrono::milliseconds(20);
  testing::FakeCollector collector([](uint64_t n) { return n % 4 == 1; });
  collector.set_point("point-07");

  int written = 0;
  auto write_accesses = [&](int n) {
    std::string text;
    for (int k = 0; k < n; ++k, ++written) text += AccessLine(written) + NoiseLines(written);
    Append(log, text);
  };
  {
    SensorRun run(o, &collector);
    write_accesses(300);
    ASSERT_TRUE(PollUntil([&] { return collector.RecordCount() >= 300; }))
        << collector.RecordCount();
    // Rename rotation.
    fs::rename(log, log + ".1");
    write_accesses(0);
    Append(log, "");
    write_accesses(200);
    ASSERT_TRUE(PollUntil([&] { return collector.RecordCount() >= 500; }))
        << collector.RecordCount();
    // copytruncate.
    fs::copy_file(log, log + ".2");
    fs::resize_file(log, 0);
    write_accesses(100);
    ASSERT_TRUE(PollUntil([&] { return collector.RecordCount() >= 600; }))
        << collector.RecordCount();
    ASSERT_TRUE(run.Stop().ok());
  }
  // While the sensor is down: more lines, then a rotation.
  write_accesses(50);
  fs::rename(log, log + ".1");
  write_accesses(0);
  Append(log, "");
  write_accesses(50);
  {
    SensorRun run(o, &collector);
    ASSERT_TRUE(PollUntil([&] { return collector.RecordCount() >= 700; }))
        << collector.RecordCount();
    ASSERT_TRUE(PollUntil([&] {
      auto j = nlohmann::json::parse(collector.last_status(), nullptr, false);
      return !j.is_discarded() && j.value("accesses", 0) == 100;
    }));
    ASSERT_TRUE(run.Stop().ok());
  }

  std::map<Key, int> got;
  for (const AccessRecord& r : collector.Records()) {
    ++got[{r.time_ns, r.source.ToString(), r.port_type.ToString()}];
    EXPECT_EQ(r.destination.ToString(), "192.0.2.10");
  }
  ASSERT_EQ(written, 700);
  EXPECT_EQ(got.size(), 700u);
  for (int i = 0; i < written; ++i) {
    auto it = got.find(ExpectedKey(i));
    ASSERT_NE(it, got.end()) << "access of line " << i << " missing";
    EXPECT_EQ(it->second, 1) << "access of line " << i << " counted twice";
  }
  EXPECT_EQ(collector.duplicates(), 0u);
  EXPECT_GT(collector.failed(), 0u);

  auto status = nlohmann::json::parse(collector.last_status());
  for (const char* key : {"newest_access_ns", "spool_bytes", "spool_segments", "packets_seen",
                          "accesses", "capture_drops", "interface_drops", "spool_full_dropped",
                          "shipped_batches", "ship_failures", "counters"}) {
    EXPECT_TRUE(status.contains(key)) << key;
  }
  EXPECT_EQ(status["point"], "point-07");
  EXPECT_EQ(status["newest_access_ns"].get<int64_t>(), std::get<0>(ExpectedKey(699)));
  EXPECT_EQ(status["counters"]["outbound"].get<uint64_t>(), 100u);
  EXPECT_EQ(status["counters"]["not_watched"].get<uint64_t>(), 100u);
  EXPECT_EQ(status["counters"]["log.not_netfilter"].get<uint64_t>(), 100u);
  EXPECT_EQ(status["counters"]["log.resumed_rotated"].get<uint64_t>(), 1u);
}

}  // namespace
}  // namespace scanscope
