// Each access counted once per point, whatever files bring it (docs/store.md,
// "Each access once"), end to end through the scanscope binary on SQLite and
// on ClickHouse: a capture ingested three times as it grows, a gzip and a
// plain copy of one capture, a truncated copy before the whole file, a
// firewall log rotated daily and ingested every day with one glob, two files
// that overlap in the middle; look-alike probes in one tick still count. Then
// the store level of the sensors' cases: the same records sent by two
// spools of one point through the collector's writer queue count once. A
// batch can be taken back (points --forget) and stats equal what they were;
// a file that counted nothing is not recorded. Every expectation is the
// test's own count of what it wrote.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collector/ingest_queue.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/sqlite/sqlite_store.h"
#include "support/clickhouse_server.h"
#include "support/packet_builder.h"
#include "support/run_command.h"

namespace scanscope::testing {
namespace {

constexpr int64_t kNs = 1'000'000'000;
const int64_t kNov5 = int64_t{DaysFromCivil({2026, 11, 5})} * 86400 * kNs;

std::string Bin() { return SCANSCOPE_BINARY; }

// SYN probes to 192.0.2.1, one every `step` from `start`, each from its own
// source port and address (so every packet is a different access).
std::vector<CapturedPacket> Probes(int n, int64_t start, int64_t step) {
  std::vector<CapturedPacket> out;
  for (int i = 0; i < n; ++i) {
    V4Address src = V4(fmt::format("198.18.{}.{}", i / 200, i % 200 + 1));
    Bytes syn = Ethernet(
        kEtherIpv4,
        Ipv4({.source = src, .destination = V4("192.0.2.1")},
             Tcp({.source_port = static_cast<uint16_t>(40000 + i), .destination_port = 23})));
    out.push_back({start + i * step, syn});
  }
  return out;
}

// One netfilter LOG line with an RFC 3339 stamp (microseconds, UTC offset).
std::string LogLine(int64_t t_ns, int source, int port) {
  int64_t s = t_ns / kNs;
  int64_t day = s / 86400, sod = s % 86400;
  return fmt::format(
      "{}T{:02d}:{:02d}:{:02d}.{:06d}+00:00 fw1 kernel: DROP-IN: IN=eth0 OUT= "
      "MAC=00:16:3e:00:00:01:00:16:3e:00:00:02:08:00 SRC=198.18.{}.{} DST=192.0.2.1 LEN=60 "
      "TOS=0x00 PREC=0x00 TTL=50 ID={} DF PROTO=TCP SPT={} DPT={} WINDOW=1024 RES=0x00 SYN "
      "URGP=0\n",
      FormatDay(static_cast<int32_t>(day)), sod / 3600, sod / 60 % 60, sod % 60, t_ns % kNs / 1000,
      source / 200, source % 200 + 1, source % 65536, 40000 + source % 20000, port);
}

bool WriteText(const std::string& path, const std::string& text) {
  return WriteFile(path, Bytes(text.begin(), text.end()));
}

bool WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size());
  return gzclose(f) == Z_OK && ok;
}

std::string AsString(const Bytes& b) { return std::string(b.begin(), b.end()); }

class EachAccessOnce : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "clickhouse") {
      std::string error;
      server_ = ClickHouseServer::Start(&error);
      ASSERT_NE(server_, nullptr) << error;
    }
  }

  // A new, empty store of the backend under test.
  std::string NewDb() {
    static std::atomic<int> n{0};
    if (GetParam() == "clickhouse") return server_->Url(fmt::format("once_{}_{}", getpid(), ++n));
    return dir_.File(fmt::format("store-{}.db", ++n));
  }

  CommandResult Ingest(const std::string& db, const std::string& files,
                       const std::string& watch = "192.0.2.1/32") {
    return RunCommand(fmt::format("{} ingest --quiet --db '{}' --tz UTC --point p --watch {} {}",
                                  Bin(), db, watch, files));
  }

  // stats --json of November 2026 (UTC): accesses and sources.
  std::pair<uint64_t, uint64_t> Figures(const std::string& db) {
    CommandResult r =
        RunCommand(fmt::format("{} stats --json --db '{}' --month 2026-11 --tz UTC", Bin(), db));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_object()) return {0, 0};
    return {j["accesses"].get<uint64_t>(), j["sources"].get<uint64_t>()};
  }
  uint64_t Accesses(const std::string& db) { return Figures(db).first; }

  nlohmann::json Batches(const std::string& db) {
    CommandResult r = RunCommand(fmt::format("{} points --batches --json --db '{}'", Bin(), db));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  TempDir dir_;
  std::unique_ptr<ClickHouseServer> server_;
};

TEST_P(EachAccessOnce, GrowingCaptureIngestedThreeTimes) {
  const std::string db = NewDb(), path = dir_.File("grow.pcap");
  std::vector<CapturedPacket> all = Probes(900, kNov5, kNs / 3);
  auto part = [&](size_t n) {
    return PcapFile(1, std::vector<CapturedPacket>(all.begin(), all.begin() + n));
  };
  ASSERT_TRUE(WriteFile(path, part(300)));
  ASSERT_EQ(Ingest(db, path).exit_code, 0);
  EXPECT_EQ(Accesses(db), 300u);
  Bytes mid = part(600);
  mid.resize(mid.size() - 20);  // copied while the 600th record was being written
  ASSERT_TRUE(WriteFile(path, mid));
  CommandResult r = Ingest(db, path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Accesses(db), 599u);
  ASSERT_TRUE(WriteFile(path, part(900)));
  ASSERT_EQ(Ingest(db, path).exit_code, 0);
  EXPECT_EQ(Accesses(db), 900u);
  EXPECT_EQ(Batches(db).size(), 3u);
}

TEST_P(EachAccessOnce, PlainGzipAndTruncatedCopiesOfOneCapture) {
  const std::string db = NewDb();
  Bytes full = PcapFile(1, Probes(900, kNov5, kNs / 3));
  Bytes cut(full.begin(), full.end() - 7);
  ASSERT_TRUE(WriteFile(dir_.File("cut.pcap"), cut));
  ASSERT_TRUE(WriteFile(dir_.File("full.pcap"), full));
  ASSERT_TRUE(WriteGzip(dir_.File("full.pcap.gz"), AsString(full)));
  ASSERT_EQ(Ingest(db, dir_.File("cut.pcap")).exit_code, 0);
  EXPECT_EQ(Accesses(db), 899u);
  CommandResult r = Ingest(db, dir_.File("full.pcap.gz") + " " + dir_.File("full.pcap"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Accesses(db), 900u);
}

TEST_P(EachAccessOnce, DailyRotationIngestedEveryDayWithOneGlob) {
  const std::string db = NewDb();
  // Five days of a log, 240 lines a day; among them, twice a day, two
  // look-alike lines (the same probe twice in one microsecond): both count.
  std::vector<std::string> day_lines(5);
  uint64_t want_full_days = 0;
  for (int d = 0; d < 5; ++d) {
    for (int i = 0; i < 240; ++i) {
      int64_t t = kNov5 + d * 86400 * kNs + i * 360 * kNs + 123'000;
      std::string line = LogLine(t, d * 1000 + i, 22 + i % 3);
      day_lines[d] += line;
      if (i == 10 || i == 200) day_lines[d] += line;  // its look-alike
    }
  }
  auto half = [&](int d) {  // the day's lines before noon
    const std::string& s = day_lines[d];
    size_t at = 0;
    for (int n = 0; n < 121; ++n) at = s.find('\n', at) + 1;  // 120 lines + 1 look-alike
    return s.substr(0, at);
  };
  const std::string log = dir_.File("kern.log");
  for (int k = 0; k < 5; ++k) {
    // Noon of day k: kern.log holds the morning, kern.log.1 yesterday,
    // kern.log.2.gz and older the days before, gzipped by logrotate.
    ASSERT_TRUE(WriteText(log, half(k)));
    if (k >= 1) {
      ASSERT_TRUE(WriteText(log + ".1", day_lines[k - 1]));
    }
    for (int back = 2; back <= k; ++back) {
      ASSERT_TRUE(WriteGzip(fmt::format("{}.{}.gz", log, back), day_lines[k - back]));
    }
    CommandResult r = Ingest(db, log + "*");
    ASSERT_EQ(r.exit_code, 0) << "day " << k << ": " << r.err;
    // Full days before k, and the morning of day k (121 accesses).
    want_full_days = 242u * static_cast<uint64_t>(k);
    EXPECT_EQ(Accesses(db), want_full_days + 121u) << "after day " << k;
  }
}

TEST_P(EachAccessOnce, TwoFilesThatOverlapInTheMiddle) {
  const std::string db = NewDb();
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) lines.push_back(LogLine(kNov5 + i * 7 * kNs, i, 445));
  // Look-alike pairs before, inside and after the overlap.
  for (int i : {100, 450, 550, 900}) lines.insert(lines.begin() + i, lines[i]);
  // 1004 lines now; the overlap holds lines 400..604 of them.
  std::string a, b;
  for (size_t i = 0; i < 605; ++i) a += lines[i];
  for (size_t i = 400; i < lines.size(); ++i) b += lines[i];
  ASSERT_TRUE(WriteText(dir_.File("a.log"), a));
  ASSERT_TRUE(WriteText(dir_.File("b.log"), b));
  ASSERT_EQ(Ingest(db, dir_.File("a.log")).exit_code, 0);
  EXPECT_EQ(Accesses(db), 605u);
  ASSERT_EQ(Ingest(db, dir_.File("b.log")).exit_code, 0);
  EXPECT_EQ(Accesses(db), 1004u);
}

TEST_P(EachAccessOnce, ForgetTakesABatchBackAndStatsAreAsBefore) {
  const std::string db = NewDb();
  ASSERT_TRUE(WriteFile(dir_.File("one.pcap"), PcapFile(1, Probes(300, kNov5, kNs))));
  ASSERT_TRUE(WriteFile(dir_.File("two.pcap"), PcapFile(1, Probes(500, kNov5 + kNs / 2, kNs))));
  ASSERT_EQ(Ingest(db, dir_.File("one.pcap")).exit_code, 0);
  const auto before = Figures(db);
  EXPECT_EQ(before.first, 300u);
  ASSERT_EQ(Ingest(db, dir_.File("two.pcap")).exit_code, 0);
  EXPECT_EQ(Accesses(db), 800u);
  std::string two_id;
  for (const auto& b : Batches(db)) {
    if (b["origin"] == dir_.File("two.pcap")) two_id = b["batch"];
  }
  ASSERT_FALSE(two_id.empty());
  CommandResult r = RunCommand(fmt::format("{} points --db '{}' --forget {}", Bin(), db, two_id));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Figures(db), before);
  EXPECT_EQ(Batches(db).size(), 1u);
  r = RunCommand(fmt::format("{} points --db '{}' --forgotten --json", Bin(), db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto history = nlohmann::json::parse(r.out);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0]["batch"], two_id);
  EXPECT_EQ(history[0]["accesses"], 500);
  // Forgotten, the same file may come in again.
  ASSERT_EQ(Ingest(db, dir_.File("two.pcap")).exit_code, 0);
  EXPECT_EQ(Accesses(db), 800u);
  r = RunCommand(fmt::format("{} points --db '{}' --forget nosuch:batch", Bin(), db));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nosuch:batch"), std::string::npos) << r.err;
}

TEST_P(EachAccessOnce, AFileThatCountedNothingIsNotRecorded) {
  const std::string db = NewDb();
  ASSERT_TRUE(WriteFile(dir_.File("one.pcap"), PcapFile(1, Probes(40, kNov5, kNs))));
  // A watch that matches nothing: exit 1 with the counts, no ledger row ...
  CommandResult r = Ingest(db, dir_.File("one.pcap"), "203.0.113.9/32");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("0 accesses"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not recorded"), std::string::npos) << r.err;
  // ... so that the right one still can.
  r = Ingest(db, dir_.File("one.pcap"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Accesses(db), 40u);
  // A text file named .pcap is not taken for an empty firewall log.
  ASSERT_TRUE(WriteText(dir_.File("README.pcap"), "# How to read these captures\nsee docs\n"));
  r = Ingest(db, dir_.File("README.pcap"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not recognised"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("# How to read these captures"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(dir_.File("README.pcap") + ": " + dir_.File("README.pcap")),
            std::string::npos)
      << "the file is named once: " << r.err;
  EXPECT_EQ(Batches(db).size(), 1u);
}

// Two sensors of one point, or one restarted with a fresh spool, send the
// same log lines under different batch ids: the collector's writer stores
// each access once.
TEST_P(EachAccessOnce, TwoSpoolsOfOnePointThroughTheCollectorQueue) {
  const std::string db = NewDb();
  Result<std::unique_ptr<Store>> store =
      GetParam() == "clickhouse" ? OpenClickHouseStore(*ParseClickHouseUrl(db), {TimeZone::Utc()})
                                 : OpenSqliteStore(db, {TimeZone::Utc()});
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE((*store)->PutPoint({"p", *PrefixSet::Parse("192.0.2.1/32"), ""}).ok());
  std::vector<AccessRecord> records;
  for (int i = 0; i < 2000; ++i) {
    AccessRecord r;
    r.time_ns = kNov5 + i * 3 * kNs;
    r.source = IpAddress::FromV4(0xC6120000u + static_cast<uint32_t>(i % 700));
    r.destination = IpAddress::FromV4(0xC0000201);
    r.port_type = PortType::Tcp(static_cast<uint16_t>(22 + i % 2));
    records.push_back(r);
  }
  IngestQueue queue(store->get(), 4);
  auto send = [&](const std::string& id, size_t from, size_t to) {
    WireBatch b{"p", id, std::vector<AccessRecord>(records.begin() + from, records.begin() + to)};
    auto done = queue.SubmitBatch(std::move(b), "test");
    ASSERT_TRUE(done.has_value());
    ASSERT_TRUE(done->get().ok());
  };
  send("p/spool-a/1", 0, 1200);
  send("p/spool-b/1", 0, 800);     // a second sensor: its lines were shipped already
  send("p/spool-b/2", 800, 2000);  // ... and then some the first never sent
  queue.Stop();
  uint64_t stored = 0;
  auto totals = (*store)->Totals(TimeZone::Utc(), DaysFromCivil({2026, 11, 1}),
                                 DaysFromCivil({2026, 11, 30}));
  ASSERT_TRUE(totals.ok());
  for (const BlockTotal& t : *totals) stored += t.accesses;
  EXPECT_EQ(stored, 2000u);
}

INSTANTIATE_TEST_SUITE_P(Backends, EachAccessOnce, ::testing::Values("sqlite", "clickhouse"));

}  // namespace
}  // namespace scanscope::testing
