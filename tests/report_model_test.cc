// The report model and the chart writer without the binary: a MemoryStore
// filled with records the test makes, a stand-in IP-to-country function and
// port knowledge, and every area figure compared with the test's own count.
// Also the small pieces: nice ticks, value formatting, shares, colours, CSV.

#include "report/report_model.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "report/palette.h"
#include "report/report_writer.h"
#include "report/svg_chart.h"
#include "store/memory_store.h"

namespace scanscope {
namespace {

constexpr int64_t kNs = 1'000'000'000;

// The stand-in geo database: the second octet names the country.
std::string FakeCountry(const IpAddress& a) {
  std::string s = a.ToString();
  if (s.rfind("10.1.", 0) == 0) return "JP";
  if (s.rfind("10.2.", 0) == 0) return "CN";
  if (s.rfind("10.3.", 0) == 0) return "US";
  return "";
}
std::string FakeName(const std::string& code) {
  if (code == "JP") return "Japan";
  if (code == "CN") return "China";
  if (code == "US") return "United States";
  return "Unknown";
}

TEST(ReportModelTest, AreasCountedPerSourceDayAndNamed) {
  auto store = NewMemoryStore({TimeZone::Utc()});
  ASSERT_TRUE(store->PutPoint({"p1", *PrefixSet::Parse("192.0.2.1/32"), ""}).ok());
  auto writer = store->BeginIngest({"b1", "p1", "test"});
  ASSERT_TRUE(writer.ok());
  const int32_t oct1 = DaysFromCivil({2026, 10, 1});
  std::vector<AccessRecord> records;
  // (day index, source, port, count)
  std::map<std::string, uint64_t> area_accesses;
  std::set<std::tuple<int, std::string, std::string>> area_source_days;  // day, source, port
  std::map<std::string, std::set<std::tuple<int, std::string, std::string>>> area_sources;
  const char* sources[] = {"10.1.0.1", "10.1.0.2", "10.2.0.1", "10.3.0.1", "10.9.0.1"};
  for (int day = 0; day < 31; ++day) {
    for (int k = 0; k < 5; ++k) {
      for (int n = 0; n < (k + 1) * (day % 3 + 1); ++n) {
        AccessRecord r;
        r.time_ns = (static_cast<int64_t>(oct1 + day) * 86400 + 3600 + n) * kNs;
        r.source = *IpAddress::Parse(sources[k]);
        r.destination = *IpAddress::Parse("192.0.2.1");
        r.port_type = n % 2 == 0 ? PortType::Tcp(445) : PortType::Icmp();
        records.push_back(r);
        std::string area = FakeName(FakeCountry(r.source));
        area_accesses[area]++;
        area_sources[area].insert({day, sources[k], r.port_type.ToString()});
      }
    }
  }
  ASSERT_TRUE((*writer)->Add(records).ok());
  ASSERT_TRUE((*writer)->Commit("{}").ok());

  ReportKnowledge k;
  k.country_code = FakeCountry;
  k.country_name = FakeName;
  k.geo_database = "test database 2026-11";
  k.port_text = [](const std::string& port) {
    ReportKnowledge::PortText t;
    if (port == "445/tcp") {
      t.service = "SMB";
      t.description = "Windows file sharing.";
      t.references = {"https://example.org/445"};
    }
    return t;
  };
  auto model = BuildReportModel(*store, *ParseMonth("2026-10"), TimeZone::Utc(), k);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->areas.size(), 4u);
  uint64_t total = 0;
  for (const AreaFigure& a : model->areas) {
    EXPECT_EQ(a.accesses, area_accesses[a.name]) << a.name;
    EXPECT_EQ(a.sources, area_sources[a.name].size()) << a.name;
    total += a.accesses;
  }
  EXPECT_EQ(total, model->stats.accesses);
  EXPECT_EQ(model->areas[0].name, "Unknown");  // 10.9.0.1 sends the most
  EXPECT_EQ(model->geo_database, "test database 2026-11");

  auto chart = [&](const std::string& id) -> const ChartData& {
    for (const ChartData& c : model->charts) {
      if (c.id == id) return c;
    }
    ADD_FAILURE() << id;
    return model->charts[0];
  };
  // 3-6: shares of accesses by area, half up to one decimal.
  const ChartData& c36 = chart("3-6");
  ASSERT_TRUE(c36.Drawable());
  for (size_t i = 0; i < c36.categories.size(); ++i) {
    uint64_t part = area_accesses[c36.categories[i]];
    double want = static_cast<double>((2000 * part + total) / (2 * total)) / 10.0;
    EXPECT_DOUBLE_EQ(c36.series[0].values[i], want) << c36.categories[i];
    EXPECT_EQ(c36.category_colors[i], ColorFor(c36.categories[i]));
  }
  // 3-7: sources per day by area add up to the day's sources.
  const ChartData& c37 = chart("3-7");
  ASSERT_TRUE(c37.Drawable());
  for (int day = 0; day < 31; ++day) {
    double sum = 0;
    for (const ChartSeries& s : c37.series) sum += s.values[static_cast<size_t>(day)];
    uint64_t want = 0;
    for (const auto& [area, set] : area_sources) {
      for (const auto& t : set) want += std::get<0>(t) == day;
    }
    EXPECT_EQ(sum, static_cast<double>(want)) << day;
  }
  // 4-3: one month with data, the five before are named as missing.
  const ChartData& c43 = chart("4-3");
  EXPECT_TRUE(c43.Drawable());
  EXPECT_EQ(c43.categories.size(), 1u);
  EXPECT_NE(c43.note.find("May 2026"), std::string::npos);
  // Section 5 carries the knowledge base's text.
  ASSERT_FALSE(model->supplementary_ports.empty());
  bool found = false;
  for (size_t i = 0; i < model->supplementary_ports.size(); ++i) {
    if (model->supplementary_ports[i] == "445/tcp") {
      found = true;
      EXPECT_EQ(model->supplementary[i].description, "Windows file sharing.");
    }
  }
  EXPECT_TRUE(found);
  // To look at this report: SCANSCOPE_REPORT_TEST_OUT=DIR build/report_model_test
  if (const char* out = std::getenv("SCANSCOPE_REPORT_TEST_OUT")) {
    ASSERT_TRUE(WriteReport(*model, out).ok());
  }
  std::string html = RenderHtml(*model);
  EXPECT_NE(html.find("Windows file sharing."), std::string::npos);
  EXPECT_NE(html.find("Japan"), std::string::npos);
  EXPECT_NE(html.find("test database 2026-11"), std::string::npos);
}

// September and October 2026 at one point: thirteen port types with set
// monthly counts; in October 23/tcp grows 1.8-fold, 135/tcp falls to 0.3 and
// 2000/tcp is new.
std::unique_ptr<Store> TwoMonthStore() {
  auto store = NewMemoryStore({TimeZone::Utc()});
  EXPECT_TRUE(store->PutPoint({"p1", *PrefixSet::Parse("192.0.2.1/32"), ""}).ok());
  const std::vector<std::pair<PortType, int>> september = {
      {PortType::Tcp(445), 4000}, {PortType::Tcp(22), 1500},  {PortType::Tcp(135), 1000},
      {PortType::Icmp(), 900},    {PortType::Tcp(23), 500},   {PortType::Tcp(1433), 450},
      {PortType::Tcp(80), 400},   {PortType::Udp(1026), 300}, {PortType::Tcp(3389), 250},
      {PortType::Tcp(8080), 200}, {PortType::Tcp(139), 150},  {PortType::Udp(53), 100},
      {PortType::Tcp(25), 60}};
  std::vector<std::pair<PortType, int>> october = september;
  for (auto& [port, n] : october) {
    if (port == PortType::Tcp(23)) n = 900;
    if (port == PortType::Tcp(135)) n = 300;
  }
  october.push_back({PortType::Tcp(2000), 200});
  int batch = 0;
  for (const auto& [first, days, ports] : {std::tuple{DaysFromCivil({2026, 9, 1}), 30, september},
                                           std::tuple{DaysFromCivil({2026, 10, 1}), 31, october}}) {
    auto writer = store->BeginIngest({fmt::format("b{}", ++batch), "p1", "test"});
    EXPECT_TRUE(writer.ok());
    std::vector<AccessRecord> records;
    for (const auto& [port, n] : ports) {
      for (int i = 0; i < n; ++i) {
        AccessRecord r;
        r.time_ns = (static_cast<int64_t>(first + i % days) * 86400 + 60 + i / days) * kNs;
        r.source = *IpAddress::Parse(fmt::format("10.{}.0.{}", 1 + i % 3, i % 50));
        r.destination = *IpAddress::Parse("192.0.2.1");
        r.port_type = port;
        records.push_back(r);
      }
    }
    EXPECT_TRUE((*writer)->Add(records).ok());
    EXPECT_TRUE((*writer)->Commit("{}").ok());
  }
  return store;
}

// Every paragraph, note and heading of section `id`, one line each.
std::string SectionText(const ReportModel& m, const std::string& id) {
  std::string text;
  for (const ReportSection& s : m.sections) {
    if (s.id != id) continue;
    text += s.title + "\n";
    for (const ReportBlock& b : s.blocks) text += b.text + "\n";
  }
  return text;
}

const ChartData* FindChart(const ReportModel& m, const std::string& id) {
  for (const ChartData& c : m.charts) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

TEST(ReportOptionsTest, TopPortsWordedFromTheOption) {
  auto store = TwoMonthStore();
  ReportOptions options;
  options.top_ports = 7;
  options.detect_findings = false;
  auto model = BuildReportModel(*store, *ParseMonth("2026-10"), TimeZone::Utc(), {}, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_NE(SectionText(*model, "s1").find("the 7 port types most accessed in October"),
            std::string::npos);
  EXPECT_NE(SectionText(*model, "s3").find("the seven port types most accessed in the month"),
            std::string::npos);
  EXPECT_NE(SectionText(*model, "s4").find("October's seven largest port types"),
            std::string::npos);
  EXPECT_NE(SectionText(*model, "s5").find("the seven most accessed"), std::string::npos);
  for (const char* id : {"s1", "s2", "s3", "s4", "s5"}) {
    const std::string text = SectionText(*model, id);
    EXPECT_EQ(text.find(" ten "), std::string::npos) << id << ": " << text;
    EXPECT_EQ(text.find(" 10 "), std::string::npos) << id << ": " << text;
  }
  const ChartData* c12 = FindChart(*model, "1-2");
  ASSERT_NE(c12, nullptr);
  EXPECT_EQ(c12->categories.size(), 8u);  // seven and Others
  for (const char* id : {"3-1", "3-2", "4-1", "4-2"}) {
    const ChartData* c = FindChart(*model, id);
    ASSERT_NE(c, nullptr) << id;
    ASSERT_EQ(c->series.size(), 8u) << id;
    EXPECT_EQ(c->series.back().name, "Others") << id;
  }
  EXPECT_EQ(std::vector<std::string>(model->supplementary_ports.begin(),
                                     model->supplementary_ports.begin() + 7),
            (std::vector<std::string>{"445/tcp", "22/tcp", "23/tcp", "ICMP", "1433/tcp", "80/tcp",
                                      "1026/udp"}));
}

TEST(ReportOptionsTest, ChangeRulesAppliedAndWordedFromTheOptions) {
  auto store = TwoMonthStore();
  const Month october = *ParseMonth("2026-10");
  ReportOptions options;
  options.detect_findings = false;
  auto model = BuildReportModel(*store, october, TimeZone::Utc(), {}, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto ports = [](const std::vector<PortChange>& list) {
    std::vector<std::string> out;
    for (const PortChange& c : list) out.push_back(c.port);
    return out;
  };
  EXPECT_EQ(ports(model->rises), std::vector<std::string>{"23/tcp"});
  EXPECT_EQ(ports(model->falls), std::vector<std::string>{"135/tcp"});
  EXPECT_EQ(ports(model->new_ports), std::vector<std::string>{"2000/tcp"});
  EXPECT_NE(
      SectionText(*model, "s1")
          .find("(A significant change: a port type with at least 0.5% of the month's accesses "
                "that grew by half or lost a third; new: none the month before and at least 0.2% "
                "of this month.)"),
      std::string::npos);
  ASSERT_EQ(model->peculiar.size(), 2u);  // the new port, then the rise
  EXPECT_EQ(model->peculiar[0].kind, "new");
  EXPECT_EQ(model->peculiar[1].kind, "rise");

  options.changes.weight_share = 0.01;
  options.changes.rise_factor = 2.0;  // 23/tcp grew 1.8-fold: no longer a rise
  options.changes.fall_factor = 0.5;
  options.changes.new_share = 0.03;  // 2000/tcp has about 2 %: no longer new
  options.max_peculiar = 1;
  model = BuildReportModel(*store, october, TimeZone::Utc(), {}, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_TRUE(model->rises.empty());
  EXPECT_EQ(ports(model->falls), std::vector<std::string>{"135/tcp"});
  EXPECT_TRUE(model->new_ports.empty());
  EXPECT_NE(SectionText(*model, "s1")
                .find("(A significant change: a port type with at least 1% of the month's accesses "
                      "that grew by 100% or lost half; new: none the month before and at least 3% "
                      "of this month.)"),
            std::string::npos);
  EXPECT_TRUE(model->peculiar.empty());

  // Section 2 takes at most max_peculiar items.
  options = ReportOptions{};
  options.detect_findings = false;
  options.max_peculiar = 1;
  model = BuildReportModel(*store, october, TimeZone::Utc(), {}, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->peculiar.size(), 1u);
  EXPECT_EQ(model->peculiar[0].port, "2000/tcp");
}

TEST(ReportOptionsTest, SteadyBandOfTheTrendSentence) {
  auto store = TwoMonthStore();
  ReportOptions options;
  options.detect_findings = false;
  options.steady_band = 10;  // any change is steady
  auto model = BuildReportModel(*store, *ParseMonth("2026-10"), TimeZone::Utc(), {}, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_NE(SectionText(*model, "s1").find("accesses per point per day stayed at almost the same"),
            std::string::npos);
  options.steady_band = 0;  // any change is a rise or a fall
  model = BuildReportModel(*store, *ParseMonth("2026-10"), TimeZone::Utc(), {}, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(SectionText(*model, "s1").find("stayed at almost the same"), std::string::npos);
  // 9,710 accesses in 31 days against 9,810 in 30: 313.23 against 327 a day.
  EXPECT_NE(SectionText(*model, "s1").find("accesses per point per day fell by 4.2%"),
            std::string::npos);
}

TEST(ReportOptionsTest, OutOfRangeRefused) {
  auto store = TwoMonthStore();
  for (auto set :
       {+[](ReportOptions* o) { o->trend_months = 0; }, +[](ReportOptions* o) { o->top_ports = 0; },
        +[](ReportOptions* o) { o->top_areas = 0; },
        +[](ReportOptions* o) { o->max_peculiar = -1; }}) {
    ReportOptions options;
    set(&options);
    auto model = BuildReportModel(*store, *ParseMonth("2026-10"), TimeZone::Utc(), {}, options);
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  }
}

// The figures carry area codes and numbers; names and sentences are the
// words' (ComposeReportModel's).
TEST(ReportFiguresTest, AreasByCodeAndNoParagraphs) {
  auto store = TwoMonthStore();
  auto f = GatherReportFigures(*store, *ParseMonth("2026-10"), TimeZone::Utc(), FakeCountry, {});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  std::set<std::string> codes;
  for (const auto& [code, daily] : f->areas_daily.accesses) codes.insert(code);
  EXPECT_EQ(codes, (std::set<std::string>{"CN", "JP", "US"}));
  uint64_t total = 0;
  for (const AreaCount& a : f->trend.back().by_area) total += a.accesses;
  EXPECT_EQ(total, f->stats.accesses);
  EXPECT_EQ(f->trend.size(), 6u);
  EXPECT_TRUE(f->trend[4].has_data);
  EXPECT_FALSE(f->trend[3].has_data);
  EXPECT_TRUE(f->compare);
  for (const Finding& finding : f->findings) EXPECT_EQ(finding.paragraph, "");

  ReportKnowledge k;
  k.country_code = FakeCountry;
  k.country_name = FakeName;
  ReportModel m = ComposeReportModel(*f, k, {});
  ASSERT_FALSE(m.areas.empty());
  std::set<std::string> names;
  for (const AreaFigure& a : m.areas) names.insert(a.name);
  EXPECT_EQ(names, (std::set<std::string>{"China", "Japan", "United States"}));
  for (const PeculiarItem& p : m.peculiar) EXPECT_NE(p.paragraph, "") << p.port;
}

TEST(ReportChartTest, NiceTicks) {
  EXPECT_EQ(NiceTicks(0), (std::vector<double>{0, 1}));
  EXPECT_EQ(NiceTicks(9), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(NiceTicks(10), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(NiceTicks(120000), (std::vector<double>{0, 25000, 50000, 75000, 100000, 125000}));
  EXPECT_EQ(NiceTicks(3), (std::vector<double>{0, 1, 2, 3}));  // counts: whole ticks
  EXPECT_EQ(NiceTicks(0.4), (std::vector<double>{0, 0.1, 0.2, 0.30000000000000004, 0.4}));
}

TEST(ReportChartTest, Values) {
  EXPECT_EQ(FormatChartValue(1234567, false), "1,234,567");
  EXPECT_EQ(FormatChartValue(0, false), "0");
  EXPECT_EQ(FormatChartValue(372.06, false), "372.1");
  EXPECT_EQ(FormatChartValue(1234.56, false), "1,234.6");
  EXPECT_EQ(FormatChartValue(3.14159, false), "3.14");
  EXPECT_EQ(FormatChartValue(12.25, true),
            "12.2%");  // binary 12.25 is exact; printf rounds to even
  EXPECT_EQ(FormatChartValue(40.5, true), "40.5%");
  EXPECT_EQ(XmlEscape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
}

TEST(ReportChartTest, ColoursStableAndDistinct) {
  EXPECT_EQ(ColorFor("445/tcp"), ColorFor("445/tcp"));
  EXPECT_EQ(ColorFor("Others"), "#bab0ac");
  std::set<std::string> seen;
  for (const char* p : {"ICMP", "445/tcp", "22/tcp", "23/tcp", "80/tcp", "3389/tcp", "135/tcp",
                        "139/tcp", "1433/tcp", "8080/tcp", "Others", "Unknown"}) {
    EXPECT_TRUE(seen.insert(ColorFor(p)).second) << p;
  }
  std::string c = ColorFor("40123/udp");
  EXPECT_EQ(c.size(), 7u);
  EXPECT_EQ(c[0], '#');
}

TEST(ReportChartTest, SvgAndCsv) {
  ChartData c;
  c.id = "9-9";
  c.title = "Test <chart>";
  c.kind = ChartKind::kStackedBars;
  c.categories = {"1", "2"};
  c.series = {{"445/tcp", "#e15759", {3, 4}}, {"Others", "#bab0ac", {1, 0}}};
  std::string svg = RenderChartSvg(c);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("Chart 9-9: Test &lt;chart&gt;"), std::string::npos);
  EXPECT_NE(svg.find("#e15759"), std::string::npos);
  EXPECT_EQ(RenderChartSvg(c), svg);  // deterministic
  EXPECT_EQ(ChartCsv(c), "category,445/tcp,Others\n1,3,1\n2,4,0\n");
  c.empty_note = "Nothing here.";
  std::string empty = RenderChartSvg(c);
  EXPECT_NE(empty.find("Nothing here."), std::string::npos);
  EXPECT_EQ(empty.find("#e15759"), std::string::npos);
}

}  // namespace
}  // namespace scanscope
