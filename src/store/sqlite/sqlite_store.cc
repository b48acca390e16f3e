#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "common/clock.h"
#include "store/raw_chunk.h"
#include "store/sqlite/sqlite_db.h"

namespace scanscope {
namespace {

using sqlite_internal::Db;
using sqlite_internal::Scope;
using sqlite_internal::Statement;

constexpr int kSchemaVersion = 1;
constexpr int32_t kApplicationId = 0x53534350;  // "SSCP"

constexpr std::string_view kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE points(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                    watched TEXT NOT NULL, description TEXT NOT NULL);
CREATE TABLE zones(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
-- A rowid table, so that the blobs of a new batch append at the end of the
-- file instead of splitting pages that hold other points' blobs; the key
-- and the totals live in small indexes.
CREATE TABLE blocks(id INTEGER PRIMARY KEY, zone INTEGER NOT NULL, day INTEGER NOT NULL,
                    point INTEGER NOT NULL, port INTEGER NOT NULL, accesses INTEGER NOT NULL,
                    sources INTEGER NOT NULL, rows BLOB NOT NULL,
                    UNIQUE(zone, day, point, port));
CREATE INDEX blocks_totals ON blocks(zone, day, point, port, accesses, sources);
CREATE TABLE raw_chunks(id INTEGER PRIMARY KEY, point INTEGER NOT NULL, batch TEXT NOT NULL,
                        first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,
                        count INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX raw_chunks_point ON raw_chunks(point, first_ns);
-- The longest time span of any raw chunk of a point: a look for the chunks
-- that may hold [from, to) reads the index from first_ns >= from - span.
CREATE TABLE raw_spans(point INTEGER PRIMARY KEY, max_span_ns INTEGER NOT NULL);
CREATE TABLE ledger(batch_id TEXT PRIMARY KEY, point TEXT NOT NULL, origin TEXT NOT NULL,
                    ingested_at INTEGER NOT NULL, accesses INTEGER NOT NULL,
                    summary_json TEXT NOT NULL);
)sql";

// Coverage entries (store.h): made on open where missing, so that stores
// written before coverage existed gain the table.
constexpr std::string_view kCoverageTable =
    "CREATE TABLE IF NOT EXISTS coverage(point TEXT NOT NULL, kind INTEGER NOT NULL, "
    "from_ns INTEGER NOT NULL, to_ns INTEGER NOT NULL, origin TEXT NOT NULL, "
    "recorded_at INTEGER NOT NULL); "
    "CREATE INDEX IF NOT EXISTS coverage_origin ON coverage(origin);";

class SqliteWriter;

class SqliteStore : public Store {
 public:
  Status Open(const std::string& path, const std::vector<TimeZone>& default_zones);

  Result<std::vector<MonitoringPoint>> Points() override;
  Result<std::vector<LedgerEntry>> Ledger() override;
  Result<std::vector<std::string>> Zones() override;

 protected:
  std::string Name() const override { return db_.path(); }

 private:
  friend class SqliteWriter;

  Status DoPutPoint(const MonitoringPoint& point) override;
  Result<bool> DoHasPoint(const std::string& point) override;
  Result<std::optional<std::string>> DoFindBatch(const std::string& batch_id) override;
  Result<std::unique_ptr<IngestWriter>> DoBeginIngest(const BatchInfo& info,
                                                      std::vector<TimeZone> zones) override;
  Status DoScanRaw(const std::string& point, int64_t from_ns, int64_t to_ns,
                   const RawVisitor& visit) override;
  Result<std::map<std::string, uint64_t>> DoRawRecordsByBatch() override;
  Status DoStoreZone(const TimeZone& zone,
                     const std::function<Status(const ZoneBlockSink&)>& build) override;
  Status DoForget(const LedgerEntry& batch, const ZoneDaysBuilder& rebuild) override;
  Result<std::vector<ForgottenBatch>> DoForgotten() override;
  Status DoAddCoverage(const std::vector<CoverageEntry>& entries) override;
  Result<std::vector<CoverageEntry>> DoCoverageEntries() override;
  // Inserts coverage rows in the open transaction.
  Status InsertCoverage(const std::vector<CoverageEntry>& entries);
  Status InsertCoverage(const std::string& point, const IntervalSet& watched,
                        const std::string& origin);
  Result<std::vector<BlockTotal>> DoTotals(const std::string& zone, int32_t first_day,
                                           int32_t last_day) override;
  Status DoScanBlocks(const std::string& zone, int32_t first_day, int32_t last_day,
                      const BlockVisitor& visit) override;
  Status DoPutPointStatus(const PointStatus& status) override;
  Result<std::vector<PointStatus>> DoPointStatuses() override;

  Status CheckOrCreateSchema(const std::vector<TimeZone>& default_zones);
  // Stores made before raw_spans existed get it, filled from their chunks.
  Status AddRawSpans();
  Status PrepareStatements();
  Status Rollback() { return db_.Exec("ROLLBACK"); }
  Result<int64_t> ZoneId(const std::string& zone);
  Result<int64_t> PointId(const std::string& point);
  Result<std::map<int64_t, std::string>> PointNames();
  // Stores `block` of (zone, point) merging by addition with a stored block of
  // the same key. Inside a write transaction.
  Status PutBlock(int64_t zone, int64_t point, const SourceDayBlock& block);
  // Decodes a stored block's rows and checks them against its totals.
  Status DecodeStored(std::string_view blob, int64_t zone, int32_t day, int64_t point,
                      uint32_t port, uint64_t accesses, uint64_t sources,
                      std::vector<SourceDayRow>* rows);

  Db db_;
  Statement insert_block_, select_block_, update_block_, insert_raw_, insert_ledger_, find_ledger_,
      find_point_, find_zone_, totals_, scan_, scan_raw_, find_span_, put_span_;
};

class SqliteWriter : public IngestWriter {
 public:
  SqliteWriter(SqliteStore* store, BatchInfo info, int64_t point_id, std::vector<int64_t> zone_ids,
               std::vector<TimeZone> zones)
      : IngestWriter(std::move(zones)),
        store_(store),
        info_(std::move(info)),
        point_id_(point_id),
        zone_ids_(std::move(zone_ids)) {}
  ~SqliteWriter() override {
    if (!done_) (void)store_->Rollback();
  }

 private:
  Status DoAppendRaw(std::span<const AccessRecord> records) override {
    if (records.empty()) return Status::Ok();
    int64_t first = records[0].time_ns, last = records[0].time_ns;
    for (const AccessRecord& r : records) {
      first = std::min(first, r.time_ns);
      last = std::max(last, r.time_ns);
    }
    std::string data = EncodeRawChunk(records);
    Statement& s = store_->insert_raw_;
    Scope scope(&s);
    s.Bind(1, point_id_);
    s.Bind(2, info_.batch_id);
    s.Bind(3, first);
    s.Bind(4, last);
    s.Bind(5, static_cast<int64_t>(records.size()));
    s.BindBlob(6, data);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return store_->db_.Error("insert raw_chunks", rc);
    Statement& span = store_->put_span_;
    Scope span_scope(&span);
    span.Bind(1, point_id_);
    span.Bind(2, last - first);
    rc = span.Step();
    if (rc != SQLITE_DONE) return store_->db_.Error("update raw_spans", rc);
    return Status::Ok();
  }

  Status DoCommit(std::vector<std::vector<SourceDayBlock>> blocks_by_zone, uint64_t accesses,
                  const std::string& summary_json) override {
    for (size_t z = 0; z < blocks_by_zone.size(); ++z) {
      for (const SourceDayBlock& b : blocks_by_zone[z]) {
        SCANSCOPE_RETURN_IF_ERROR(store_->PutBlock(zone_ids_[z], point_id_, b));
      }
    }
    SCANSCOPE_RETURN_IF_ERROR(store_->InsertCoverage(info_.point, coverage(), info_.batch_id));
    {
      Statement& s = store_->insert_ledger_;
      Scope scope(&s);
      s.Bind(1, info_.batch_id);
      s.Bind(2, info_.point);
      s.Bind(3, info_.origin);
      s.Bind(4, NowNs());
      s.Bind(5, static_cast<int64_t>(accesses));
      s.Bind(6, summary_json);
      int rc = s.Step();
      if (rc != SQLITE_DONE) return store_->db_.Error("insert ledger " + info_.batch_id, rc);
    }
    SCANSCOPE_RETURN_IF_ERROR(store_->db_.Exec("COMMIT"));
    done_ = true;
    return Status::Ok();
  }

  SqliteStore* store_;
  BatchInfo info_;
  int64_t point_id_;
  std::vector<int64_t> zone_ids_;
  bool done_ = false;
};

Status SqliteStore::Open(const std::string& path, const std::vector<TimeZone>& default_zones) {
  // A clear message for a file that is not SQLite at all, before SQLite's own.
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) > 0) {
    std::ifstream in(path, std::ios::binary);
    char head[16] = {};
    in.read(head, sizeof head);
    if (!in || std::string_view(head, 16) != std::string_view("SQLite format 3\0", 16)) {
      return Status::InvalidArgument(path + ": not a scanscope store (not an SQLite file)");
    }
  }
  SCANSCOPE_RETURN_IF_ERROR(db_.Open(path));
  sqlite3_busy_timeout(db_.get(), 5000);
  SCANSCOPE_RETURN_IF_ERROR(CheckOrCreateSchema(default_zones));
  SCANSCOPE_RETURN_IF_ERROR(AddRawSpans());
  SCANSCOPE_RETURN_IF_ERROR(db_.Exec(std::string(kCoverageTable)));
  // Rollback journal + synchronous=FULL: a commit is on disk when it
  // returns (process death and power loss alike). For bulk ingests this
  // writes each page once, where WAL writes it twice (log, then checkpoint):
  // docs/store.md.
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Exec("PRAGMA synchronous=FULL; PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY;"));
  return PrepareStatements();
}

Status SqliteStore::CheckOrCreateSchema(const std::vector<TimeZone>& default_zones) {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("SELECT count(*) FROM sqlite_master", &s));
  int rc = s.Step();
  if (rc != SQLITE_ROW) return db_.Error("read schema", rc);
  int64_t objects = s.Int(0);
  s.Reset();
  if (objects == 0) {
    // A new store. page_size must precede the first table.
    SCANSCOPE_RETURN_IF_ERROR(db_.Exec("PRAGMA page_size=65536; PRAGMA journal_mode=DELETE;"));
    SCANSCOPE_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    Status st = db_.Exec(kSchema);
    if (st.ok()) {
      st = db_.Exec("INSERT INTO meta VALUES('format','scanscope-store'),('schema_version','" +
                    std::to_string(kSchemaVersion) +
                    "'); PRAGMA application_id=" + std::to_string(kApplicationId) +
                    "; PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";");
    }
    for (const TimeZone& z : default_zones) {
      if (!st.ok()) break;
      Statement ins;
      st = db_.Prepare("INSERT OR IGNORE INTO zones(name) VALUES(?)", &ins);
      if (!st.ok()) break;
      ins.Bind(1, z.name());
      rc = ins.Step();
      if (rc != SQLITE_DONE) st = db_.Error("insert zone " + z.name(), rc);
    }
    if (st.ok()) st = db_.Exec("COMMIT");
    if (!st.ok()) (void)Rollback();
    return st;
  }
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("PRAGMA application_id", &s));
  rc = s.Step();
  if (rc != SQLITE_ROW) return db_.Error("read application_id", rc);
  if (s.Int(0) != kApplicationId) {
    return Status::InvalidArgument(db_.path() +
                                   ": not a scanscope store (an SQLite file of another program)");
  }
  Statement v;
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("SELECT value FROM meta WHERE key='schema_version'", &v));
  rc = v.Step();
  if (rc != SQLITE_ROW) {
    return Status::Corruption(db_.path() + ": table meta has no schema_version");
  }
  int version = std::atoi(std::string(v.Text(0)).c_str());
  if (version > kSchemaVersion) {
    return Status::Unsupported(db_.path() + ": store schema version " + std::to_string(version) +
                               " is newer than this scanscope's (" +
                               std::to_string(kSchemaVersion) + "); upgrade scanscope");
  }
  if (version < 1) {
    return Status::Corruption(db_.path() + ": table meta: bad schema_version '" +
                              std::string(v.Text(0)) + "'");
  }
  return db_.Exec("PRAGMA journal_mode=DELETE");
}

Status SqliteStore::AddRawSpans() {
  Statement t;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='raw_spans'", &t));
  int rc = t.Step();
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc != SQLITE_DONE) return db_.Error("look for table raw_spans", rc);
  return db_.Exec(
      "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS raw_spans(point INTEGER PRIMARY KEY, "
      "max_span_ns INTEGER NOT NULL); INSERT OR REPLACE INTO raw_spans SELECT point, "
      "max(last_ns - first_ns) FROM raw_chunks GROUP BY point; COMMIT;");
}

Status SqliteStore::PrepareStatements() {
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare(
      "INSERT INTO blocks(zone, day, point, port, accesses, sources, rows) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(zone, day, point, port) DO NOTHING",
      &insert_block_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT accesses, sources, rows FROM blocks "
                  "WHERE zone=?1 AND day=?2 AND point=?3 AND port=?4",
                  &select_block_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("UPDATE blocks SET accesses=?5, sources=?6, rows=?7 "
                  "WHERE zone=?1 AND day=?2 AND point=?3 AND port=?4",
                  &update_block_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("INSERT INTO raw_chunks(point, batch, first_ns, last_ns, count, data) "
                  "VALUES(?, ?, ?, ?, ?, ?)",
                  &insert_raw_));
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare(
      "INSERT INTO ledger(batch_id, point, origin, ingested_at, accesses, summary_json) "
      "VALUES(?, ?, ?, ?, ?, ?)",
      &insert_ledger_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT origin FROM ledger WHERE batch_id=?", &find_ledger_));
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("SELECT id FROM points WHERE name=?", &find_point_));
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("SELECT id FROM zones WHERE name=?", &find_zone_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT b.day, p.name, b.port, b.accesses, b.sources "
                  "FROM blocks b INDEXED BY blocks_totals JOIN points p ON p.id = b.point "
                  "WHERE b.zone=?1 AND b.day BETWEEN ?2 AND ?3 ORDER BY b.day, p.name, b.port",
                  &totals_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT day, point, port, accesses, sources, rows FROM blocks "
                  "WHERE zone=?1 AND day BETWEEN ?2 AND ?3 ORDER BY zone, day, point, port",
                  &scan_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT id, data FROM raw_chunks WHERE point=?1 AND first_ns >= ?4 "
                  "AND first_ns < ?3 AND last_ns >= ?2 ORDER BY id",
                  &scan_raw_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT max_span_ns FROM raw_spans WHERE point=?", &find_span_));
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("INSERT INTO raw_spans(point, max_span_ns) VALUES(?1, ?2) ON CONFLICT(point) "
                  "DO UPDATE SET max_span_ns=max(max_span_ns, excluded.max_span_ns)",
                  &put_span_));
  return Status::Ok();
}

Result<int64_t> SqliteStore::ZoneId(const std::string& zone) {
  Scope scope(&find_zone_);
  find_zone_.Bind(1, zone);
  int rc = find_zone_.Step();
  if (rc == SQLITE_ROW) return find_zone_.Int(0);
  if (rc == SQLITE_DONE) return Status::NotFound(db_.path() + ": zone " + zone + " is not kept");
  return db_.Error("find zone " + zone, rc);
}

Result<int64_t> SqliteStore::PointId(const std::string& point) {
  Scope scope(&find_point_);
  find_point_.Bind(1, point);
  int rc = find_point_.Step();
  if (rc == SQLITE_ROW) return find_point_.Int(0);
  if (rc == SQLITE_DONE) {
    return Status::NotFound(db_.path() + ": monitoring point " + point + " is not in the store");
  }
  return db_.Error("find point " + point, rc);
}

Result<std::map<int64_t, std::string>> SqliteStore::PointNames() {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("SELECT id, name FROM points", &s));
  std::map<int64_t, std::string> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out[s.Int(0)] = std::string(s.Text(1));
  if (rc != SQLITE_DONE) return db_.Error("read points", rc);
  return out;
}

Status SqliteStore::DecodeStored(std::string_view blob, int64_t zone, int32_t day, int64_t point,
                                 uint32_t port, uint64_t accesses, uint64_t sources,
                                 std::vector<SourceDayRow>* rows) {
  auto where = [&] {
    return db_.path() + ": table blocks, key (zone " + std::to_string(zone) + ", day " +
           FormatDay(day) + ", point " + std::to_string(point) + ", port " +
           PortType::FromCode(port).value_or(PortType()).ToString() + ")";
  };
  Status st = DecodeBlockRows(blob, rows);
  if (!st.ok()) return Status::Corruption(where() + ": " + st.message());
  uint64_t sum = 0;
  for (const SourceDayRow& r : *rows) sum += r.accesses;
  if (rows->size() != sources || sum != accesses) {
    return Status::Corruption(where() + ": rows disagree with the block's totals");
  }
  return Status::Ok();
}

Status SqliteStore::PutBlock(int64_t zone, int64_t point, const SourceDayBlock& block) {
  std::string rows = block.encoded_rows.empty() ? EncodeBlockRows(block.rows) : block.encoded_rows;
  const uint32_t port = block.port.Code();
  {
    Scope scope(&insert_block_);
    insert_block_.Bind(1, zone);
    insert_block_.Bind(2, block.day);
    insert_block_.Bind(3, point);
    insert_block_.Bind(4, port);
    insert_block_.Bind(5, static_cast<int64_t>(block.Accesses()));
    insert_block_.Bind(6, static_cast<int64_t>(block.Sources()));
    insert_block_.BindBlob(7, rows);
    int rc = insert_block_.Step();
    if (rc != SQLITE_DONE) return db_.Error("insert blocks", rc);
    if (sqlite3_changes(db_.get()) == 1) return Status::Ok();
  }
  // A block of this key is stored already: merge by addition.
  std::vector<SourceDayRow> merged;
  {
    Scope scope(&select_block_);
    select_block_.Bind(1, zone);
    select_block_.Bind(2, block.day);
    select_block_.Bind(3, point);
    select_block_.Bind(4, port);
    int rc = select_block_.Step();
    if (rc != SQLITE_ROW) return db_.Error("read blocks", rc);
    SCANSCOPE_RETURN_IF_ERROR(DecodeStored(select_block_.Blob(2), zone, block.day, point, port,
                                           static_cast<uint64_t>(select_block_.Int(0)),
                                           static_cast<uint64_t>(select_block_.Int(1)), &merged));
  }
  MergeBlockRows(&merged, block.rows);
  uint64_t accesses = 0;
  for (const SourceDayRow& r : merged) accesses += r.accesses;
  rows = EncodeBlockRows(merged);
  Scope scope(&update_block_);
  update_block_.Bind(1, zone);
  update_block_.Bind(2, block.day);
  update_block_.Bind(3, point);
  update_block_.Bind(4, port);
  update_block_.Bind(5, static_cast<int64_t>(accesses));
  update_block_.Bind(6, static_cast<int64_t>(merged.size()));
  update_block_.BindBlob(7, rows);
  int rc = update_block_.Step();
  if (rc != SQLITE_DONE) return db_.Error("update blocks", rc);
  return Status::Ok();
}

Result<std::vector<MonitoringPoint>> SqliteStore::Points() {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT name, watched, description FROM points ORDER BY name", &s));
  std::vector<MonitoringPoint> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    MonitoringPoint p;
    p.name = std::string(s.Text(0));
    auto watched = PrefixSet::Parse(s.Text(1));
    if (!watched.ok() && !s.Text(1).empty()) {
      return Status::Corruption(db_.path() + ": table points, point " + p.name +
                                ": bad watched prefixes: " + watched.status().message());
    }
    if (watched.ok()) p.watched = *watched;
    p.description = std::string(s.Text(2));
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return db_.Error("read points", rc);
  return out;
}

Result<std::vector<LedgerEntry>> SqliteStore::Ledger() {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT batch_id, point, origin, ingested_at, accesses, summary_json FROM ledger "
                  "ORDER BY ingested_at, batch_id",
                  &s));
  std::vector<LedgerEntry> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back(LedgerEntry{std::string(s.Text(0)), std::string(s.Text(1)),
                              std::string(s.Text(2)), s.Int(3), static_cast<uint64_t>(s.Int(4)),
                              std::string(s.Text(5))});
  }
  if (rc != SQLITE_DONE) return db_.Error("read ledger", rc);
  return out;
}

Result<std::vector<std::string>> SqliteStore::Zones() {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("SELECT name FROM zones ORDER BY id", &s));
  std::vector<std::string> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.emplace_back(s.Text(0));
  if (rc != SQLITE_DONE) return db_.Error("read zones", rc);
  return out;
}

// The sensors' last reports. Created on first use, so that a store made
// before it existed needs no schema change (readers treat "no table" as "no
// reports").
constexpr std::string_view kPointStatusTable =
    "CREATE TABLE IF NOT EXISTS point_status(point TEXT PRIMARY KEY, reported_at INTEGER NOT "
    "NULL, status_json TEXT NOT NULL) WITHOUT ROWID";

Status SqliteStore::DoPutPointStatus(const PointStatus& status) {
  SCANSCOPE_RETURN_IF_ERROR(db_.Exec(kPointStatusTable));
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("INSERT INTO point_status(point, reported_at, status_json) VALUES(?, ?, ?) "
                  "ON CONFLICT(point) DO UPDATE SET reported_at=excluded.reported_at, "
                  "status_json=excluded.status_json",
                  &s));
  s.Bind(1, status.point);
  s.Bind(2, status.reported_at_ns);
  s.Bind(3, status.status_json);
  int rc = s.Step();
  if (rc != SQLITE_DONE) return db_.Error("put status of point " + status.point, rc);
  return Status::Ok();
}

Result<std::vector<PointStatus>> SqliteStore::DoPointStatuses() {
  std::vector<PointStatus> out;
  {
    Statement t;
    SCANSCOPE_RETURN_IF_ERROR(
        db_.Prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='point_status'", &t));
    int rc = t.Step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return db_.Error("look for table point_status", rc);
  }
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT point, reported_at, status_json FROM point_status ORDER BY point", &s));
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back(PointStatus{std::string(s.Text(0)), s.Int(1), std::string(s.Text(2))});
  }
  if (rc != SQLITE_DONE) return db_.Error("read point_status", rc);
  return out;
}

Status SqliteStore::DoPutPoint(const MonitoringPoint& point) {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(db_.Prepare(
      "INSERT INTO points(name, watched, description) VALUES(?, ?, ?) ON CONFLICT(name) "
      "DO UPDATE SET watched=excluded.watched, description=excluded.description",
      &s));
  std::string watched = point.watched.ToString();
  s.Bind(1, point.name);
  s.Bind(2, watched);
  s.Bind(3, point.description);
  int rc = s.Step();
  if (rc != SQLITE_DONE) return db_.Error("put point " + point.name, rc);
  return Status::Ok();
}

Result<bool> SqliteStore::DoHasPoint(const std::string& point) {
  Result<int64_t> id = PointId(point);
  if (id.ok()) return true;
  if (id.status().code() == StatusCode::kNotFound) return false;
  return id.status();
}

Result<std::optional<std::string>> SqliteStore::DoFindBatch(const std::string& batch_id) {
  Scope scope(&find_ledger_);
  find_ledger_.Bind(1, batch_id);
  int rc = find_ledger_.Step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(std::string(find_ledger_.Text(0)));
  if (rc != SQLITE_DONE) return db_.Error("read ledger", rc);
  return std::optional<std::string>();
}

Result<std::unique_ptr<IngestWriter>> SqliteStore::DoBeginIngest(const BatchInfo& info,
                                                                 std::vector<TimeZone> zones) {
  SCANSCOPE_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  auto fail = [this](Status st) {
    (void)Rollback();
    return st;
  };
  Result<int64_t> point = PointId(info.point);
  if (!point.ok()) return fail(point.status());
  std::vector<int64_t> zone_ids;
  for (const TimeZone& z : zones) {
    Result<int64_t> id = ZoneId(z.name());
    if (!id.ok()) return fail(id.status());
    zone_ids.push_back(*id);
  }
  return std::unique_ptr<IngestWriter>(
      new SqliteWriter(this, info, *point, std::move(zone_ids), std::move(zones)));
}

Status SqliteStore::DoScanRaw(const std::string& point, int64_t from_ns, int64_t to_ns,
                              const RawVisitor& visit) {
  Result<int64_t> point_id = PointId(point);
  if (!point_id.ok()) {
    return point_id.status().code() == StatusCode::kNotFound ? Status::Ok() : point_id.status();
  }
  // A chunk holding a record at or after from_ns starts no earlier than
  // from_ns less the point's longest chunk span.
  int64_t lowest_first = INT64_MIN;
  {
    Scope scope(&find_span_);
    find_span_.Bind(1, *point_id);
    int rc = find_span_.Step();
    if (rc == SQLITE_DONE) return Status::Ok();  // no raw records of the point at all
    if (rc != SQLITE_ROW) return db_.Error("read raw_spans", rc);
    const int64_t span = find_span_.Int(0);
    if (from_ns > INT64_MIN + span) lowest_first = from_ns - span;
  }
  Scope scope(&scan_raw_);
  scan_raw_.Bind(1, *point_id);
  scan_raw_.Bind(2, from_ns);
  scan_raw_.Bind(3, to_ns);
  scan_raw_.Bind(4, lowest_first);
  std::vector<AccessRecord> records;
  int rc;
  while ((rc = scan_raw_.Step()) == SQLITE_ROW) {
    records.clear();
    Status st = DecodeRawChunk(scan_raw_.Blob(1), &records);
    if (!st.ok()) {
      return Status::Corruption(db_.path() + ": table raw_chunks, id " +
                                std::to_string(scan_raw_.Int(0)) + ": " + st.message());
    }
    if (from_ns != INT64_MIN || to_ns != INT64_MAX) {
      std::erase_if(records, [&](const AccessRecord& r) {
        return r.time_ns < from_ns || r.time_ns >= to_ns;
      });
    }
    if (!records.empty()) SCANSCOPE_RETURN_IF_ERROR(visit(records));
  }
  if (rc != SQLITE_DONE) return db_.Error("read raw_chunks", rc);
  return Status::Ok();
}

Result<std::map<std::string, uint64_t>> SqliteStore::DoRawRecordsByBatch() {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT batch, sum(count) FROM raw_chunks GROUP BY batch", &s));
  std::map<std::string, uint64_t> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW)
    out[std::string(s.Text(0))] = static_cast<uint64_t>(s.Int(1));
  if (rc != SQLITE_DONE) return db_.Error("read raw_chunks", rc);
  return out;
}

Status SqliteStore::DoStoreZone(const TimeZone& zone,
                                const std::function<Status(const ZoneBlockSink&)>& build) {
  SCANSCOPE_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    {
      Statement s;
      SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("INSERT INTO zones(name) VALUES(?)", &s));
      s.Bind(1, zone.name());
      int rc = s.Step();
      if (rc != SQLITE_DONE) return db_.Error("insert zone " + zone.name(), rc);
    }
    const int64_t zone_id = sqlite3_last_insert_rowid(db_.get());
    SCANSCOPE_RETURN_IF_ERROR(
        build([&](const std::string& point, std::vector<SourceDayBlock> blocks) -> Status {
          Result<int64_t> point_id = PointId(point);
          if (!point_id.ok()) return point_id.status();
          for (const SourceDayBlock& b : blocks) {
            SCANSCOPE_RETURN_IF_ERROR(PutBlock(zone_id, *point_id, b));
          }
          return Status::Ok();
        }));
    return db_.Exec("COMMIT");
  };
  Status st = body();
  if (!st.ok()) (void)Rollback();
  return st;
}

// The ledger's history of batches taken back. Created on first use, so that a
// store made before it existed needs no schema change.
constexpr std::string_view kForgottenTable =
    "CREATE TABLE IF NOT EXISTS forgotten(batch_id TEXT NOT NULL, point TEXT NOT NULL, "
    "origin TEXT NOT NULL, ingested_at INTEGER NOT NULL, accesses INTEGER NOT NULL, "
    "summary_json TEXT NOT NULL, forgotten_at INTEGER NOT NULL)";

Status SqliteStore::DoForget(const LedgerEntry& batch, const ZoneDaysBuilder& rebuild) {
  SCANSCOPE_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  auto run = [&](const std::string& sql, const std::function<void(Statement&)>& bind) -> Status {
    Statement s;
    SCANSCOPE_RETURN_IF_ERROR(db_.Prepare(sql, &s));
    bind(s);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return db_.Error(sql.substr(0, 40), rc);
    return Status::Ok();
  };
  auto body = [&]() -> Status {
    Result<int64_t> point_id = PointId(batch.point);
    if (!point_id.ok()) return point_id.status();
    Statement span;
    SCANSCOPE_RETURN_IF_ERROR(db_.Prepare(
        "SELECT min(first_ns), max(last_ns), count(*) FROM raw_chunks WHERE batch=?", &span));
    span.Bind(1, batch.batch_id);
    int rc = span.Step();
    if (rc != SQLITE_ROW) return db_.Error("read raw_chunks", rc);
    const bool any = span.Int(2) > 0;
    const int64_t first = span.Int(0), last = span.Int(1);
    span.Reset();
    SCANSCOPE_RETURN_IF_ERROR(run("DELETE FROM raw_chunks WHERE batch=?",
                                  [&](Statement& s) { s.Bind(1, batch.batch_id); }));
    if (any) {
      Statement zones;
      SCANSCOPE_RETURN_IF_ERROR(db_.Prepare("SELECT id, name FROM zones", &zones));
      std::vector<std::pair<int64_t, std::string>> kept;
      while ((rc = zones.Step()) == SQLITE_ROW) kept.emplace_back(zones.Int(0), zones.Text(1));
      if (rc != SQLITE_DONE) return db_.Error("read zones", rc);
      for (const auto& [zone_id, name] : kept) {
        Result<TimeZone> zone = TimeZone::Find(name);
        if (!zone.ok()) return zone.status();
        const int32_t d0 = zone->LocalDay(first), d1 = zone->LocalDay(last);
        SCANSCOPE_RETURN_IF_ERROR(
            run("DELETE FROM blocks WHERE zone=? AND point=? AND day BETWEEN ? AND ?",
                [&](Statement& s) {
                  s.Bind(1, zone_id);
                  s.Bind(2, *point_id);
                  s.Bind(3, d0);
                  s.Bind(4, d1);
                }));
        Result<std::vector<SourceDayBlock>> blocks = rebuild(*zone, d0, d1);
        if (!blocks.ok()) return blocks.status();
        for (const SourceDayBlock& b : *blocks) {
          SCANSCOPE_RETURN_IF_ERROR(PutBlock(zone_id, *point_id, b));
        }
      }
    }
    SCANSCOPE_RETURN_IF_ERROR(run("DELETE FROM coverage WHERE origin=?",
                                  [&](Statement& s) { s.Bind(1, batch.batch_id); }));
    SCANSCOPE_RETURN_IF_ERROR(db_.Exec(kForgottenTable));
    SCANSCOPE_RETURN_IF_ERROR(
        run("INSERT INTO forgotten SELECT batch_id, point, origin, ingested_at, accesses, "
            "summary_json, ?2 FROM ledger WHERE batch_id=?1",
            [&](Statement& s) {
              s.Bind(1, batch.batch_id);
              s.Bind(2, NowNs());
            }));
    SCANSCOPE_RETURN_IF_ERROR(run("DELETE FROM ledger WHERE batch_id=?",
                                  [&](Statement& s) { s.Bind(1, batch.batch_id); }));
    return db_.Exec("COMMIT");
  };
  Status st = body();
  if (!st.ok()) (void)Rollback();
  return st;
}

Status SqliteStore::InsertCoverage(const std::vector<CoverageEntry>& entries) {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("INSERT INTO coverage(point, kind, from_ns, to_ns, origin, recorded_at) "
                  "VALUES(?, ?, ?, ?, ?, ?)",
                  &s));
  for (const CoverageEntry& e : entries) {
    Scope scope(&s);
    s.Bind(1, e.point);
    s.Bind(2, static_cast<int64_t>(e.kind));
    s.Bind(3, e.from_ns);
    s.Bind(4, e.to_ns);
    s.Bind(5, e.origin);
    s.Bind(6, e.recorded_at_ns);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return db_.Error("insert coverage of " + e.point, rc);
  }
  return Status::Ok();
}

Status SqliteStore::InsertCoverage(const std::string& point, const IntervalSet& watched,
                                   const std::string& origin) {
  std::vector<CoverageEntry> entries;
  const int64_t now = NowNs();
  for (const CoverageInterval& i : watched.intervals()) {
    entries.push_back({point, CoverageKind::kWatched, i.from_ns, i.to_ns, origin, now});
  }
  return InsertCoverage(entries);
}

Status SqliteStore::DoAddCoverage(const std::vector<CoverageEntry>& entries) {
  SCANSCOPE_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  Status st = InsertCoverage(entries);
  if (st.ok()) st = db_.Exec("COMMIT");
  if (!st.ok()) (void)Rollback();
  return st;
}

Result<std::vector<CoverageEntry>> SqliteStore::DoCoverageEntries() {
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT point, kind, from_ns, to_ns, origin, recorded_at FROM coverage", &s));
  std::vector<CoverageEntry> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    const int64_t kind = s.Int(1);
    if (kind < 0 || kind > static_cast<int64_t>(CoverageKind::kRemoved)) {
      return Status::Corruption(db_.path() + ": coverage of kind " + std::to_string(kind));
    }
    out.push_back(CoverageEntry{std::string(s.Text(0)), static_cast<CoverageKind>(kind), s.Int(2),
                                s.Int(3), std::string(s.Text(4)), s.Int(5)});
  }
  if (rc != SQLITE_DONE) return db_.Error("read coverage", rc);
  return out;
}

Result<std::vector<ForgottenBatch>> SqliteStore::DoForgotten() {
  std::vector<ForgottenBatch> out;
  {
    Statement t;
    SCANSCOPE_RETURN_IF_ERROR(
        db_.Prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='forgotten'", &t));
    int rc = t.Step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return db_.Error("look for table forgotten", rc);
  }
  Statement s;
  SCANSCOPE_RETURN_IF_ERROR(
      db_.Prepare("SELECT batch_id, point, origin, ingested_at, accesses, summary_json, "
                  "forgotten_at FROM forgotten ORDER BY forgotten_at, batch_id",
                  &s));
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back(ForgottenBatch{
        LedgerEntry{std::string(s.Text(0)), std::string(s.Text(1)), std::string(s.Text(2)),
                    s.Int(3), static_cast<uint64_t>(s.Int(4)), std::string(s.Text(5))},
        s.Int(6)});
  }
  if (rc != SQLITE_DONE) return db_.Error("read forgotten", rc);
  return out;
}

Result<std::vector<BlockTotal>> SqliteStore::DoTotals(const std::string& zone, int32_t first_day,
                                                      int32_t last_day) {
  Result<int64_t> zone_id = ZoneId(zone);
  if (!zone_id.ok()) return zone_id.status();
  Scope scope(&totals_);
  totals_.Bind(1, *zone_id);
  totals_.Bind(2, first_day);
  totals_.Bind(3, last_day);
  std::vector<BlockTotal> out;
  int rc;
  while ((rc = totals_.Step()) == SQLITE_ROW) {
    BlockTotal t;
    t.day = static_cast<int32_t>(totals_.Int(0));
    t.point = std::string(totals_.Text(1));
    auto port = PortType::FromCode(static_cast<uint32_t>(totals_.Int(2)));
    if (!port) {
      return Status::Corruption(db_.path() + ": table blocks: bad port code " +
                                std::to_string(totals_.Int(2)) + " on " + FormatDay(t.day));
    }
    t.port = *port;
    t.accesses = static_cast<uint64_t>(totals_.Int(3));
    t.sources = static_cast<uint64_t>(totals_.Int(4));
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) return db_.Error("read block totals", rc);
  return out;
}

Status SqliteStore::DoScanBlocks(const std::string& zone, int32_t first_day, int32_t last_day,
                                 const BlockVisitor& visit) {
  Result<int64_t> zone_id = ZoneId(zone);
  if (!zone_id.ok()) return zone_id.status();
  Result<std::map<int64_t, std::string>> names = PointNames();
  if (!names.ok()) return names.status();
  // Rows come in key order (day, point id, port); the answer's order is
  // (day, point name, port), so each day's blocks are gathered, then visited.
  struct Pending {
    const std::string* point;
    uint32_t port;
    int64_t point_id;
    uint64_t accesses, sources;
    std::string blob;
  };
  std::vector<Pending> day_blocks;
  int32_t current_day = 0;
  auto flush = [&]() -> Status {
    std::sort(day_blocks.begin(), day_blocks.end(), [](const Pending& a, const Pending& b) {
      return *a.point != *b.point ? *a.point < *b.point : a.port < b.port;
    });
    for (const Pending& p : day_blocks) {
      SourceDayBlock block;
      block.day = current_day;
      block.port = PortType::FromCode(p.port).value_or(PortType());
      SCANSCOPE_RETURN_IF_ERROR(DecodeStored(p.blob, *zone_id, current_day, p.point_id, p.port,
                                             p.accesses, p.sources, &block.rows));
      SCANSCOPE_RETURN_IF_ERROR(visit(*p.point, block));
    }
    day_blocks.clear();
    return Status::Ok();
  };
  {
    Scope scope(&scan_);
    scan_.Bind(1, *zone_id);
    scan_.Bind(2, first_day);
    scan_.Bind(3, last_day);
    int rc;
    while ((rc = scan_.Step()) == SQLITE_ROW) {
      auto day = static_cast<int32_t>(scan_.Int(0));
      if (!day_blocks.empty() && day != current_day) SCANSCOPE_RETURN_IF_ERROR(flush());
      current_day = day;
      auto name = names->find(scan_.Int(1));
      auto code = static_cast<uint32_t>(scan_.Int(2));
      if (name == names->end() || !PortType::FromCode(code)) {
        return Status::Corruption(db_.path() + ": table blocks: unknown point id " +
                                  std::to_string(scan_.Int(1)) + " or port code " +
                                  std::to_string(code) + " on " + FormatDay(day));
      }
      day_blocks.push_back(
          Pending{&name->second, code, scan_.Int(1), static_cast<uint64_t>(scan_.Int(3)),
                  static_cast<uint64_t>(scan_.Int(4)), std::string(scan_.Blob(5))});
    }
    if (rc != SQLITE_DONE) return db_.Error("read blocks", rc);
  }
  return flush();
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const std::vector<TimeZone>& default_zones) {
  auto store = std::make_unique<SqliteStore>();
  SCANSCOPE_RETURN_IF_ERROR(store->Open(path, default_zones));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace scanscope
