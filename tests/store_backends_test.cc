// The three store backends side by side, in process: the in-memory store,
// a SQLite file and a ClickHouse server on loopback are given the same
// generated months through IngestFile, and every answer of the Store
// interface must be the same on all three: points, the ledger, every zone's
// totals and blocks (the ingest zone, and a zone built later from the raw
// records), the raw records themselves, sensor status. The rules that hold for
// every backend (one writer at a time, a batch once, points must exist) are
// checked on each. The binary-level parity test (store_parity_test.cc)
// compares every output of the commands on SQLite and ClickHouse.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "ingest/ingest.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "support/backend_parity.h"
#include "support/clickhouse_server.h"
#include "support/run_command.h"

namespace scanscope::testing {
namespace {

const std::vector<std::string> kMonths = {"2009-03", "2009-04", "2009-05"};

struct Backend {
  std::string name;
  std::unique_ptr<Store> store;
};

// A stable text of everything a store answers for `zone` over the months.
std::string Answers(Store& store, const TimeZone& zone) {
  std::string out;
  EXPECT_TRUE(store.EnsureZone(zone).ok());
  const int32_t first = DaysFromCivil({2009, 2, 25}), last = DaysFromCivil({2009, 6, 5});
  auto totals = store.Totals(zone, first, last);
  EXPECT_TRUE(totals.ok()) << totals.status().message();
  if (!totals.ok()) return out;
  for (const BlockTotal& t : *totals) {
    out +=
        fmt::format("T {} {} {} {} {}\n", t.day, t.point, t.port.ToString(), t.accesses, t.sources);
  }
  Status st =
      store.ScanBlocks(zone, first, last, [&](const std::string& point, const SourceDayBlock& b) {
        out += fmt::format("B {} {} {} {}\n", b.day, point, b.port.ToString(), b.rows.size());
        for (const SourceDayRow& r : b.rows) {
          out += fmt::format("  {} {} {} {}\n", r.source.ToString(), r.accesses, r.first_ns,
                             r.last_ns);
        }
        return Status::Ok();
      });
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

std::string RawRecords(Store& store, const std::string& point, int64_t from, int64_t to) {
  std::vector<std::string> lines;
  Status st = store.ScanRaw(point, from, to, [&](std::span<const AccessRecord> records) {
    for (const AccessRecord& r : records) {
      lines.push_back(fmt::format("{} {} {} {} {} {} {}", r.time_ns, r.source.ToString(),
                                  r.destination.ToString(), r.port_type.ToString(), r.tcp_flags,
                                  r.ttl, r.length));
    }
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.message();
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST(ThreeBackends, MemorySqliteAndClickHouseAnswerAlike) {
  std::string error;
  auto server = ClickHouseServer::Start(&error);
  ASSERT_NE(server, nullptr) << error;
  TempDir dir;
  GeneratedMonths months;
  ASSERT_EQ(GenerateMonths(SCANSCOPE_BINARY, dir.path(), kMonths, 3, 6000, 17, &months), "");

  const TimeZone utc = TimeZone::Utc();
  std::vector<Backend> backends;
  backends.push_back({"memory", NewMemoryStore({utc})});
  auto sqlite = OpenSqliteStore(dir.File("s.db"), {utc});
  ASSERT_TRUE(sqlite.ok()) << sqlite.status().message();
  backends.push_back({"sqlite", std::move(*sqlite)});
  auto options = ParseClickHouseUrl(server->Url(fmt::format("backends_{}", getpid())));
  ASSERT_TRUE(options.ok());
  auto clickhouse = OpenClickHouseStore(*options, {utc});
  ASSERT_TRUE(clickhouse.ok()) << clickhouse.status().message();
  backends.push_back({"clickhouse", std::move(*clickhouse)});

  for (Backend& b : backends) {
    SCOPED_TRACE(b.name);
    for (const std::string& month : kMonths) {
      const std::string capture = dir.File("capture-" + month);
      auto config = LoadConfig(capture + "/scanscope.toml");
      ASSERT_TRUE(config.ok()) << config.status().message();
      for (const MonitoringPoint& p : config->points) {
        ASSERT_TRUE(b.store->PutPoint(p).ok());
        IngestOptions o;
        o.point = p.name;
        o.watched = p.watched;
        auto report = IngestFile(*b.store, o, capture + "/" + p.name + ".pcap");
        ASSERT_TRUE(report.ok()) << report.status().message();
        ASSERT_GT(report->accesses, 0u);
      }
    }
    // A batch once: the same file again is refused before anything is written.
    auto again = b.store->BeginIngest({"point-01:" + std::string(64, '0'), "point-01", "x"});
    ASSERT_TRUE(again.ok());
    again->reset();
    auto ledger = b.store->Ledger();
    ASSERT_TRUE(ledger.ok());
    auto twice = b.store->BeginIngest({(*ledger)[0].batch_id, (*ledger)[0].point, "again"});
    ASSERT_FALSE(twice.ok());
    EXPECT_EQ(twice.status().code(), StatusCode::kAlreadyExists) << twice.status().message();
    // Points must exist; one writer at a time.
    auto unknown = b.store->BeginIngest({"nowhere:1", "nowhere", "x"});
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(b.store->PutPointStatus({"nowhere", 1, "{}"}).code(), StatusCode::kNotFound);
    {
      auto open = b.store->BeginIngest({"point-01:open", "point-01", "x"});
      ASSERT_TRUE(open.ok());
      auto second = b.store->BeginIngest({"point-02:open", "point-02", "x"});
      EXPECT_EQ(second.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(b.store->PutPoint({"p9", {}, ""}).code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(b.store->AddZone(*TimeZone::Find("Europe/Berlin")).code(),
                StatusCode::kInvalidArgument);
    }
    // Only the latest status report of a point is answered.
    ASSERT_TRUE(b.store->PutPointStatus({"point-02", 100, R"({"n":1})"}).ok());
    ASSERT_TRUE(b.store->PutPointStatus({"point-02", 200, R"({"n":2})"}).ok());
  }

  const Backend& ref = backends[0];
  const TimeZone tokyo = *TimeZone::Find("Asia/Tokyo");
  const std::string ref_utc = Answers(*ref.store, utc);
  const std::string ref_tokyo = Answers(*ref.store, tokyo);
  ASSERT_GT(ref_utc.size(), 1000u);
  const int64_t april = int64_t{DaysFromCivil({2009, 4, 1})} * kNanosPerDay;
  const int64_t may10 = int64_t{DaysFromCivil({2009, 5, 10})} * kNanosPerDay;
  for (size_t i = 1; i < backends.size(); ++i) {
    Backend& b = backends[i];
    SCOPED_TRACE(b.name);
    EXPECT_EQ(Answers(*b.store, utc), ref_utc);
    EXPECT_EQ(Answers(*b.store, tokyo), ref_tokyo);  // built from the raw records
    auto zones = b.store->Zones();
    ASSERT_TRUE(zones.ok());
    EXPECT_EQ(*zones, (std::vector<std::string>{"UTC", "Asia/Tokyo"}));
    auto points = b.store->Points();
    auto ref_points = ref.store->Points();
    ASSERT_TRUE(points.ok() && ref_points.ok());
    ASSERT_EQ(points->size(), ref_points->size());
    for (size_t k = 0; k < points->size(); ++k) {
      EXPECT_EQ((*points)[k].name, (*ref_points)[k].name);
      EXPECT_EQ((*points)[k].watched.ToString(), (*ref_points)[k].watched.ToString());
    }
    auto ledger = b.store->Ledger();
    auto ref_ledger = ref.store->Ledger();
    ASSERT_TRUE(ledger.ok() && ref_ledger.ok());
    std::map<std::string, uint64_t> got, want;
    for (const LedgerEntry& e : *ledger) got[e.batch_id] = e.accesses;
    for (const LedgerEntry& e : *ref_ledger) want[e.batch_id] = e.accesses;
    EXPECT_EQ(got, want);
    for (const char* point : {"point-01", "point-02", "point-03"}) {
      EXPECT_EQ(RawRecords(*b.store, point, INT64_MIN, INT64_MAX),
                RawRecords(*ref.store, point, INT64_MIN, INT64_MAX))
          << point;
      const std::string part = RawRecords(*b.store, point, april, may10);
      EXPECT_EQ(part, RawRecords(*ref.store, point, april, may10)) << point;
      EXPECT_FALSE(part.empty()) << point;
    }
    EXPECT_EQ(RawRecords(*b.store, "nowhere", INT64_MIN, INT64_MAX), "");
    auto statuses = b.store->PointStatuses();
    ASSERT_TRUE(statuses.ok());
    ASSERT_EQ(statuses->size(), 1u);
    EXPECT_EQ((*statuses)[0].reported_at_ns, 200);
    EXPECT_EQ((*statuses)[0].status_json, R"({"n":2})");
  }
}

}  // namespace
}  // namespace scanscope::testing
