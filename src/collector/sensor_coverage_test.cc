#include "collector/sensor_coverage.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace scanscope {
namespace {

constexpr int64_t kS = 1'000'000'000;

PointStatus Report(const std::string& spool, int64_t started_s, int64_t sent_s,
                   uint64_t dropped = 0) {
  return PointStatus{"p1", sent_s * kS,
                     fmt::format(R"({{"spool_id":"{}","started_at_ns":{},"sent_at_ns":{},)"
                                 R"("spool_full_dropped_this_run":{}}})",
                                 spool, started_s * kS, sent_s * kS, dropped)};
}

TEST(SensorCoverage, ARunFromItsStartThenFromReportToReport) {
  PointStatus first = Report("aa", 1000, 1005);
  auto e = SensorCoverage(nullptr, first, 1005 * kS);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->from_ns, 1000 * kS);
  EXPECT_EQ(e->to_ns, 1005 * kS);
  EXPECT_EQ(e->origin, "sensor aa");
  EXPECT_EQ(e->kind, CoverageKind::kWatched);
  PointStatus second = Report("aa", 1000, 1010);
  e = SensorCoverage(&first, second, 1010 * kS);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->from_ns, 1005 * kS);
  EXPECT_EQ(e->to_ns, 1010 * kS);
}

TEST(SensorCoverage, ANewRunStartsAtItsOwnStart) {
  PointStatus before = Report("aa", 1000, 1010);
  PointStatus restarted = Report("aa", 1100, 1105);  // down from 1010 to 1100
  auto e = SensorCoverage(&before, restarted, 1105 * kS);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->from_ns, 1100 * kS);
  PointStatus other_spool = Report("bb", 1100, 1105);
  e = SensorCoverage(&before, other_spool, 1105 * kS);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->from_ns, 1100 * kS);
  EXPECT_EQ(e->origin, "sensor bb");
}

TEST(SensorCoverage, AnOverflowOrBadTimesAddNothing) {
  PointStatus before = Report("aa", 1000, 1010, 0);
  EXPECT_FALSE(SensorCoverage(&before, Report("aa", 1000, 1015, 3), 1015 * kS).has_value());
  EXPECT_FALSE(SensorCoverage(nullptr, Report("aa", 1000, 1015, 3), 1015 * kS).has_value());
  EXPECT_FALSE(SensorCoverage(nullptr, Report("aa", 1000, 1000), 1000 * kS).has_value());
  // A clock an hour ahead of the collector's.
  EXPECT_FALSE(SensorCoverage(nullptr, Report("aa", 1000, 5000), 1400 * kS).has_value());
  PointStatus garbage{"p1", 0, "not json"};
  EXPECT_FALSE(SensorCoverage(nullptr, garbage, 1000 * kS).has_value());
  PointStatus wrong_type{"p1", 0, R"({"spool_id":7,"started_at_ns":"x","sent_at_ns":[]})"};
  EXPECT_FALSE(SensorCoverage(nullptr, wrong_type, 1000 * kS).has_value());
}

}  // namespace
}  // namespace scanscope
