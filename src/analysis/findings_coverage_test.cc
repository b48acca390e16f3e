// The findings detector on months where points were blind (docs/findings.md,
// "Coverage"): series built here, point by point, from steady loads, with
// each point-day's data cut to the share of the day its coverage intervals
// (built here too) say it watched. Expected days, periods and shares come
// from those loads and intervals, computed in the test.

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <map>
#include <string>
#include <vector>

#include "analysis/coverage_days.h"
#include "analysis/findings.h"
#include "analysis/findings_english.h"
#include "store/memory_store.h"

namespace scanscope {
namespace {

const Month kMarch = *ParseMonth("2026-03");
constexpr int kHistory = 56;
constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;

// One port's steady daily load at one point: `sources` sources of `each`
// accesses, from day `from` (local day) on.
struct Load {
  std::string point;
  PortType port;
  int sources = 0;
  int each = 1;
  int32_t from = INT32_MIN;
};

// Watched hours of (point, day) below 24: the rest of the day is blind.
using Blind = std::map<std::pair<std::string, int32_t>, int>;

int32_t First() { return kMarch.first_day - kHistory; }
int32_t Last() { return kMarch.first_day + kMarch.days - 1; }

// The month's series: each load, scaled by the hours its point watched that
// day; every point in `points`, with its shares of each port given by the
// loads (over days it watched). With `with_coverage` false: the same data,
// the detector told nothing of coverage.
FindingInput Build(const std::vector<Load>& loads, const Blind& blind, bool with_coverage) {
  FindingInput in;
  in.month = kMarch;
  in.history_days = kHistory;
  in.history_days_with_data = kHistory;
  const size_t span = static_cast<size_t>(kHistory + kMarch.days);
  std::map<uint32_t, size_t> index;
  std::map<std::string, std::vector<bool>> observed;
  std::map<std::pair<uint32_t, std::string>, double> full;  // per port, point: a full day
  for (const Load& l : loads) {
    auto [it, inserted] = index.emplace(l.port.Code(), in.ports.size());
    if (inserted) in.ports.push_back({l.port, std::vector<DayCell>(span), {}});
    full[{l.port.Code(), l.point}] += l.sources * l.each;
    observed.emplace(l.point, std::vector<bool>(span, true));
    for (int32_t day = std::max(First(), l.from); day <= Last(); ++day) {
      const size_t i = static_cast<size_t>(day - First());
      auto b = blind.find({l.point, day});
      const int hours = b == blind.end() ? 24 : b->second;
      observed[l.point][i] = hours >= 18;  // 75% of 24 hours
      const uint64_t sources = static_cast<uint64_t>(l.sources * hours / 24);
      DayCell& c = in.ports[it->second].days[i];
      c.accesses += sources * static_cast<uint64_t>(l.each);
      c.sources += sources;
      c.top_point_accesses = std::max(c.top_point_accesses, sources * l.each);
      c.top_source_accesses = static_cast<uint64_t>(l.each);
      c.top_source_id = 1 + l.port.Code();
      if (day >= kMarch.first_day) {
        in.month_accesses += sources * static_cast<uint64_t>(l.each);
        in.month_sources += sources;
      }
    }
  }
  in.points = static_cast<int>(observed.size());
  if (!with_coverage) return in;
  for (const auto& [point, days] : observed) {
    if (std::find(days.begin(), days.end(), false) != days.end())
      in.coverage.push_back({point, days});
  }
  for (PortSeries& s : in.ports) {
    double total = 0;
    for (const auto& [key, accesses] : full) total += key.first == s.port.Code() ? accesses : 0;
    for (const PointObserved& c : in.coverage) {
      auto it = full.find({s.port.Code(), c.point});
      s.point_shares.push_back(it == full.end() ? 0 : it->second / total);
    }
  }
  return in;
}

// Every hour of days [from, to] of `point` blind.
void BlindDays(const std::string& point, int32_t from, int32_t to, Blind* blind, int hours = 0) {
  for (int32_t day = from; day <= to; ++day) (*blind)[{point, day}] = hours;
}

// Two points: point-a carries the two large ports (90%), point-b the rest.
std::vector<Load> TwoPoints() {
  return {{"point-a", PortType::Tcp(445), 300, 3}, {"point-b", PortType::Tcp(445), 30, 3},
          {"point-a", PortType::Tcp(22), 200, 2},  {"point-b", PortType::Tcp(22), 20, 2},
          {"point-a", PortType::Udp(1026), 60, 2}, {"point-b", PortType::Udp(1026), 60, 2},
          {"point-b", PortType::Tcp(135), 150, 2}, {"point-a", PortType::Tcp(135), 10, 2},
          {"point-a", PortType::Tcp(3389), 40, 1}, {"point-b", PortType::Tcp(3389), 40, 1}};
}

int Count(const std::vector<Finding>& v, FindingKind kind) {
  return static_cast<int>(
      std::count_if(v.begin(), v.end(), [&](const Finding& x) { return x.kind == kind; }));
}

TEST(FindingsCoverage, NineteenBlindDaysAreANoticeNotAFall) {
  Blind blind;
  BlindDays("point-a", kMarch.first_day, kMarch.first_day + 18, &blind);
  // Told nothing of coverage, the detector sees the large ports fall.
  const std::vector<Finding> blindfold = DetectFindings(Build(TwoPoints(), blind, false));
  EXPECT_GE(Count(blindfold, FindingKind::kFall), 2);

  const FindingInput in = Build(TwoPoints(), blind, true);
  const std::vector<Finding> found = DetectFindings(in);
  EXPECT_EQ(Count(found, FindingKind::kFall), 0);
  EXPECT_TRUE(found.empty());
  const std::vector<CoverageNotice> notices = CoverageNotices(in);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].point, "point-a");
  EXPECT_EQ(notices[0].from_day, kMarch.first_day);
  EXPECT_EQ(notices[0].to_day, kMarch.first_day + 18);
  EXPECT_EQ(notices[0].days(), 19);
  auto json = FindingsToJson(found, kMarch, "UTC", notices);
  ASSERT_EQ(json["coverage_notices"].size(), 1u);
  EXPECT_EQ(json["coverage_notices"][0]["from_day"], "2026-03-01");
  EXPECT_EQ(json["coverage_notices"][0]["to_day"], "2026-03-19");
  EXPECT_EQ(json["coverage_notices"][0]["days"], 19);
  EXPECT_NE(FindingsToText(found, kMarch, "UTC", notices).find("point-a: 2026-03-01 .. 2026-03-19"),
            std::string::npos);
}

// The notice's days, from coverage intervals alone: a gap of whole UTC days
// from 1 March 00:00 to 20 March 00:00 is 19 blind days, and a gap of 5
// hours on 25 March leaves the day observed (19 of 24 hours).
TEST(FindingsCoverage, NoticeDaysFromIntervals) {
  const int64_t start = TimeZone::Utc().DayStartUtcNs(First());
  const int64_t end = TimeZone::Utc().DayStartUtcNs(Last() + 1);
  const int64_t gap_from = TimeZone::Utc().DayStartUtcNs(kMarch.first_day);
  const int64_t gap_to = TimeZone::Utc().DayStartUtcNs(kMarch.first_day + 19);
  const int64_t short_gap = TimeZone::Utc().DayStartUtcNs(kMarch.first_day + 24) + 3 * kHourNs;
  IntervalSet watched;
  watched.Add(start, end);
  watched.Remove(gap_from, gap_to);
  watched.Remove(short_gap, short_gap + 5 * kHourNs);
  const CoverageDays days = CoverageDaysOf({{"point-a", watched}}, TimeZone::Utc(), First(), Last(),
                                           {"point-a", "point-b"});
  FindingInput in;
  in.month = kMarch;
  in.history_days = kHistory;
  PointObserved a{"point-a", {}};
  for (int32_t day = First(); day <= Last(); ++day)
    a.observed.push_back(days.Observed("point-a", day));
  in.coverage.push_back(a);
  const std::vector<CoverageNotice> notices = CoverageNotices(in);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].from_day, kMarch.first_day);
  EXPECT_EQ(notices[0].days(), static_cast<int>((gap_to - gap_from) / (24 * kHourNs)));
}

TEST(FindingsCoverage, SurgeDuringAPartialOutageElsewhereIsFound) {
  std::vector<Load> loads = TwoPoints();
  // 135/tcp: point-b carries 150 of its 160 sources a day; point-a's 10 rise
  // to 410 on 11-13 March (a surge of many sources at point-a) while point-b
  // watches only 12 hours a day on 10-14 March.
  const int32_t surge_from = kMarch.first_day + 10, surge_to = kMarch.first_day + 12;
  Blind blind;
  BlindDays("point-b", kMarch.first_day + 9, kMarch.first_day + 13, &blind, 12);
  FindingInput in = Build(loads, blind, true);
  for (PortSeries& s : in.ports) {
    if (s.port != PortType::Tcp(135)) continue;
    for (int32_t day = surge_from; day <= surge_to; ++day) {
      DayCell& c = s.days[static_cast<size_t>(day - First())];
      c.accesses += 400 * 2;
      c.sources += 400;
      in.month_accesses += 400 * 2;
      in.month_sources += 400;
    }
  }
  ASSERT_EQ(in.coverage.size(), 1u);  // point-b: blind (12 of 24 hours) those days
  const std::vector<Finding> found = DetectFindings(in);
  int surges = 0;
  for (const Finding& x : found) {
    if (x.port != PortType::Tcp(135)) continue;
    EXPECT_EQ(x.kind, FindingKind::kSurge);
    EXPECT_LE(x.first_day, surge_from);
    EXPECT_GE(x.last_day, surge_to);
    ++surges;
  }
  EXPECT_EQ(surges, 1);
  EXPECT_EQ(Count(found, FindingKind::kFall), 0);
}

TEST(FindingsCoverage, NewPortAfterAGapAgainstTheBaselineBefore) {
  // point-a blind for the last 20 days of the history and the first 5 of
  // March; 5900/udp appears at point-a on 6 March, the first day after.
  std::vector<Load> loads = TwoPoints();
  const int32_t back = kMarch.first_day + 5;
  loads.push_back({"point-a", PortType::Udp(5900), 100, 2, back});
  Blind blind;
  BlindDays("point-a", kMarch.first_day - 20, back - 1, &blind);
  const std::vector<Finding> found = DetectFindings(Build(loads, blind, true));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, FindingKind::kNew);
  EXPECT_EQ(found[0].port, PortType::Udp(5900));
  EXPECT_EQ(found[0].first_day, back);
  EXPECT_EQ(found[0].baseline_accesses, 0);
  // Without coverage the gap is the baseline: point-a's ports "surge" back.
  int surges = 0;
  for (const Finding& x : DetectFindings(Build(loads, blind, false))) {
    surges += x.kind == FindingKind::kSurge && x.port != PortType::Udp(5900);
  }
  EXPECT_GE(surges, 1);
}

TEST(FindingsCoverage, FullCoverageChangesNothing) {
  std::vector<Load> loads = TwoPoints();
  loads.push_back({"point-b", PortType::Udp(5900), 100, 2, kMarch.first_day + 9});
  Blind none;
  FindingInput with = Build(loads, none, true);
  EXPECT_TRUE(with.coverage.empty());
  const std::vector<Finding> a = DetectFindings(with);
  const std::vector<Finding> b = DetectFindings(Build(loads, none, false));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].port, b[i].port);
    EXPECT_EQ(a[i].first_day, b[i].first_day);
    EXPECT_EQ(a[i].excess_accesses, b[i].excess_accesses);
  }
  EXPECT_TRUE(CoverageNotices(with).empty());
}

// From a store: point-a's records stop on 1-19 March and so does its
// recorded coverage; point-b's coverage was never recorded (watching).
TEST(FindingsCoverage, BuildFindingInputLoadsCoverage) {
  auto store = NewMemoryStore({TimeZone::Utc()});
  const int32_t gap_from = kMarch.first_day, gap_to = kMarch.first_day + 18;
  std::map<std::string, int> sources = {{"point-a", 40}, {"point-b", 8}};
  int batch = 0;
  for (const auto& [point, count] : sources) {
    MonitoringPoint p;
    p.name = point;
    ASSERT_TRUE(store->PutPoint(p).ok());
    std::vector<AccessRecord> records;
    for (int32_t day = First(); day <= Last(); ++day) {
      if (point == "point-a" && day >= gap_from && day <= gap_to) continue;
      for (int s = 0; s < count; ++s) {
        AccessRecord r;
        r.time_ns = int64_t{day} * kNanosPerDay + (3600 + s) * kNanosPerSecond;
        r.source = IpAddress::FromV4(0x0A000000u + static_cast<uint32_t>(s));
        r.destination = IpAddress::FromV4(0xC0000201u);
        r.port_type = PortType::Tcp(445);
        records.push_back(r);
      }
    }
    auto writer = store->BeginIngest({"batch-" + std::to_string(batch++), point, "test"});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Add(records).ok());
    ASSERT_TRUE((*writer)->Commit("{}").ok());
  }
  const int64_t day_ns = kNanosPerDay;
  ASSERT_TRUE(store
                  ->AddCoverage({{"point-a", CoverageKind::kAdded, First() * day_ns,
                                  gap_from * day_ns, "operator", 0},
                                 {"point-a", CoverageKind::kAdded, (gap_to + 1) * day_ns,
                                  (Last() + 1) * day_ns, "operator", 0}})
                  .ok());
  auto input = BuildFindingInput(*store, kMarch, TimeZone::Utc());
  ASSERT_TRUE(input.ok());
  ASSERT_EQ(input->coverage.size(), 1u);
  EXPECT_EQ(input->coverage[0].point, "point-a");
  for (int32_t day = First(); day <= Last(); ++day) {
    EXPECT_EQ(input->coverage[0].observed[static_cast<size_t>(day - First())],
              day < gap_from || day > gap_to);
  }
  ASSERT_EQ(input->ports.size(), 1u);
  ASSERT_EQ(input->ports[0].point_shares.size(), 1u);
  EXPECT_DOUBLE_EQ(input->ports[0].point_shares[0], 40.0 / 48.0);
  EXPECT_TRUE(DetectFindings(*input).empty());
  const std::vector<CoverageNotice> notices = CoverageNotices(*input);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].days(), gap_to - gap_from + 1);
}

}  // namespace
}  // namespace scanscope
