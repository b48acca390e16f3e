// The findings detector on small labelled months built here in a MemoryStore:
// one case of each kind (surge, new, concentration, fall) and a quiet month,
// with the expected period, magnitude and evidence computed in the test from
// the counts it wrote. Plus the two baselines' formulas against hand values.

#include "analysis/findings.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/baselines.h"
#include "analysis/findings_english.h"
#include "store/memory_store.h"

namespace scanscope {
namespace {

const Month kMay = *ParseMonth("2009-05");
constexpr int kHistory = 35;  // days of background before May

IpAddress Source(uint32_t n) { return IpAddress::FromV4(0x0A000000u + n); }  // 10.0.0.0/8

// Builds a store of two points from per (day, point, port, source) counts.
class MonthBuilder {
 public:
  void Add(int32_t day, const std::string& point, PortType port, const IpAddress& source,
           int accesses) {
    for (int i = 0; i < accesses; ++i) {
      AccessRecord r;
      r.time_ns = static_cast<int64_t>(day) * kNanosPerDay + (3600 + i) * kNanosPerSecond;
      r.source = source;
      r.destination = IpAddress::FromV4(0xC0000201u);  // 192.0.2.1
      r.port_type = port;
      records_[point].push_back(r);
    }
    month_[{day, port.Code()}] += static_cast<uint64_t>(accesses);
  }
  // A steady background on every day from kHistory days before May to May's
  // end: per point, `sources` sources of `each` accesses on each port.
  void Background() {
    for (int32_t day = kMay.first_day - kHistory; day < kMay.first_day + kMay.days; ++day) {
      for (const char* point : {"point-a", "point-b"}) {
        AddPort(day, point, PortType::Tcp(445), 100, 40 + day % 3, 3);
        AddPort(day, point, PortType::Tcp(135), 200, 20 + day % 2, 2);
        AddPort(day, point, PortType::Tcp(22), 300, 20 - day % 2, 2);
        AddPort(day, point, PortType::Icmp(), 400, 15, 1);
        if (!skip_1026_from_ || day < *skip_1026_from_) {
          AddPort(day, point, PortType::Udp(1026), 500, 30, 2);
        }
        AddPort(day, point, PortType::Tcp(2967), 600, 2, 1);
      }
    }
  }
  void AddPort(int32_t day, const std::string& point, PortType port, uint32_t first_source,
               int sources, int each) {
    for (int s = 0; s < sources; ++s) Add(day, point, port, Source(first_source + s), each);
  }
  void FallFrom(int32_t day) { skip_1026_from_ = day; }

  std::unique_ptr<Store> Build() {
    auto store = NewMemoryStore({TimeZone::Utc()});
    int batch = 0;
    for (auto& [point, records] : records_) {
      MonitoringPoint p;
      p.name = point;
      EXPECT_TRUE(store->PutPoint(p).ok());
      auto writer = store->BeginIngest({"batch-" + std::to_string(batch++), point, "test"});
      EXPECT_TRUE(writer.ok());
      std::sort(records.begin(), records.end(),
                [](const AccessRecord& a, const AccessRecord& b) { return a.time_ns < b.time_ns; });
      EXPECT_TRUE((*writer)->Add(records).ok());
      EXPECT_TRUE((*writer)->Commit("{}").ok());
    }
    return store;
  }
  uint64_t Accesses(int32_t day, PortType port) const {
    auto it = month_.find({day, port.Code()});
    return it == month_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, std::vector<AccessRecord>> records_;
  std::map<std::pair<int32_t, uint32_t>, uint64_t> month_;
  std::optional<int32_t> skip_1026_from_;
};

std::vector<Finding> Find(MonthBuilder& b) {
  auto store = b.Build();
  auto input = BuildFindingInput(*store, kMay, TimeZone::Utc());
  EXPECT_TRUE(input.ok());
  std::vector<Finding> findings = DetectFindings(*input);
  EXPECT_TRUE(AddEvidence(*store, TimeZone::Utc(), kMay, {}, &findings).ok());
  return findings;
}

int32_t May(int day) { return kMay.first_day + day - 1; }

TEST(Findings, QuietMonthSaysSo) {
  MonthBuilder b;
  b.Background();
  std::vector<Finding> findings = Find(b);
  EXPECT_TRUE(findings.empty());
  std::string text = FindingsToText(findings, kMay, "UTC");
  EXPECT_NE(text.find("No peculiar access was found in May 2009"), std::string::npos) << text;
  EXPECT_EQ(FindingsToJson(findings, kMay, "UTC")["findings"].size(), 0u);
}

TEST(Findings, SurgeOfManySources) {
  MonthBuilder b;
  b.Background();
  // May 3-6: 2967/tcp drawn by 60 new sources a day at each point, 3 accesses each.
  for (int d = 3; d <= 6; ++d) {
    for (const char* point : {"point-a", "point-b"}) {
      b.AddPort(May(d), point, PortType::Tcp(2967), 10000 + d * 100, 60, 3);
    }
  }
  std::vector<Finding> findings = Find(b);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& x = findings[0];
  EXPECT_EQ(x.kind, FindingKind::kSurge);
  EXPECT_EQ(x.port, PortType::Tcp(2967));
  EXPECT_EQ(x.first_day, May(3));
  EXPECT_EQ(x.last_day, May(6));
  // The baseline is 2 sources x 1 access x 2 points = 4 a day, every day.
  EXPECT_DOUBLE_EQ(x.baseline_accesses, 4);
  uint64_t period = 0;
  for (int d = 3; d <= 6; ++d) period += b.Accesses(May(d), PortType::Tcp(2967));
  EXPECT_EQ(x.period_accesses, period);
  EXPECT_EQ(x.excess_accesses, static_cast<int64_t>(period) - 4 * 4);
  EXPECT_EQ(x.period_sources, 4u * (60 + 2) * 2);
  ASSERT_EQ(x.points.size(), 2u);
  EXPECT_EQ(x.daily_accesses[2], b.Accesses(May(3), PortType::Tcp(2967)));
  EXPECT_NE(x.paragraph.find("2967/tcp tended to increase"), std::string::npos) << x.paragraph;
}

TEST(Findings, NewPortFromOneSourceAtOnePoint) {
  MonthBuilder b;
  b.Background();
  const IpAddress hammer = *IpAddress::Parse("198.51.100.77");
  for (int d = 4; d <= 8; ++d) b.Add(May(d), "point-b", PortType::Tcp(11245), hammer, 150 + d);
  std::vector<Finding> findings = Find(b);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& x = findings[0];
  EXPECT_EQ(x.kind, FindingKind::kNew);
  EXPECT_EQ(x.port, PortType::Tcp(11245));
  EXPECT_EQ(x.first_day, May(4));
  EXPECT_EQ(x.last_day, May(8));
  uint64_t total = 0;
  for (int d = 4; d <= 8; ++d) total += 150 + static_cast<uint64_t>(d);
  EXPECT_EQ(x.period_accesses, total);
  ASSERT_EQ(x.top_sources.size(), 1u);
  EXPECT_EQ(x.top_sources[0].source, hammer);
  EXPECT_EQ(x.top_sources[0].accesses, total);
  EXPECT_EQ(x.top_sources[0].days, 5);
  EXPECT_EQ(x.top_sources[0].points, std::vector<std::string>{"point-b"});
  ASSERT_EQ(x.points.size(), 1u);
  EXPECT_EQ(x.points[0].point, "point-b");
  EXPECT_NE(x.paragraph.find("never monitored in April"), std::string::npos) << x.paragraph;
  EXPECT_NE(x.paragraph.find("198.51.100.77"), std::string::npos) << x.paragraph;
}

TEST(Findings, ConcentrationOnOneSource) {
  MonthBuilder b;
  b.Background();
  const IpAddress brute = *IpAddress::Parse("203.0.113.9");
  b.Add(May(10), "point-a", PortType::Tcp(22), brute, 400);
  b.Add(May(11), "point-a", PortType::Tcp(22), brute, 300);
  std::vector<Finding> findings = Find(b);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& x = findings[0];
  EXPECT_EQ(x.kind, FindingKind::kConcentration);
  EXPECT_EQ(x.port, PortType::Tcp(22));
  EXPECT_EQ(x.first_day, May(10));
  EXPECT_EQ(x.last_day, May(11));
  ASSERT_FALSE(x.top_sources.empty());
  EXPECT_EQ(x.top_sources[0].source, brute);
  EXPECT_EQ(x.top_sources[0].accesses, 700u);
  EXPECT_EQ(x.points[0].point, "point-a");
  EXPECT_NEAR(x.top_source_share,
              700.0 / static_cast<double>(b.Accesses(May(10), PortType::Tcp(22)) +
                                          b.Accesses(May(11), PortType::Tcp(22))),
              1e-9);
}

TEST(Findings, FallOfALargePort) {
  MonthBuilder b;
  b.FallFrom(May(15));
  b.Background();
  std::vector<Finding> findings = Find(b);
  ASSERT_EQ(findings.size(), 1u);
  const Finding& x = findings[0];
  EXPECT_EQ(x.kind, FindingKind::kFall);
  EXPECT_EQ(x.port, PortType::Udp(1026));
  EXPECT_EQ(x.first_day, May(15));
  EXPECT_EQ(x.last_day, May(31));
  EXPECT_EQ(x.alarm_day, May(17));  // the third day down
  // 30 sources x 2 accesses x 2 points = 120 a day, gone for 17 days.
  EXPECT_DOUBLE_EQ(x.baseline_accesses, 120);
  EXPECT_EQ(x.excess_accesses, -120 * 17);
  EXPECT_NE(x.paragraph.find("1026/udp decreased"), std::string::npos) << x.paragraph;
}

TEST(Findings, RankedByScore) {
  MonthBuilder b;
  b.FallFrom(May(20));
  b.Background();
  for (int d = 3; d <= 6; ++d) {
    for (const char* point : {"point-a", "point-b"}) {
      b.AddPort(May(d), point, PortType::Tcp(2967), 10000 + d * 100, 60, 3);
    }
  }
  std::vector<Finding> findings = Find(b);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_GE(findings[0].score, findings[1].score);
  // Score: |excess| as a percentage of an average day's accesses.
  uint64_t month = 0;
  for (int d = 1; d <= 31; ++d) {
    for (PortType p : {PortType::Tcp(445), PortType::Tcp(135), PortType::Tcp(22), PortType::Icmp(),
                       PortType::Udp(1026), PortType::Tcp(2967)}) {
      month += b.Accesses(May(d), p);
    }
  }
  for (const Finding& x : findings) {
    EXPECT_NEAR(x.score, 100.0 * std::fabs(static_cast<double>(x.excess_accesses)) / (month / 31.0),
                1e-6);
  }
  auto json = FindingsToJson(findings, kMay, "UTC");
  EXPECT_EQ(json["findings"][0]["rank"], 1);
  EXPECT_EQ(json["findings"][1]["rank"], 2);
}

TEST(Findings, OptionsReachTheDetectorAndTheEvidence) {
  MonthBuilder b;
  b.Background();
  const IpAddress hammer = *IpAddress::Parse("198.51.100.77");
  for (int d = 4; d <= 8; ++d) {
    b.Add(May(d), "point-b", PortType::Tcp(11245), hammer, 150 + d);
    b.AddPort(May(d), "point-a", PortType::Tcp(11245), 20000 + d * 10, 3, 1);
  }
  auto store = b.Build();
  auto input = BuildFindingInput(*store, kMay, TimeZone::Utc());
  ASSERT_TRUE(input.ok());
  FindingOptions options;
  options.top_sources = 2;
  std::vector<Finding> findings = DetectFindings(*input, options);
  ASSERT_EQ(findings.size(), 1u);
  ASSERT_TRUE(AddEvidence(*store, TimeZone::Utc(), kMay, {}, &findings, options).ok());
  EXPECT_EQ(findings[0].top_sources.size(), 2u);
  EXPECT_NE(findings[0].paragraph.find("of them came from a specific source address"),
            std::string::npos)
      << findings[0].paragraph;
  // The paragraph names the main source only above paragraph_source_share.
  options.paragraph_source_share = 0.99;
  std::string paragraph = FindingParagraph(findings[0], kMay, {}, options);
  EXPECT_EQ(paragraph.find("specific source address"), std::string::npos) << paragraph;
  // A new port must reach new_floor of the month's accesses (below it, the
  // same days may still be another kind of finding).
  options.new_floor = 0.5;
  for (const Finding& x : DetectFindings(*input, options)) {
    EXPECT_NE(x.kind, FindingKind::kNew) << FindingKindName(x.kind);
  }
}

TEST(Findings, FiguresWithoutWords) {
  // May 2009 has 31 days: thirds of 11 days.
  EXPECT_EQ(MonthPartOf(May(1), May(11), kMay), MonthPart::kEarly);
  EXPECT_EQ(MonthPartOf(May(12), May(22), kMay), MonthPart::kMiddle);
  EXPECT_EQ(MonthPartOf(May(23), May(31), kMay), MonthPart::kLatter);
  EXPECT_EQ(MonthPartOf(May(5), May(15), kMay), MonthPart::kFirstHalf);
  EXPECT_EQ(MonthPartOf(May(16), May(31), kMay), MonthPart::kSecondHalf);
  EXPECT_EQ(MonthPartOf(May(1), May(31), kMay), MonthPart::kWhole);

  Finding fall;
  fall.kind = FindingKind::kFall;
  fall.first_day = May(15);
  fall.last_day = May(18);
  fall.baseline_accesses = 120;
  fall.period_accesses = 4 * 30;
  fall.excess_accesses = -4 * 90;
  FindingFigures f = FigureFinding(fall, kMay);
  EXPECT_EQ(f.days, 4);
  EXPECT_EQ(f.usual_accesses, 120u);
  EXPECT_EQ(f.excess_accesses, 360u);
  EXPECT_EQ(f.accesses_a_day, 30u);
  EXPECT_DOUBLE_EQ(f.drop, 0.75);
  EXPECT_NE(FindingParagraph(fall, kMay, {}).find("(360 fewer, 75.0% less)"), std::string::npos);

  // A share of counts is a ratio of docs/design.md: half up, from the counts
  // (201 of 400 is 50.25%: "50.3%").
  Finding x;
  x.kind = FindingKind::kNew;
  x.port = PortType::Tcp(11245);
  x.first_day = x.last_day = x.peak_day = May(4);
  x.period_accesses = 400;
  x.excess_accesses = 400;
  FindingSource s;
  s.source = Source(7);
  s.accesses = 201;
  x.top_sources.push_back(s);
  EXPECT_TRUE(FigureFinding(x, kMay).names_source);
  std::string paragraph = FindingParagraph(x, kMay, {});
  EXPECT_NE(paragraph.find(" 50.3% of them came from a specific source address (10.0.0.7)."),
            std::string::npos)
      << paragraph;
  x.top_sources[0].accesses = 199;
  EXPECT_FALSE(FigureFinding(x, kMay).names_source);
}

TEST(Baselines, Formulas) {
  // sqrt((S-s)^2/s + (T-t)^2/t)
  EXPECT_DOUBLE_EQ(DShieldTrendScore(30, 200, 10, 100), std::sqrt(400.0 / 10 + 10000.0 / 100));
  EXPECT_DOUBLE_EQ(DShieldTrendScore(10, 100, 10, 100), 0);
  // (recent - long) / long
  EXPECT_DOUBLE_EQ(GreyNoiseTrend(30, 10), 2.0);
  EXPECT_DOUBLE_EQ(GreyNoiseTrend(5, 10), -0.5);
}

TEST(Baselines, FlagTheSurgeDay) {
  FindingInput in;
  in.month = kMay;
  in.history_days = 30;
  in.history_days_with_data = 30;
  PortSeries s;
  s.port = PortType::Tcp(2967);
  s.days.assign(61, DayCell{10, 5, 2, 5});
  s.days[30 + 9] = DayCell{110, 55, 3, 60};  // May 10
  in.ports.push_back(s);
  std::vector<double> ds = DShieldScores(in.ports[0], 30, 31);
  EXPECT_DOUBLE_EQ(ds[9], std::sqrt(50.0 * 50 / 5 + 100.0 * 100 / 10));
  EXPECT_DOUBLE_EQ(ds[8], 0);
  auto alarms = DShieldAlarms(in, 20);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].first_day, May(10));
  std::vector<double> gn = GreyNoiseScores(in.ports[0], 30, 31);
  EXPECT_DOUBLE_EQ(gn[9], ((110.0 + 20) / 3 - 10) / 10);
}

}  // namespace
}  // namespace scanscope
