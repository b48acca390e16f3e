#include "sensor/shipper.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "support/fake_collector.h"

namespace scanscope {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/shipper_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

AccessRecord Rec(uint64_t i) {
  AccessRecord r;
  r.time_ns = static_cast<int64_t>(i);
  r.source = IpAddress::FromV4(0xCB007100u + static_cast<uint32_t>(i % 256));
  r.destination = IpAddress::FromV4(0xC000020Au);
  r.port_type = PortType::Tcp(static_cast<uint16_t>(i % 1000));
  return r;
}

// Fills a spool with `segments` sealed segments of `per` records each.
std::unique_ptr<Spool> FilledSpool(const std::string& dir, int segments, int per) {
  auto spool = Spool::Open({.dir = dir, .sync = false});
  EXPECT_TRUE(spool.ok());
  uint64_t i = 0;
  for (int s = 0; s < segments; ++s) {
    std::vector<AccessRecord> recs;
    for (int k = 0; k < per; ++k) recs.push_back(Rec(i++));
    EXPECT_TRUE((*spool)->Append(recs).ok());
    EXPECT_TRUE((*spool)->Seal().ok());
  }
  return std::move(*spool);
}

template <typename F>
bool PollUntil(F done, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

ShipperOptions FastOptions() {
  ShipperOptions o;
  o.point = "point-01";
  o.report_interval = std::chrono::milliseconds(20);
  o.backoff_min = std::chrono::milliseconds(1);
  o.backoff_max = std::chrono::milliseconds(8);
  o.idle_poll = std::chrono::milliseconds(5);
  return o;
}

// With a collector that fails two sends in three, every segment still
// arrives exactly once, in order, and leaves the spool only once acknowledged.
TEST(Shipper, ShipsEverySegmentOnceThroughFailures) {
  TempDir dir;
  auto spool = FilledSpool(dir.path(), 12, 100);
  testing::FakeCollector collector([](uint64_t n) { return n % 3 != 2; });
  Shipper shipper(spool.get(), &collector, FastOptions(), [](const ShipperCounters& c) {
    return "{\"shipped\":" + std::to_string(c.shipped_batches) + "}";
  });
  shipper.Start();
  ASSERT_TRUE(PollUntil([&] { return spool->Sealed().empty(); }));
  EXPECT_TRUE(shipper.Stop(Clock::now() + std::chrono::seconds(5)));

  std::vector<AccessRecord> got = collector.Records();
  ASSERT_EQ(got.size(), 1200u);
  for (uint64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].time_ns, static_cast<int64_t>(i));
  EXPECT_EQ(collector.duplicates(), 0u);
  ShipperCounters c = shipper.counters();
  EXPECT_EQ(c.shipped_batches, 12u);
  EXPECT_EQ(c.shipped_records, 1200u);
  EXPECT_EQ(c.ship_failures, collector.failed());
  EXPECT_GE(c.ship_failures, 24u);
  EXPECT_GE(collector.reports(), 1u);
  // Ids: <point>/<spool id>/<seq>, distinct.
  auto ids = collector.BatchIds();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 12u);
  EXPECT_EQ(ids[0], "point-01/" + spool->id() + "/0000000000000000");
}

// A batch the collector refuses for good (400) is set aside in rejected/,
// counted, and the batches behind it are shipped; it is not retried.
TEST(Shipper, ABatchRefusedForGoodIsSetAside) {
  TempDir dir;
  auto spool = FilledSpool(dir.path(), 3, 10);
  testing::FakeCollector collector;
  collector.set_refuse(
      [](const WireBatch& b) { return b.batch_id.ends_with("/0000000000000001"); });
  Shipper shipper(spool.get(), &collector, FastOptions(),
                  [](const ShipperCounters&) { return "{}"; });
  shipper.Start();
  ASSERT_TRUE(PollUntil([&] { return spool->Sealed().empty(); }));
  EXPECT_TRUE(shipper.Stop(Clock::now() + std::chrono::seconds(5)));
  EXPECT_EQ(collector.RecordCount(), 20u);
  EXPECT_EQ(shipper.counters().rejected_batches, 1u);
  EXPECT_EQ(shipper.counters().shipped_batches, 2u);
  EXPECT_TRUE(fs::exists(dir.path() + "/rejected/0000000000000001.seg"));
}

// A collector that never answers: nothing leaves the spool, and Stop gives
// up at its deadline.
TEST(Shipper, KeepsEverythingWhileCollectorIsDown) {
  TempDir dir;
  auto spool = FilledSpool(dir.path(), 3, 10);
  testing::FakeCollector collector([](uint64_t) { return true; });
  Shipper shipper(spool.get(), &collector, FastOptions(),
                  [](const ShipperCounters&) { return "{}"; });
  shipper.Start();
  ASSERT_TRUE(PollUntil([&] { return collector.failed() >= 5; }));
  EXPECT_FALSE(shipper.Stop(Clock::now() + std::chrono::milliseconds(50)));
  EXPECT_EQ(spool->Sealed().size(), 3u);
  EXPECT_EQ(collector.RecordCount(), 0u);
  EXPECT_EQ(shipper.counters().shipped_batches, 0u);
}

// A restart after a send the collector committed but the sensor never saw
// acknowledged (crash between Send and Remove): the segment goes again
// under the same id, and the ledger makes it a no-op.
TEST(Shipper, ResentAfterRestartHasTheSameId) {
  TempDir dir;
  std::string id;
  {
    auto spool = FilledSpool(dir.path(), 2, 5);
    id = Shipper::BatchId("point-01", spool->id(), spool->Sealed()[0]);
  }
  testing::FakeCollector collector;
  // The collector already holds the first segment (committed before a crash).
  std::vector<AccessRecord> first;
  for (uint64_t i = 0; i < 5; ++i) first.push_back(Rec(i));
  ASSERT_TRUE(collector.Send(WireBatch{"point-01", id, first}).ok());
  auto spool = Spool::Open({.dir = dir.path(), .sync = false});
  ASSERT_TRUE(spool.ok());
  Shipper shipper(spool->get(), &collector, FastOptions(),
                  [](const ShipperCounters&) { return "{}"; });
  shipper.Start();
  ASSERT_TRUE(PollUntil([&] { return (*spool)->Sealed().empty(); }));
  EXPECT_TRUE(shipper.Stop(Clock::now() + std::chrono::seconds(5)));
  EXPECT_EQ(collector.duplicates(), 1u);
  EXPECT_EQ(collector.RecordCount(), 10u);
}

}  // namespace
}  // namespace scanscope
