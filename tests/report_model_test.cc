// The report model and the chart writer without the binary: a MemoryStore
// filled with records the test makes, a stand-in IP-to-country function and
// port knowledge, and every area figure compared with the test's own count.
// Also the small pieces: nice ticks, value formatting, shares, colours, CSV.

#include "report/report_model.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
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
