// End to end: captures built byte by byte for two months and two points,
// ingested by the scanscope binary, then `scanscope report`; every number of
// report.json and of the chart CSVs is compared with a count written here
// (its own sets of sources, its own top-10 ranking, its own rounding), and
// report.json's "stats" with `stats --json`. Also: the HTML parses, and a
// month without data, a store with one point and missing earlier months give
// a report that says so.

#include <fmt/format.h>

// GCC 12 warns -Wrestrict on `"literal" + std::string` at -O3, a known false
// positive (GCC bug 105329, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "support/packet_builder.h"
#include "support/run_command.h"

namespace scanscope::testing {
namespace {

constexpr int64_t kNs = 1'000'000'000;

std::string Bin() { return SCANSCOPE_BINARY; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Days since 1970-01-01 (H. Hinnant's days_from_civil), written again here.
int64_t Days(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// One access the test sends: (time, point index, port text, source).
struct Sent {
  int64_t time_ns;
  int point;
  std::string port;
  std::string source;
};

Bytes Frame(const Sent& s, const std::string& watched) {
  V4Address src = V4(s.source), dst = V4(watched);
  if (s.port == "ICMP") {
    return Ethernet(kEtherIpv4,
                    Ipv4(Ipv4Header{.source = src, .destination = dst, .protocol = kIcmp},
                         IcmpEcho(true, 1, 1)));
  }
  uint16_t port = static_cast<uint16_t>(std::stoi(s.port));
  if (s.port.ends_with("/udp")) {
    return Ethernet(kEtherIpv4,
                    Ipv4(Ipv4Header{.source = src, .destination = dst, .protocol = kUdp},
                         Udp(40000, port, Bytes(8, 0))));
  }
  return Ethernet(
      kEtherIpv4,
      Ipv4(Ipv4Header{.source = src, .destination = dst, .protocol = kTcp},
           Tcp(TcpHeader{.source_port = 40000, .destination_port = port, .flags = 0x02})));
}

// The independent figures of one month.
struct Expected {
  uint64_t accesses = 0;
  std::set<std::tuple<int64_t, int, std::string, std::string>>
      source_days;  // day, point, port, src
  std::map<std::string, uint64_t> port_accesses;
  std::map<std::string, std::set<std::tuple<int64_t, int, std::string>>> port_sources;
  std::map<std::pair<int64_t, std::string>, uint64_t> day_port_accesses;
  std::set<int> points;
};

double Share(uint64_t part, uint64_t total) {
  // Half up to one decimal: floor((2000 * part + total) / (2 * total)) / 10.
  return total == 0 ? 0.0 : static_cast<double>((2000 * part + total) / (2 * total)) / 10.0;
}

std::vector<std::string> Top(const std::map<std::string, uint64_t>& m, size_t n) {
  std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size() && i < n; ++i) out.push_back(v[i].first);
  return out;
}

// Checks that every non-void element is closed in order; returns "" or the problem.
std::string HtmlNestingProblem(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta", "br", "img", "hr", "link", "input"};
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i);
      if (i == std::string::npos) return "unclosed comment";
      continue;
    }
    size_t end = html.find('>', i);
    if (end == std::string::npos) return "unclosed tag";
    std::string tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty() || tag[0] == '!' || tag[0] == '?') continue;
    bool closing = tag[0] == '/';
    bool self = tag.back() == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \t\n/"));
    if (name == "style") {  // skip the stylesheet's text
      size_t close = html.find("</style>", i);
      if (close == std::string::npos) return "unclosed style";
      i = close + 8;
      continue;
    }
    if (closing) {
      if (stack.empty() || stack.back() != name)
        return fmt::format("</{}> closes <{}>", name, stack.empty() ? "" : stack.back());
      stack.pop_back();
    } else if (!self && !kVoid.count(name)) {
      stack.push_back(name);
    }
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

class ReportNumbersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // Two months, two points. 11245/tcp only in October (new), 23/tcp grows
    // eightfold in October, 135/tcp falls to a tenth.
    const std::vector<std::pair<std::string, int>> base = {
        {"445/tcp", 40}, {"22/tcp", 12}, {"135/tcp", 10}, {"ICMP", 9},     {"23/tcp", 4},
        {"1433/tcp", 5}, {"80/tcp", 4},  {"1026/udp", 3}, {"3389/tcp", 3}, {"8080/tcp", 2},
        {"139/tcp", 2},  {"53/udp", 1},  {"5060/udp", 1}, {"25/tcp", 1}};
    std::mt19937_64 rng(42);
    const std::string watched[2] = {"192.0.2.1", "192.0.2.2"};
    std::vector<std::vector<Sent>> per_point(2);
    auto send_month = [&](int year, unsigned month, int days, bool october) {
      std::vector<std::pair<std::string, int>> w = base;
      if (october) {
        for (auto& [p, weight] : w) {
          if (p == "23/tcp") weight *= 8;
          if (p == "135/tcp") weight = 1;
        }
        w.push_back({"11245/tcp", 6});
      }
      std::vector<int> weights;
      for (auto& x : w) weights.push_back(x.second);
      std::discrete_distribution<int> pick(weights.begin(), weights.end());
      const int64_t first = Days(year, month, 1);
      Expected& e = october ? october_ : september_;
      for (int i = 0; i < 6000; ++i) {
        Sent s;
        int64_t day = first + static_cast<int64_t>(rng() % static_cast<uint64_t>(days));
        s.time_ns = day * 86400 * kNs + static_cast<int64_t>(rng() % (86400ull * kNs));
        s.point = static_cast<int>(rng() % 2);
        s.port = w[static_cast<size_t>(pick(rng))].first;
        s.source = fmt::format("198.51.100.{}", 1 + rng() % 200);
        if (s.port == "11245/tcp") s.source = "203.0.113.9";  // one intensive source
        per_point[static_cast<size_t>(s.point)].push_back(s);
        e.accesses++;
        e.points.insert(s.point);
        e.source_days.insert({day, s.point, s.port, s.source});
        e.port_accesses[s.port]++;
        e.port_sources[s.port].insert({day, s.point, s.source});
        e.day_port_accesses[{day - first, s.port}]++;
      }
    };
    send_month(2026, 9, 30, false);
    send_month(2026, 10, 31, true);
    db_ = dir_->File("s.db");
    for (int p = 0; p < 2; ++p) {
      auto& v = per_point[static_cast<size_t>(p)];
      std::sort(v.begin(), v.end(),
                [](const Sent& a, const Sent& b) { return a.time_ns < b.time_ns; });
      std::vector<CapturedPacket> packets;
      for (const Sent& s : v)
        packets.push_back({.time_ns = s.time_ns, .data = Frame(s, watched[p])});
      std::string file = dir_->File(fmt::format("p{}.pcap", p));
      ASSERT_TRUE(WriteFile(file, PcapFile(1, packets)));
      CommandResult r =
          RunCommand(fmt::format("{} ingest --quiet --db {} --tz UTC --point p{} --watch {} {}",
                                 Bin(), db_, p, watched[p], file));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    out_ = dir_->File("report");
    report_run_ = new CommandResult(
        RunCommand(fmt::format("{} report --db {} --month 2026-10 --tz UTC --geo-db none --ports "
                               "none --no-findings --out {}",
                               Bin(), db_, out_)));
  }
  static void TearDownTestSuite() {
    delete report_run_;
    delete dir_;
  }
  nlohmann::json Json() { return nlohmann::json::parse(ReadText(out_ + "/report.json")); }
  const nlohmann::json* Chart(const nlohmann::json& j, const std::string& id) {
    for (const auto& c : j["charts"]) {
      if (c["id"] == id) return &c;
    }
    return nullptr;
  }

  static TempDir* dir_;
  static std::string db_, out_;
  static CommandResult* report_run_;
  static Expected september_, october_;
};
TempDir* ReportNumbersTest::dir_ = nullptr;
std::string ReportNumbersTest::db_, ReportNumbersTest::out_;
CommandResult* ReportNumbersTest::report_run_ = nullptr;
Expected ReportNumbersTest::september_, ReportNumbersTest::october_;

TEST_F(ReportNumbersTest, WritesEveryFile) {
  ASSERT_EQ(report_run_->exit_code, 0) << report_run_->err;
  EXPECT_NE(report_run_->out.find("index.html"), std::string::npos);
  for (const char* f : {"index.html", "report.md", "report.json"}) {
    EXPECT_TRUE(std::filesystem::exists(out_ + "/" + f)) << f;
  }
  nlohmann::json j = Json();
  std::set<std::string> ids;
  for (const auto& c : j["charts"]) {
    std::string id = c["id"];
    ids.insert(id);
    EXPECT_TRUE(std::filesystem::exists(out_ + "/charts/chart-" + id + ".svg")) << id;
    EXPECT_TRUE(std::filesystem::exists(out_ + "/charts/chart-" + id + ".csv")) << id;
  }
  for (const char* id : {"1-1", "1-2", "2-1", "3-1", "3-2", "3-3", "3-4", "3-5", "3-6", "3-7",
                         "3-8", "4-1", "4-2", "4-3", "4-4"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

TEST_F(ReportNumbersTest, StatsMatchStatsJsonAndIndependentCount) {
  nlohmann::json j = Json();
  CommandResult st =
      RunCommand(fmt::format("{} stats --json --db {} --month 2026-10 --tz UTC", Bin(), db_));
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_EQ(j["stats"], nlohmann::json::parse(st.out));
  EXPECT_EQ(j["stats"]["accesses"], october_.accesses);
  EXPECT_EQ(j["stats"]["sources"], october_.source_days.size());
  EXPECT_EQ(j["stats"]["points"], 2);
  // "about N per point per day", rounded half up from the exact quotient.
  uint64_t point_days = 2 * 31;
  EXPECT_EQ(j["per_point_per_day_about"]["accesses"],
            (october_.accesses * 2 + point_days) / (2 * point_days));
  EXPECT_EQ(j["per_point_per_day_about"]["sources"],
            (october_.source_days.size() * 2 + point_days) / (2 * point_days));
  for (const auto& f : j["stats"]["by_port"]) {
    std::string port = f["port"];
    EXPECT_EQ(f["accesses"], october_.port_accesses[port]) << port;
    EXPECT_EQ(f["sources"], october_.port_sources[port].size()) << port;
  }
  // The trend: September and October have data, the four months before do not.
  ASSERT_EQ(j["trend"].size(), 6u);
  EXPECT_EQ(j["trend"][4]["month"], "2026-09");
  EXPECT_EQ(j["trend"][4]["accesses"], september_.accesses);
  EXPECT_EQ(j["trend"][4]["sources"], september_.source_days.size());
  EXPECT_FALSE(j["trend"][0]["has_data"]);
  EXPECT_TRUE(j["trend"][5]["has_data"]);
}

TEST_F(ReportNumbersTest, ChartDataMatchIndependentCount) {
  nlohmann::json j = Json();
  // Chart 3-1: accesses per day, the top 10 port types by accesses and Others.
  std::vector<std::string> top = Top(october_.port_accesses, 10);
  std::string csv = "category";
  for (const std::string& p : top) csv += "," + p;
  csv += ",Others\n";
  for (int d = 0; d < 31; ++d) {
    csv += std::to_string(d + 1);
    uint64_t shown = 0, all = 0;
    for (const std::string& p : top) {
      uint64_t v = october_.day_port_accesses[{d, p}];
      csv += "," + std::to_string(v);
      shown += v;
    }
    for (const auto& [p, n] : october_.port_accesses) all += october_.day_port_accesses[{d, p}];
    csv += "," + std::to_string(all - shown) + "\n";
  }
  EXPECT_EQ(ReadText(out_ + "/charts/chart-3-1.csv"), csv);

  // Chart 3-3: shares of accesses, one decimal, half up.
  const nlohmann::json* c33 = Chart(j, "3-3");
  ASSERT_NE(c33, nullptr);
  uint64_t shown = 0;
  for (size_t i = 0; i < top.size(); ++i) {
    EXPECT_EQ((*c33)["categories"][i], top[i]);
    EXPECT_DOUBLE_EQ((*c33)["series"][0]["values"][i].get<double>(),
                     Share(october_.port_accesses[top[i]], october_.accesses))
        << top[i];
    shown += october_.port_accesses[top[i]];
  }
  EXPECT_EQ((*c33)["categories"][top.size()], "Others");
  EXPECT_DOUBLE_EQ((*c33)["series"][0]["values"][top.size()].get<double>(),
                   Share(october_.accesses - shown, october_.accesses));

  // Chart 1-2: September against October for October's top 10.
  const nlohmann::json* c12 = Chart(j, "1-2");
  ASSERT_NE(c12, nullptr);
  ASSERT_EQ((*c12)["series"].size(), 2u);
  for (size_t i = 0; i < top.size(); ++i) {
    EXPECT_EQ((*c12)["series"][0]["values"][i].get<double>(),
              static_cast<double>(september_.port_accesses[top[i]]))
        << top[i];
    EXPECT_EQ((*c12)["series"][1]["values"][i].get<double>(),
              static_cast<double>(october_.port_accesses[top[i]]))
        << top[i];
  }
  // Chart 1-1: per point per day of the two months with data, in hundredths.
  const nlohmann::json* c11 = Chart(j, "1-1");
  ASSERT_NE(c11, nullptr);
  ASSERT_EQ((*c11)["categories"].size(), 2u);
  double sep = static_cast<double>((september_.accesses * 200 + 60) / 120) / 100;
  EXPECT_DOUBLE_EQ((*c11)["series"][0]["values"][0].get<double>(), sep);
  EXPECT_NE((*c11)["note"].get<std::string>().find("No data is stored for May 2026"),
            std::string::npos);
}

// Chart 1-2's CSV: `now`'s top 10 port types and Others, one column per
// month (`before` first when it is given).
std::string ComparisonCsv(const Expected& now, const std::string& now_name, const Expected* before,
                          const std::string& before_name) {
  std::map<std::string, uint64_t> now_ports = now.port_accesses;
  std::map<std::string, uint64_t> before_ports;
  if (before != nullptr) before_ports = before->port_accesses;
  std::string csv = "category";
  if (before != nullptr) csv += "," + before_name;
  csv += "," + now_name + "\n";
  uint64_t shown_now = 0, shown_before = 0;
  for (const std::string& p : Top(now_ports, 10)) {
    csv += p;
    if (before != nullptr) csv += "," + std::to_string(before_ports[p]);
    csv += "," + std::to_string(now_ports[p]) + "\n";
    shown_now += now_ports[p];
    shown_before += before_ports[p];
  }
  csv += "Others";
  if (before != nullptr) csv += "," + std::to_string(before->accesses - shown_before);
  csv += "," + std::to_string(now.accesses - shown_now) + "\n";
  return csv;
}

TEST_F(ReportNumbersTest, ComparisonCsvHoldsEachMonthWithData) {
  ASSERT_EQ(report_run_->exit_code, 0) << report_run_->err;
  EXPECT_EQ(ReadText(out_ + "/charts/chart-1-2.csv"),
            ComparisonCsv(october_, "October 2026", &september_, "September 2026"));

  // August has no data: September's column alone (it used to hold only the
  // word "category"), drawn, with a note that there is nothing to compare.
  std::string out = dir_->File("september");
  CommandResult r =
      RunCommand(fmt::format("{} report --db {} --month 2026-09 --tz UTC --geo-db none --ports "
                             "none --no-findings --out {}",
                             Bin(), db_, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadText(out + "/charts/chart-1-2.csv"),
            ComparisonCsv(september_, "September 2026", nullptr, ""));
  nlohmann::json j = nlohmann::json::parse(ReadText(out + "/report.json"));
  const nlohmann::json* c12 = Chart(j, "1-2");
  ASSERT_NE(c12, nullptr);
  EXPECT_EQ((*c12)["empty_note"].get<std::string>(), "");
  EXPECT_EQ((*c12)["note"].get<std::string>(),
            "No data is stored for August 2026: there is nothing to compare September 2026 with.");
  EXPECT_NE(ReadText(out + "/charts/chart-1-2.svg").find("<rect"), std::string::npos);
}

TEST_F(ReportNumbersTest, ChangesNameTheNewRisingAndFallingPorts) {
  nlohmann::json j = Json();
  auto has = [&](const char* list, const std::string& port) {
    for (const auto& c : j["changes"][list]) {
      if (c["port"] == port) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("new_ports", "11245/tcp"));
  EXPECT_TRUE(has("rises", "23/tcp"));
  EXPECT_TRUE(has("falls", "135/tcp"));
  EXPECT_FALSE(has("rises", "445/tcp"));
  // Section 2 (changes only, --no-findings): the new port with its daily chart.
  ASSERT_FALSE(j["peculiar"]["items"].empty());
  EXPECT_EQ(j["peculiar"]["items"][0]["port"], "11245/tcp");
  EXPECT_EQ(j["peculiar"]["items"][0]["chart"], "2-1");
  const nlohmann::json* c21 = Chart(j, "2-1");
  ASSERT_NE(c21, nullptr);
  double sum = 0;
  for (const auto& v : (*c21)["series"][0]["values"]) sum += v.get<double>();
  EXPECT_EQ(sum, static_cast<double>(october_.port_accesses["11245/tcp"]));
  // The paragraph of section 1 words them.
  std::string md = ReadText(out_ + "/report.md");
  EXPECT_NE(md.find("11245/tcp"), std::string::npos);
  EXPECT_NE(md.find("Significant increase: 23/tcp"), std::string::npos);
}

TEST_F(ReportNumbersTest, HtmlParsesAndSaysWhatIsMissing) {
  std::string html = ReadText(out_ + "/index.html");
  EXPECT_EQ(HtmlNestingProblem(html), "");
  for (const char* id : {"1-1", "1-2", "3-1", "3-8", "4-1", "4-4"}) {
    EXPECT_NE(html.find(fmt::format("id=\"chart-{}\"", id)), std::string::npos) << id;
    EXPECT_NE(html.find(fmt::format("Chart {}: ", id)), std::string::npos) << id;
  }
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg\""), html.find("http://www.w3.org/2000/svg\""));
  EXPECT_NE(html.find("No IP-to-country database"), std::string::npos);
  EXPECT_NE(html.find("may not add up to 100%"), std::string::npos);
  EXPECT_NE(html.find(fmt::format("about <strong>{}</strong> accesses",
                                  (october_.accesses * 2 + 62) / 124)),
            std::string::npos);
}

// A knowledge file named on the command line must load: a missing one is a
// one-line error naming it, a non-zero exit and no report.
TEST_F(ReportNumbersTest, MissingGeoDatabaseOrPortsFileFails) {
  const std::string missing = dir_->File("no-such.mmdb");
  for (const std::string& flag :
       {"--geo-db " + missing + " --ports none", "--geo-db none --ports " + missing}) {
    const std::string out = dir_->File("missing-knowledge");
    CommandResult r = RunCommand(
        fmt::format("{} report --db {} --month 2026-10 --tz UTC {} --no-findings --out {}", Bin(),
                    db_, flag, out));
    EXPECT_NE(r.exit_code, 0) << flag;
    EXPECT_NE(r.err.find(missing), std::string::npos) << flag << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << flag << ": " << r.err;
    EXPECT_EQ(r.out, "") << flag;
    EXPECT_FALSE(std::filesystem::exists(out + "/index.html")) << flag;
    EXPECT_FALSE(std::filesystem::exists(out + "/report.json")) << flag;
  }
}

TEST_F(ReportNumbersTest, EmptyMonthSaysSo) {
  std::string out = dir_->File("empty");
  CommandResult r = RunCommand(
      fmt::format("{} report --db {} --month 2026-12 --tz UTC --geo-db none --ports none --out {}",
                  Bin(), db_, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = ReadText(out + "/index.html");
  EXPECT_EQ(HtmlNestingProblem(html), "");
  EXPECT_NE(html.find("No unwanted (one-sided) access is stored for December 2026"),
            std::string::npos);
  EXPECT_NE(html.find("No accesses are stored for December 2026"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(ReadText(out + "/report.json"));
  EXPECT_EQ(j["stats"]["accesses"], 0);
  for (const auto& c : j["charts"]) {
    if (c["id"] == "1-1") continue;  // November and October have data
    EXPECT_FALSE(c["empty_note"].get<std::string>().empty()) << c["id"];
  }
}

TEST_F(ReportNumbersTest, OnePointAndNoEarlierMonths) {
  std::string db = dir_->File("one.db");
  CommandResult r =
      RunCommand(fmt::format("{} ingest --quiet --db {} --tz UTC --point p0 --watch 192.0.2.1 {}",
                             Bin(), db, dir_->File("p0.pcap")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string out = dir_->File("one");
  r =
      RunCommand(fmt::format("{} report --db {} --month 2026-09 --tz UTC --geo-db none --ports "
                             "none --no-findings --out {}",
                             Bin(), db, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = ReadText(out + "/index.html");
  EXPECT_NE(html.find("Only one monitoring point (p0)"), std::string::npos);
  EXPECT_NE(html.find("there is no trend to show yet"), std::string::npos);
  EXPECT_NE(html.find("No data is stored for August 2026: there is nothing to compare"),
            std::string::npos);
}

}  // namespace
}  // namespace scanscope::testing
