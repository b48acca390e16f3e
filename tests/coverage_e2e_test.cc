// Coverage (docs/coverage.md) end to end through the scanscope binary, on
// SQLite and on ClickHouse: what each input kind says of when its point was
// watching, against what the test built: a pcapng with interface statistics,
// a pcap with a 3-hour gap, a firewall log with a 2-day gap; an operator's
// add and remove; a batch taken back takes its coverage with it; and
// `stats --json`'s "coverage" against the test's own count of watched hours.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/time_zone.h"
#include "support/clickhouse_server.h"
#include "support/packet_builder.h"
#include "support/run_command.h"

namespace scanscope::testing {
namespace {

constexpr int64_t kNs = 1'000'000'000;
constexpr int64_t kHour = 3600 * kNs;
const int64_t kNov1 = int64_t{DaysFromCivil({2026, 11, 1})} * 86400 * kNs;

std::string Bin() { return SCANSCOPE_BINARY; }

CapturedPacket Probe(int64_t t_ns, int i) {
  V4Address src = V4(fmt::format("198.18.{}.{}", i / 200 % 200, i % 200 + 1));
  Bytes syn = Ethernet(
      kEtherIpv4,
      Ipv4({.source = src, .destination = V4("192.0.2.1")},
           Tcp({.source_port = static_cast<uint16_t>(40000 + i % 20000), .destination_port = 23})));
  return {t_ns, syn};
}

// Probes every `step` in [from, to).
std::vector<CapturedPacket> Probes(int64_t from, int64_t to, int64_t step, int first_id = 0) {
  std::vector<CapturedPacket> out;
  int i = first_id;
  for (int64_t t = from; t < to; t += step) out.push_back(Probe(t, i++));
  return out;
}

// An Interface Statistics Block (pcapng, little-endian) for interface 0
// with isb_starttime and isb_endtime in microseconds (the IDB's default
// resolution).
Bytes StatisticsBlock(int64_t start_ns, int64_t end_ns) {
  Bytes b;
  auto stamp = [&](int64_t ns) {
    const uint64_t us = static_cast<uint64_t>(ns / 1000);
    Put32Le(&b, static_cast<uint32_t>(us >> 32));
    Put32Le(&b, static_cast<uint32_t>(us));
  };
  const uint32_t length = 12 + 12 + 12 + 12 + 4;
  Put32Le(&b, 5);
  Put32Le(&b, length);
  Put32Le(&b, 0);  // interface 0
  stamp(end_ns);   // the block's own timestamp
  Put16Le(&b, 2);  // isb_starttime
  Put16Le(&b, 8);
  stamp(start_ns);
  Put16Le(&b, 3);  // isb_endtime
  Put16Le(&b, 8);
  stamp(end_ns);
  Put16Le(&b, 0);  // opt_endofopt
  Put16Le(&b, 0);
  Put32Le(&b, length);
  return b;
}

std::string LogLine(int64_t t_ns, int i, bool firewall) {
  const int64_t s = t_ns / kNs;
  const int64_t day = s / 86400, sod = s % 86400;
  const std::string stamp = fmt::format("{}T{:02d}:{:02d}:{:02d}+00:00", FormatDay(int32_t(day)),
                                        sod / 3600, sod / 60 % 60, sod % 60);
  if (!firewall) return stamp + " fw1 CRON[1]: (root) CMD (true)\n";
  return fmt::format(
      "{} fw1 kernel: DROP-IN: IN=eth0 OUT= SRC=198.18.{}.{} DST=192.0.2.1 LEN=60 TOS=0x00 "
      "PREC=0x00 TTL=50 ID={} DF PROTO=TCP SPT={} DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0\n",
      stamp, i / 200 % 200, i % 200 + 1, i % 65536, 40000 + i % 20000);
}

class CoverageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "clickhouse") {
      std::string error;
      server_ = ClickHouseServer::Start(&error);
      ASSERT_NE(server_, nullptr) << error;
    }
    static std::atomic<int> n{0};
    db_ = GetParam() == "clickhouse" ? server_->Url(fmt::format("cov_{}_{}", getpid(), ++n))
                                     : dir_.File(fmt::format("cov-{}.db", ++n));
  }
  CommandResult Run(const std::string& args) {
    return RunCommand(fmt::format("{} {} --db '{}'", Bin(), args, db_));
  }
  CommandResult Ingest(const std::string& point, const std::string& file) {
    return Run(
        fmt::format("ingest --quiet --tz UTC --point {} --watch 192.0.2.0/24 {}", point, file));
  }
  // points --coverage --json: point -> [[from, to], ...] as UTC text.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> Intervals() {
    CommandResult r = Run("points --coverage --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
    for (const auto& p : nlohmann::json::parse(r.out)) {
      auto& v = out[p["point"].get<std::string>()];
      for (const auto& i : p["intervals"]) v.emplace_back(i["from"], i["to"]);
    }
    return out;
  }
  nlohmann::json StatsCoverage() {
    CommandResult r = Run("stats --json --month 2026-11 --tz UTC");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["coverage"];
  }
  using Spans = std::vector<std::pair<std::string, std::string>>;
  static std::pair<std::string, std::string> Span(int64_t from, int64_t to) {
    return {FormatUtcTime(from), FormatUtcTime(to)};
  }

  TempDir dir_;
  std::unique_ptr<ClickHouseServer> server_;
  std::string db_;
};

// A pcap of 5 Nov 00:00-12:00 with no packet from 03:00 to 06:00 (a silence
// over the 1-hour threshold): two intervals, and the stats' days observed as
// the test counts the hours.
TEST_P(CoverageTest, PcapSpanLessItsSilences) {
  const int64_t d5 = kNov1 + 4 * 86400 * kNs;
  std::vector<CapturedPacket> p = Probes(d5, d5 + 3 * kHour, 60 * kNs);
  std::vector<CapturedPacket> after = Probes(d5 + 6 * kHour, d5 + 12 * kHour, 60 * kNs, 500);
  p.insert(p.end(), after.begin(), after.end());
  ASSERT_TRUE(WriteFile(dir_.File("gap.pcap"), PcapFile(1, p)));
  CommandResult r = Ingest("p1", dir_.File("gap.pcap"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t last_before = d5 + 3 * kHour - 60 * kNs, last = d5 + 12 * kHour - 60 * kNs;
  EXPECT_EQ(Intervals()["p1"], (Spans{Span(d5, last_before + 1), Span(d5 + 6 * kHour, last + 1)}));
  // Watched: 3 h (00:00-02:59) and 6 h (06:00-11:59), each rounded to whole
  // hours: 9 of 24 hours of 5 Nov; every other November day unwatched.
  nlohmann::json c = StatsCoverage();
  EXPECT_DOUBLE_EQ(c["point_days_possible"].get<double>(), 30);
  EXPECT_DOUBLE_EQ(c["point_days_observed"].get<double>(), 0.38);  // 9/24, two decimals
  EXPECT_EQ(c["by_point"][0]["point"], "p1");
  EXPECT_TRUE(c["by_point"][0]["recorded"].get<bool>());
}

// A pcapng whose interface statistics say it watched from 01:00 to 23:00 on
// 7 Nov, with packets only from 10:00 to 11:00: the statistics win.
TEST_P(CoverageTest, PcapngInterfaceStatisticsAreTheSpan) {
  const int64_t d7 = kNov1 + 6 * 86400 * kNs;
  Bytes file = PcapngFile({PcapngInterface{}}, Probes(d7 + 10 * kHour, d7 + 11 * kHour, 30 * kNs));
  Bytes isb = StatisticsBlock(d7 + 1 * kHour, d7 + 23 * kHour);
  file.insert(file.end(), isb.begin(), isb.end());
  ASSERT_TRUE(WriteFile(dir_.File("isb.pcapng"), file));
  CommandResult r = Ingest("p1", dir_.File("isb.pcapng"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Intervals()["p1"], (Spans{Span(d7 + kHour, d7 + 23 * kHour)}));
}

// A firewall log with lines of 10 and 11 Nov, none on 12 and 13 Nov, then
// lines of 14 Nov; other programs' lines count as signs of life too.
TEST_P(CoverageTest, LogSpanLessATwoDayGap) {
  const int64_t d10 = kNov1 + 9 * 86400 * kNs, d14 = kNov1 + 13 * 86400 * kNs;
  std::string text;
  int i = 0;
  for (int64_t t = d10; t < d10 + 2 * 86400 * kNs; t += 20 * 60 * kNs) {
    text += LogLine(t, i, i % 3 != 0);  // every third line another program's
    ++i;
  }
  const int64_t last_before = d10 + 2 * 86400 * kNs - 20 * 60 * kNs;
  text += LogLine(last_before + 30 * 60 * kNs, i++, false);  // cron, 30 min later: still alive
  for (int64_t t = d14; t < d14 + 86400 * kNs; t += 20 * 60 * kNs) text += LogLine(t, i++, true);
  ASSERT_TRUE(WriteFile(dir_.File("kern.log"), Bytes(text.begin(), text.end())));
  CommandResult r = Ingest("p1", dir_.File("kern.log"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Intervals()["p1"], (Spans{Span(d10, last_before + 30 * 60 * kNs + 1),
                                      Span(d14, d14 + 86400 * kNs - 20 * 60 * kNs + 1)}));
}

// The operator's add and remove, and a batch taken back with its coverage.
TEST_P(CoverageTest, OperatorStatementsAndForget) {
  const int64_t d2 = kNov1 + 86400 * kNs;
  ASSERT_TRUE(
      WriteFile(dir_.File("a.pcap"), PcapFile(1, Probes(d2, d2 + 86400 * kNs, 10 * 60 * kNs))));
  ASSERT_EQ(Ingest("p1", dir_.File("a.pcap")).exit_code, 0);
  CommandResult r = Run("points --coverage add p1 2026-11-20 2026-11-22");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run("points --coverage remove p1 2026-11-02T06:00:00 2026-11-02T12:00:00");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t last = d2 + 86400 * kNs - 10 * 60 * kNs;
  EXPECT_EQ(Intervals()["p1"], (Spans{Span(d2, d2 + 6 * kHour), Span(d2 + 12 * kHour, last + 1),
                                      Span(kNov1 + 19 * 86400 * kNs, kNov1 + 21 * 86400 * kNs)}));
  // 18 of 24 hours of 2 Nov, and 20-21 Nov whole: 2.75 days.
  EXPECT_DOUBLE_EQ(StatsCoverage()["point_days_observed"].get<double>(), 2.75);
  // Bad statements: exit 2, nothing stored.
  EXPECT_EQ(Run("points --coverage add nosuch 2026-11-01 2026-11-02").exit_code, 2);
  EXPECT_EQ(Run("points --coverage add p1 2026-11-05 2026-11-04").exit_code, 2);
  EXPECT_EQ(Run("points --coverage grow p1 2026-11-01 2026-11-02").exit_code, 2);
  // The file's batch taken back: its coverage goes, the operator's stays.
  r = Run("points --forget-file " + dir_.File("a.pcap"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Intervals()["p1"], (Spans{Span(kNov1 + 19 * 86400 * kNs, kNov1 + 21 * 86400 * kNs)}));
}

INSTANTIATE_TEST_SUITE_P(Backends, CoverageTest, ::testing::Values("sqlite", "clickhouse"));

}  // namespace
}  // namespace scanscope::testing
