#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "store/memory_store.h"

namespace scanscope {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "scanscope_store_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

TimeZone Zone(const char* name) { return TimeZone::Find(name).value(); }

int64_t Utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return (int64_t{DaysFromCivil({y, m, d})} * 86400 + hh * 3600 + mm * 60 + ss) * kNanosPerSecond;
}

AccessRecord Rec(int64_t t, uint32_t src, PortType port = PortType::Tcp(445)) {
  AccessRecord r;
  r.time_ns = t;
  r.source = IpAddress::FromV4(src);
  r.destination = IpAddress::FromV4(0xC0000201);
  r.port_type = port;
  r.tcp_flags = kTcpSyn;
  r.ttl = 110;
  r.length = 48;
  return r;
}

MonitoringPoint Point(const std::string& name) {
  return MonitoringPoint{name, *PrefixSet::Parse("192.0.2.1"), "test " + name};
}

Status Ingest(Store& store, const std::string& batch, const std::string& point,
              const std::vector<AccessRecord>& recs) {
  auto w = store.BeginIngest({batch, point, "test:" + batch});
  if (!w.ok()) return w.status();
  SCANSCOPE_RETURN_IF_ERROR((*w)->Add(recs));
  return (*w)->Commit("{\"batch\":\"" + batch + "\"}");
}

// (day, point, port text) -> (accesses, sources), from Totals.
using Figures =
    std::map<std::tuple<int32_t, std::string, std::string>, std::pair<uint64_t, uint64_t>>;

Figures TotalsOf(Store& store, const TimeZone& zone, int32_t first, int32_t last) {
  auto t = store.Totals(zone, first, last);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  Figures f;
  if (!t.ok()) return f;
  for (const BlockTotal& b : *t) f[{b.day, b.point, b.port.ToString()}] = {b.accesses, b.sources};
  return f;
}

const int32_t kMar7 = DaysFromCivil({2009, 3, 7});
const int32_t kMar8 = kMar7 + 1;
const int32_t kMar9 = kMar7 + 2;

TEST(SqliteStore, IngestReingestAndReopen) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  const TimeZone utc = TimeZone::Utc();
  {
    auto store = OpenSqliteStore(path, {utc});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->PutPoint(Point("p1")).ok());
    // 3 accesses from .1 and 1 from .2 on 445/tcp; 2 from .1 on ICMP.
    std::vector<AccessRecord> recs = {Rec(Utc(2009, 3, 8, 1, 0), 1),
                                      Rec(Utc(2009, 3, 8, 2, 0), 1),
                                      Rec(Utc(2009, 3, 8, 0, 30), 1),
                                      Rec(Utc(2009, 3, 8, 5, 0), 2),
                                      Rec(Utc(2009, 3, 8, 6, 0), 1, PortType::Icmp()),
                                      Rec(Utc(2009, 3, 8, 7, 0), 1, PortType::Icmp())};
    ASSERT_TRUE(Ingest(**store, "b1", "p1", recs).ok());
    Status again = Ingest(**store, "b1", "p1", recs);
    EXPECT_TRUE(again.IsAlreadyExists()) << again.ToString();
    EXPECT_TRUE(Ingest(**store, "b9", "nope", recs).IsNotFound());
  }
  auto store = OpenSqliteStore(path, {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Figures want = {{{kMar8, "p1", "445/tcp"}, {4, 2}}, {{kMar8, "p1", "ICMP"}, {2, 1}}};
  EXPECT_EQ(TotalsOf(**store, utc, kMar7, kMar9), want);
  EXPECT_TRUE(Ingest(**store, "b1", "p1", {Rec(Utc(2009, 3, 8, 1, 0), 7)}).IsAlreadyExists());
  EXPECT_EQ(TotalsOf(**store, utc, kMar7, kMar9), want);
  auto ledger = (*store)->Ledger();
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 1u);
  EXPECT_EQ((*ledger)[0].batch_id, "b1");
  EXPECT_EQ((*ledger)[0].accesses, 6u);
  EXPECT_EQ((*ledger)[0].summary_json, "{\"batch\":\"b1\"}");
  auto points = (*store)->Points();
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 1u);
  EXPECT_EQ((*points)[0].watched.ToString(), "192.0.2.1/32");
  EXPECT_EQ((*points)[0].description, "test p1");
  // Rows of the 445/tcp block, by hand.
  std::vector<SourceDayRow> rows;
  ASSERT_TRUE((*store)
                  ->ScanBlocks(utc, kMar8, kMar8,
                               [&](const std::string& p, const SourceDayBlock& b) {
                                 if (p == "p1" && b.port == PortType::Tcp(445)) rows = b.rows;
                                 return Status::Ok();
                               })
                  .ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].source, IpAddress::FromV4(1));
  EXPECT_EQ(rows[0].accesses, 3u);
  EXPECT_EQ(rows[0].first_ns, Utc(2009, 3, 8, 0, 30));
  EXPECT_EQ(rows[0].last_ns, Utc(2009, 3, 8, 2, 0));
  EXPECT_EQ(rows[1].accesses, 1u);
}

TEST(SqliteStore, ArgumentAndWriterErrors) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("s.db"), {TimeZone::Utc()});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->PutPoint(Point("")).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*store)->PutPoint(Point("p")).ok());
  EXPECT_EQ((*store)->BeginIngest({"", "p", ""}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->Totals(TimeZone::Utc(), 5, 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*store)->Totals(Zone("Asia/Tokyo"), 0, 4).status().IsNotFound());
  auto w = (*store)->BeginIngest({"b", "p", ""});
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE((*store)->BeginIngest({"c", "p", ""}).ok());  // one writer at a time
  ASSERT_TRUE((*w)->Add(std::vector<AccessRecord>{Rec(Utc(2009, 3, 8, 1, 0), 1)}).ok());
  ASSERT_TRUE((*w)->Commit("{}").ok());
  EXPECT_FALSE((*w)->Commit("{}").ok());
  EXPECT_FALSE((*w)->Add(std::vector<AccessRecord>{Rec(Utc(2009, 3, 8, 1, 0), 1)}).ok());
  w = Result<std::unique_ptr<IngestWriter>>(Status::Internal("drop"));
  // A writer dropped without Commit changes nothing.
  {
    auto w2 = (*store)->BeginIngest({"d", "p", ""});
    ASSERT_TRUE(w2.ok());
    ASSERT_TRUE((*w2)->Add(std::vector<AccessRecord>{Rec(Utc(2009, 3, 8, 1, 0), 1)}).ok());
  }
  Figures want = {{{kMar8, "p", "445/tcp"}, {1, 1}}};
  EXPECT_EQ(TotalsOf(**store, TimeZone::Utc(), kMar8, kMar8), want);
  EXPECT_EQ((*store)->Ledger()->size(), 1u);
}

TEST(SqliteStore, OverlappingBatchesCountSourcesOnce) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("s.db"), {TimeZone::Utc()});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->PutPoint(Point("p")).ok());
  // Batch a: sources 1,2,3; batch b: sources 2,3,4 on the same day and port.
  ASSERT_TRUE(Ingest(**store, "a", "p",
                     {Rec(Utc(2009, 3, 8, 1, 0), 1), Rec(Utc(2009, 3, 8, 1, 0), 2),
                      Rec(Utc(2009, 3, 8, 1, 0), 3)})
                  .ok());
  ASSERT_TRUE(Ingest(**store, "b", "p",
                     {Rec(Utc(2009, 3, 8, 2, 0), 2), Rec(Utc(2009, 3, 8, 3, 0), 3),
                      Rec(Utc(2009, 3, 8, 0, 10), 3), Rec(Utc(2009, 3, 8, 4, 0), 4)})
                  .ok());
  Figures want = {{{kMar8, "p", "445/tcp"}, {7, 4}}};
  EXPECT_EQ(TotalsOf(**store, TimeZone::Utc(), kMar8, kMar8), want);
  std::vector<SourceDayRow> rows;
  ASSERT_TRUE((*store)
                  ->ScanBlocks(TimeZone::Utc(), kMar8, kMar8,
                               [&](const std::string&, const SourceDayBlock& b) {
                                 rows = b.rows;
                                 return Status::Ok();
                               })
                  .ok());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2].source, IpAddress::FromV4(3));
  EXPECT_EQ(rows[2].accesses, 3u);
  EXPECT_EQ(rows[2].first_ns, Utc(2009, 3, 8, 0, 10));
  EXPECT_EQ(rows[2].last_ns, Utc(2009, 3, 8, 3, 0));
}

// New York leaves EST (UTC-5) for EDT (UTC-4) at 2009-03-08 02:00 local.
// Tokyo is UTC+9 all year. Days below are worked out by hand.
std::vector<AccessRecord> DstRecords() {
  const uint32_t a = 0x0A000001, b = 0x0A000002;
  return {
      Rec(Utc(2009, 3, 7, 15, 30), b),      // UTC 3/7; Tokyo 3/8 00:30; NY 3/7 10:30 EST
      Rec(Utc(2009, 3, 8, 3, 30), a),       // UTC 3/8; Tokyo 3/8 12:30; NY 3/7 22:30 EST
      Rec(Utc(2009, 3, 8, 6, 30), a),       // UTC 3/8; Tokyo 3/8 15:30; NY 3/8 01:30 EST
      Rec(Utc(2009, 3, 8, 14, 59, 59), b),  // UTC 3/8; Tokyo 3/8 23:59:59; NY 3/8 10:59 EDT
      Rec(Utc(2009, 3, 8, 15, 0), b),       // UTC 3/8; Tokyo 3/9 00:00; NY 3/8 11:00 EDT
      Rec(Utc(2009, 3, 9, 4, 30), b),       // UTC 3/9; Tokyo 3/9 13:30; NY 3/9 00:30 EDT
  };
}

Figures DstWant(const std::string& zone) {
  const std::string port = "445/tcp";
  if (zone == "UTC") {
    return {
        {{kMar7, "p", port}, {1, 1}}, {{kMar8, "p", port}, {4, 2}}, {{kMar9, "p", port}, {1, 1}}};
  }
  if (zone == "Asia/Tokyo") {
    return {{{kMar8, "p", port}, {4, 2}}, {{kMar9, "p", port}, {2, 1}}};
  }
  return {{{kMar7, "p", port}, {2, 2}}, {{kMar8, "p", port}, {3, 2}}, {{kMar9, "p", port}, {1, 1}}};
}

TEST(SqliteStore, DaysInZonesAcrossDst) {
  TempDir dir;
  std::vector<TimeZone> zones = {TimeZone::Utc(), Zone("Asia/Tokyo"), Zone("America/New_York")};
  auto store = OpenSqliteStore(dir.File("s.db"), zones);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->PutPoint(Point("p")).ok());
  ASSERT_TRUE(Ingest(**store, "dst", "p", DstRecords()).ok());
  for (const TimeZone& z : zones) {
    EXPECT_EQ(TotalsOf(**store, z, kMar7 - 1, kMar9 + 1), DstWant(z.name())) << z.name();
  }
}

// (day, point, port code) -> rows, from ScanBlocks, checking the order.
using Scan = std::map<std::tuple<int32_t, std::string, uint32_t>, std::vector<SourceDayRow>>;
Scan ScanOf(Store& store, const TimeZone& zone, int32_t first, int32_t last,
            std::vector<std::tuple<int32_t, std::string, uint32_t>>* order = nullptr) {
  Scan out;
  Status st =
      store.ScanBlocks(zone, first, last, [&](const std::string& p, const SourceDayBlock& b) {
        out[{b.day, p, b.port.Code()}] = b.rows;
        if (order) order->push_back({b.day, p, b.port.Code()});
        return Status::Ok();
      });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

bool SameRows(const Scan& a, const Scan& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first || i->second.size() != j->second.size()) return false;
    for (size_t k = 0; k < i->second.size(); ++k) {
      const SourceDayRow &x = i->second[k], &y = j->second[k];
      if (!(x.source == y.source) || x.accesses != y.accesses || x.first_ns != y.first_ns ||
          x.last_ns != y.last_ns) {
        return false;
      }
    }
  }
  return true;
}

TEST(SqliteStore, EnsureZoneMatchesKeptFromStart) {
  TempDir dir;
  std::vector<TimeZone> zones = {TimeZone::Utc(), Zone("Asia/Tokyo"), Zone("America/New_York")};
  auto kept = OpenSqliteStore(dir.File("kept.db"), zones);
  auto later = OpenSqliteStore(dir.File("later.db"), {TimeZone::Utc()});
  ASSERT_TRUE(kept.ok() && later.ok());
  std::mt19937_64 rng(1);
  for (Store* s : {kept->get(), later->get()}) {
    ASSERT_TRUE(s->PutPoint(Point("p")).ok());
    ASSERT_TRUE(s->PutPoint(Point("q")).ok());
  }
  for (int batch = 0; batch < 6; ++batch) {
    std::vector<AccessRecord> recs;
    for (int i = 0; i < 20000; ++i) {
      recs.push_back(Rec(
          Utc(2009, 3, 1, 0, 0) + static_cast<int64_t>(rng() % (20ull * 86400)) * kNanosPerSecond,
          static_cast<uint32_t>(rng() % 3000),
          rng() % 2 ? PortType::Tcp(445) : PortType::Udp(1434)));
    }
    const std::string point = batch % 2 ? "p" : "q";
    ASSERT_TRUE(Ingest(**kept, "b" + std::to_string(batch), point, recs).ok());
    ASSERT_TRUE(Ingest(**later, "b" + std::to_string(batch), point, recs).ok());
  }
  const int32_t first = DaysFromCivil({2009, 2, 27}), last = DaysFromCivil({2009, 3, 25});
  for (const TimeZone& z : zones) {
    ASSERT_TRUE((*later)->EnsureZone(z).ok());
    EXPECT_EQ(TotalsOf(**kept, z, first, last), TotalsOf(**later, z, first, last)) << z.name();
    EXPECT_TRUE(SameRows(ScanOf(**kept, z, first, last), ScanOf(**later, z, first, last)));
  }
  EXPECT_TRUE((*later)->AddZone(Zone("Asia/Tokyo")).IsAlreadyExists());
  auto names = (*later)->Zones();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"UTC", "Asia/Tokyo", "America/New_York"}));
}

TEST(SqliteStore, AddZoneRefusesWhenRawRecordsWereDeleted) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    auto store = OpenSqliteStore(path, {TimeZone::Utc()});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutPoint(Point("p")).ok());
    ASSERT_TRUE(Ingest(**store, "old", "p", DstRecords()).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM raw_chunks", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenSqliteStore(path, {});
  ASSERT_TRUE(store.ok());
  Status st = (*store)->EnsureZone(Zone("Asia/Tokyo"));
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_NE(st.message().find("retention"), std::string::npos) << st.message();
  EXPECT_EQ((*store)->Zones()->size(), 1u);  // nothing half-added
}

TEST(SqliteStore, ClearErrorsForForeignNewerAndCorruptFiles) {
  TempDir dir;
  {
    std::ofstream(dir.File("text.db")) << "hello, this is not a database at all\n";
    auto s = OpenSqliteStore(dir.File("text.db"), {});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("text.db: not a scanscope store"), std::string::npos)
        << s.status().message();
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.File("other.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto s = OpenSqliteStore(dir.File("other.db"), {});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("not a scanscope store"), std::string::npos);
  }
  const std::string path = dir.File("s.db");
  {
    auto store = OpenSqliteStore(path, {TimeZone::Utc()});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutPoint(Point("p")).ok());
    ASSERT_TRUE(Ingest(**store, "x", "p", DstRecords()).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string damage =
      "UPDATE blocks SET rows = randomblob(length(rows)) WHERE day = " + std::to_string(kMar8);
  ASSERT_EQ(sqlite3_exec(db, damage.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  {
    auto store = OpenSqliteStore(path, {});
    ASSERT_TRUE(store.ok());
    // Totals read only the totals; the damaged rows surface in ScanBlocks.
    EXPECT_TRUE((*store)->Totals(TimeZone::Utc(), kMar7, kMar9).ok());
    Status st = (*store)->ScanBlocks(
        TimeZone::Utc(), kMar7, kMar9,
        [](const std::string&, const SourceDayBlock&) { return Status::Ok(); });
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
    EXPECT_NE(st.message().find("s.db: table blocks, key (zone 1, day 2009-03-08"),
              std::string::npos)
        << st.message();
    EXPECT_EQ(st.message().find('\n'), std::string::npos);
  }
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value='99' WHERE key='schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenSqliteStore(path, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("schema version 99 is newer"), std::string::npos);
}

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return "cannot open";
  std::string result;
  sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] ? values[0] : "";
        return 0;
      },
      &result, nullptr);
  sqlite3_close(db);
  return result;
}

TEST(SqliteStore, KilledIngestLeavesStoreAsBefore) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  std::vector<TimeZone> zones = {TimeZone::Utc(), Zone("Asia/Tokyo")};
  Figures before;
  {
    auto store = OpenSqliteStore(path, zones);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutPoint(Point("p")).ok());
    ASSERT_TRUE(Ingest(**store, "first", "p", DstRecords()).ok());
    before = TotalsOf(**store, TimeZone::Utc(), kMar7 - 30, kMar9 + 30);
  }
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(ready[0]);
    auto store = OpenSqliteStore(path, {});
    if (!store.ok()) _exit(2);
    auto w = (*store)->BeginIngest({"second", "p", "child"});
    if (!w.ok()) _exit(3);
    std::vector<AccessRecord> recs;
    for (uint32_t i = 0; i < 400000; ++i) {
      recs.push_back(Rec(Utc(2009, 3, 8, 0, 0) + int64_t{i} * 1000000, i % 50000));
    }
    for (int round = 0; round < 3; ++round) {
      if (!(*w)->Add(recs).ok()) _exit(4);
    }
    char c = 'r';
    if (write(ready[1], &c, 1) != 1) _exit(5);
    for (;;) pause();  // killed here, mid-ingest
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus));
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);

  EXPECT_EQ(IntegrityCheck(path), "ok");
  auto store = OpenSqliteStore(path, {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(TotalsOf(**store, TimeZone::Utc(), kMar7 - 30, kMar9 + 30), before);
  auto ledger = (*store)->Ledger();
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ(ledger->size(), 1u);
  // The killed batch can be ingested now, and counts.
  ASSERT_TRUE(Ingest(**store, "second", "p", {Rec(Utc(2009, 3, 8, 1, 0), 77)}).ok());
  EXPECT_EQ(IntegrityCheck(path), "ok");
}

// The same operations on both backends give identical answers, which also
// match a computation done here.
TEST(StoreBackends, SqliteAndMemoryAgree) {
  TempDir dir;
  std::vector<TimeZone> zones = {Zone("Asia/Tokyo")};
  auto sql = OpenSqliteStore(dir.File("s.db"), zones);
  ASSERT_TRUE(sql.ok());
  std::unique_ptr<Store> mem = NewMemoryStore(zones);
  std::vector<Store*> stores = {sql->get(), mem.get()};
  std::mt19937_64 rng(99);
  std::map<std::tuple<int32_t, std::string, uint32_t>, std::map<IpAddress, uint64_t>> want;
  const TimeZone tokyo = Zone("Asia/Tokyo");
  std::vector<std::pair<std::string, std::vector<AccessRecord>>> batches;
  for (int batch = 0; batch < 8; ++batch) {
    std::string point = "pt" + std::to_string(batch % 3);
    std::vector<AccessRecord> recs;
    for (int i = 0; i < 5000; ++i) {
      int64_t t = Utc(2009, 5, 1, 0, 0) - 9 * 3600 * kNanosPerSecond +
                  static_cast<int64_t>(rng() % (31ull * 86400 * kNanosPerSecond));
      AccessRecord r = Rec(t, static_cast<uint32_t>(rng() % 700),
                           rng() % 3 == 0 ? PortType::Icmp() : PortType::Tcp(22));
      if (i % 97 == 0) r.source = *IpAddress::Parse("2001:db8::" + std::to_string(rng() % 9));
      recs.push_back(r);
      // Tokyo is UTC+9 without DST: the local day by hand.
      int32_t day = static_cast<int32_t>((t / kNanosPerSecond + 9 * 3600) / 86400);
      ++want[{day, point, r.port_type.Code()}][r.source];
    }
    batches.push_back({point, recs});
  }
  for (Store* s : stores) {
    for (const char* p : {"pt2", "pt0", "pt1"}) ASSERT_TRUE(s->PutPoint(Point(p)).ok());
  }
  // Different batch orders per backend, one batch re-sent.
  for (size_t i = 0; i < batches.size(); ++i) {
    ASSERT_TRUE(
        Ingest(*stores[0], "b" + std::to_string(i), batches[i].first, batches[i].second).ok());
    size_t j = batches.size() - 1 - i;
    ASSERT_TRUE(
        Ingest(*stores[1], "b" + std::to_string(j), batches[j].first, batches[j].second).ok());
  }
  for (Store* s : stores) {
    EXPECT_TRUE(Ingest(*s, "b3", batches[3].first, batches[3].second).IsAlreadyExists());
  }
  const int32_t may1 = DaysFromCivil({2009, 5, 1});
  auto t0 = stores[0]->Totals(tokyo, may1 - 1, may1 + 31);
  auto t1 = stores[1]->Totals(tokyo, may1 - 1, may1 + 31);
  ASSERT_TRUE(t0.ok() && t1.ok());
  ASSERT_EQ(t0->size(), want.size());
  ASSERT_EQ(t1->size(), want.size());
  auto w = want.begin();
  for (size_t i = 0; i < t0->size(); ++i, ++w) {
    const BlockTotal &a = (*t0)[i], &b = (*t1)[i];
    EXPECT_EQ(a.day, b.day);
    EXPECT_EQ(a.point, b.point);
    EXPECT_EQ(a.port, b.port);
    EXPECT_EQ(a.accesses, b.accesses);
    EXPECT_EQ(a.sources, b.sources);
    EXPECT_EQ(a.day, std::get<0>(w->first));
    EXPECT_EQ(a.point, std::get<1>(w->first));
    EXPECT_EQ(a.port.Code(), std::get<2>(w->first));
    uint64_t acc = 0;
    for (auto& [src, n] : w->second) acc += n;
    EXPECT_EQ(a.accesses, acc);
    EXPECT_EQ(a.sources, w->second.size());
  }
  std::vector<std::tuple<int32_t, std::string, uint32_t>> o0, o1;
  Scan s0 = ScanOf(*stores[0], tokyo, may1 - 1, may1 + 31, &o0);
  Scan s1 = ScanOf(*stores[1], tokyo, may1 - 1, may1 + 31, &o1);
  EXPECT_TRUE(SameRows(s0, s1));
  EXPECT_EQ(o0, o1);
  EXPECT_TRUE(std::is_sorted(o0.begin(), o0.end()));
  // A zone built later from raw records agrees too.
  for (Store* s : stores) ASSERT_TRUE(s->EnsureZone(Zone("America/New_York")).ok());
  EXPECT_TRUE(SameRows(ScanOf(*stores[0], Zone("America/New_York"), may1 - 2, may1 + 31),
                       ScanOf(*stores[1], Zone("America/New_York"), may1 - 2, may1 + 31)));
  EXPECT_EQ(*stores[0]->Zones(), *stores[1]->Zones());
  auto l0 = stores[0]->Ledger();
  auto l1 = stores[1]->Ledger();
  EXPECT_EQ(l0->size(), 8u);
  EXPECT_EQ(l1->size(), 8u);
}

}  // namespace
}  // namespace scanscope

namespace scanscope {
namespace {

// PutPointStatus replaces a point's last report, survives reopening (SQLite),
// refuses unknown points, and both backends answer the same.
TEST(StoreBackends, PointStatusReplacesAndPersists) {
  TempDir dir;
  const std::string path = dir.File("status.db");
  auto check = [](Store* store) {
    EXPECT_TRUE(store->PointStatuses()->empty());
    ASSERT_TRUE(store->PutPoint(Point("p1")).ok());
    ASSERT_TRUE(store->PutPoint(Point("p2")).ok());
    EXPECT_EQ(store->PutPointStatus({"nope", 1, "{}"}).code(), StatusCode::kNotFound);
    EXPECT_EQ(store->PutPointStatus({"", 1, "{}"}).code(), StatusCode::kInvalidArgument);
    ASSERT_TRUE(store->PutPointStatus({"p2", 10, R"({"spool_bytes":1})"}).ok());
    ASSERT_TRUE(store->PutPointStatus({"p1", 11, R"({"spool_bytes":2})"}).ok());
    ASSERT_TRUE(store->PutPointStatus({"p2", 12, R"({"spool_bytes":3})"}).ok());
    auto got = store->PointStatuses();
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 2u);
    EXPECT_EQ((*got)[0].point, "p1");
    EXPECT_EQ((*got)[0].reported_at_ns, 11);
    EXPECT_EQ((*got)[1].point, "p2");
    EXPECT_EQ((*got)[1].reported_at_ns, 12);
    EXPECT_EQ((*got)[1].status_json, R"({"spool_bytes":3})");
  };
  {
    auto store = OpenSqliteStore(path, {TimeZone::Utc()});
    ASSERT_TRUE(store.ok());
    check(store->get());
  }
  auto memory = NewMemoryStore({TimeZone::Utc()});
  check(memory.get());
  auto reopened = OpenSqliteStore(path, {TimeZone::Utc()});
  ASSERT_TRUE(reopened.ok());
  auto got = (*reopened)->PointStatuses();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].status_json, R"({"spool_bytes":3})");
}

}  // namespace
}  // namespace scanscope
