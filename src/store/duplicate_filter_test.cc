#include "store/duplicate_filter.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace scanscope {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = DuplicateFilter::kHourNs;
const int64_t kT0 = int64_t{1'790'000'000} / 3600 * 3600 * kSecond;  // an hour boundary in 2026

AccessRecord Probe(int64_t t, uint32_t source, uint16_t port, uint16_t length = 40) {
  AccessRecord r;
  r.time_ns = t;
  r.source = IpAddress::FromV4(source);
  r.destination = IpAddress::FromV4(0xC0000201);
  r.port_type = PortType::Tcp(port);
  r.tcp_flags = kTcpSyn;
  r.ttl = 50;
  r.length = length;
  return r;
}

// A point's stored records, written batch by batch through the filter, the
// way a store writer uses it; counts how often the filter asked for an hour.
class PointRecords {
 public:
  // Filters `batch` against what is stored, stores what is left, returns it.
  std::vector<AccessRecord> Write(std::vector<AccessRecord> batch) {
    DuplicateFilter filter(
        [this](int64_t from, int64_t to, const DuplicateFilter::RecordSink& add) {
          ++lookups_;
          std::vector<AccessRecord> hour;
          for (const AccessRecord& r : stored_) {
            if (r.time_ns >= from && r.time_ns < to) hour.push_back(r);
          }
          add(hour);
          return Status::Ok();
        });
    Result<uint64_t> removed = filter.Filter(&batch);
    EXPECT_TRUE(removed.ok());
    stored_.insert(stored_.end(), batch.begin(), batch.end());
    return batch;
  }
  size_t size() const { return stored_.size(); }
  int lookups() const { return lookups_; }

 private:
  std::vector<AccessRecord> stored_;
  int lookups_ = 0;
};

TEST(DuplicateFilter, TheSameRecordsTwiceCountOnce) {
  PointRecords point;
  std::vector<AccessRecord> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(Probe(kT0 + i * kSecond, 0x0A000001 + i, 445));
  EXPECT_EQ(point.Write(batch).size(), 100u);
  EXPECT_EQ(point.Write(batch).size(), 0u);
  EXPECT_EQ(point.size(), 100u);
}

TEST(DuplicateFilter, LookAlikesInOneBatchAreAllCounted) {
  // Two probes in one clock tick from one source to one port: two accesses.
  PointRecords point;
  std::vector<AccessRecord> batch = {Probe(kT0, 0x0A000001, 23), Probe(kT0, 0x0A000001, 23),
                                     Probe(kT0, 0x0A000001, 23)};
  EXPECT_EQ(point.Write(batch).size(), 3u);
  // A later batch holding two of those copies adds nothing; one holding four adds one.
  EXPECT_EQ(point.Write({batch[0], batch[1]}).size(), 0u);
  std::vector<AccessRecord> four(4, batch[0]);
  EXPECT_EQ(point.Write(four).size(), 1u);
  EXPECT_EQ(point.size(), 4u);
}

TEST(DuplicateFilter, OverlappingBatchesAddOnlyWhatIsNew) {
  // Records 0..599 and then 400..999 of one stream, shuffled: 1000 in all.
  std::vector<AccessRecord> all;
  std::mt19937 rng(42);
  for (int i = 0; i < 1000; ++i) {
    all.push_back(Probe(kT0 + i * 7 * kSecond, 0x0A000000 + rng() % 50,
                        static_cast<uint16_t>(rng() % 3 + 22),
                        static_cast<uint16_t>(40 + rng() % 2)));
  }
  std::vector<AccessRecord> first(all.begin(), all.begin() + 600);
  std::vector<AccessRecord> second(all.begin() + 400, all.end());
  std::shuffle(second.begin(), second.end(), rng);
  PointRecords point;
  EXPECT_EQ(point.Write(first).size(), 600u);
  EXPECT_EQ(point.Write(second).size(), 400u);
  EXPECT_EQ(point.size(), 1000u);
}

TEST(DuplicateFilter, AnyDifferentFieldMakesANewAccess) {
  PointRecords point;
  AccessRecord base = Probe(kT0, 0x0A000001, 445);
  ASSERT_EQ(point.Write({base}).size(), 1u);
  std::vector<AccessRecord> variants(7, base);
  variants[0].time_ns += 1;
  variants[1].source = IpAddress::FromV4(0x0A000002);
  variants[2].destination = IpAddress::FromV4(0xC0000202);
  variants[3].port_type = PortType::Udp(445);
  variants[4].tcp_flags = kTcpSyn | kTcpAck;
  variants[5].ttl = 51;
  variants[6].length = 44;
  EXPECT_EQ(point.Write(variants).size(), 7u);
  EXPECT_EQ(point.Write(variants).size(), 0u);
}

TEST(DuplicateFilter, AsksOncePerHourAndNeverForHoursItDoesNotHold) {
  PointRecords point;
  std::vector<AccessRecord> day;
  for (int i = 0; i < 24 * 60; ++i) day.push_back(Probe(kT0 + i * 60 * kSecond, 0x0A000001, 22));
  EXPECT_EQ(point.Write(day).size(), day.size());
  EXPECT_EQ(point.lookups(), 24);
  // Records before the epoch and across an hour boundary land in their own hours.
  std::vector<AccessRecord> edge = {Probe(kT0 + 24 * kHour - 1, 0x0A000009, 80),
                                    Probe(kT0 + 24 * kHour, 0x0A000009, 80),
                                    Probe(-1, 0x0A000009, 80), Probe(0, 0x0A000009, 80)};
  EXPECT_EQ(point.Write(edge).size(), 4u);
  EXPECT_EQ(point.Write(edge).size(), 0u);
}

}  // namespace
}  // namespace scanscope
