#include "store/clickhouse/clickhouse_store.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "common/clock.h"
#include "common/hex.h"
#include "common/host_port.h"
#include "store/clickhouse/clickhouse_http.h"
#include "store/codec_util.h"

namespace scanscope {
namespace {

using clickhouse_internal::Endpoint;
using clickhouse_internal::HttpClient;
using clickhouse_internal::PutAddress;
using clickhouse_internal::PutFixed;
using clickhouse_internal::PutString;
using clickhouse_internal::Quote;
using clickhouse_internal::RowReader;
using store_internal::PutVarint;

constexpr int kSchemaVersion = 1;
// Rows per INSERT: below max_insert_block_size (1,048,576), so that one
// INSERT is one block, written whole or not at all (per partition).
constexpr size_t kInsertRows = 1'000'000;
// Raw records go out in INSERTs of this many, so that they are sent while
// the capture is still being read.
constexpr size_t kRawInsertRows = 262'144;
// ScanBlocks asks for at most about this many rows per query.
constexpr uint64_t kScanRows = 500'000;

// One table: its columns, engine clause of the local table, and the
// Distributed sharding key used in cluster mode.
struct TableDef {
  const char* name;
  const char* columns;
  const char* engine;
  const char* sharding_key;
};

// The raw records: partitioned by UTC month so retention drops whole
// partitions (ClickHouse 18.16 has no TTL; it arrived in 19.6).
constexpr TableDef kRaw = {
    "raw",
    "time_ns Int64, point String, attempt UInt64, chunk UInt32, source FixedString(16), "
    "destination FixedString(16), port UInt32, tcp_flags UInt8, ttl UInt8, length UInt16",
    "MergeTree PARTITION BY toYYYYMM(toDateTime(intDiv(time_ns, 1000000000), 'UTC')) "
    "ORDER BY (point, time_ns)",
    "cityHash64(source)"};
// Source-day rows of every batch (and zone build) as written; a plain
// MergeTree, because rows of different attempts must stay apart until a read
// picks the accepted ones and merges them (accesses added, first/last seen
// as min/max): ScanBlocks in its own sort, Totals by uniqExact where needed.
constexpr TableDef kSourceDays = {
    "source_days",
    "zone String, day Int32, point String, port UInt32, source FixedString(16), "
    "accesses UInt64, first_ns Int64, last_ns Int64, attempt UInt64, chunk UInt32",
    "MergeTree ORDER BY (zone, day, point, port, source)", "cityHash64(source)"};
// Per attempt, the totals of each (zone, day, point, port) block it wrote:
// what Totals reads. Where one accepted attempt alone wrote a block, its
// sources are the block's row count, exactly; blocks written by several
// (overlapping batches) are counted from source_days.
constexpr TableDef kBlockTotals = {
    "block_totals",
    "zone String, day Int32, point String, port UInt32, accesses UInt64, sources UInt64, "
    "attempt UInt64, chunk UInt32",
    "MergeTree ORDER BY (zone, day, point, port)", "cityHash64(point, day)"};
// Small tables: in cluster mode they live on the first shard (key 0).
constexpr TableDef kPoints = {"points",
                              "name String, watched String, description String, version Int64",
                              "MergeTree ORDER BY name", "0"};
constexpr TableDef kZones = {"zones", "name String, attempt UInt64, added_at Int64",
                             "MergeTree ORDER BY name", "0"};
constexpr TableDef kLedger = {
    "ledger",
    "batch_id String, attempt UInt64, point String, origin String, ingested_at Int64, "
    "accesses UInt64, summary_json String",
    "MergeTree ORDER BY batch_id", "0"};
constexpr TableDef kMeta = {"meta", "key String, value String", "MergeTree ORDER BY key", "0"};
// The sensors' status reports: every report a row, a read takes the latest
// put (by `version`, the time of the put) of each point.
constexpr TableDef kPointStatus = {
    "point_status", "point String, reported_at Int64, status_json String, version Int64",
    "MergeTree ORDER BY point", "0"};
// The ledger's history of batches taken back (Store::Forget): a forgotten
// attempt's rows count nowhere, and the batch id may be ingested again.
constexpr TableDef kForgotten = {
    "forgotten",
    "batch_id String, attempt UInt64, point String, origin String, ingested_at Int64, "
    "accesses UInt64, summary_json String, forgotten_at Int64",
    "MergeTree ORDER BY batch_id", "0"};
// Coverage entries (store.h): a batch's carry its attempt and count while it
// does; the others (an operator's, a sensor's reports) attempt 0, always.
constexpr TableDef kCoverage = {
    "coverage",
    "point String, kind UInt8, from_ns Int64, to_ns Int64, origin String, recorded_at Int64, "
    "attempt UInt64",
    "MergeTree ORDER BY (point, from_ns)", "0"};
constexpr const TableDef* kTables[] = {&kRaw,       &kSourceDays, &kBlockTotals, &kPoints,
                                       &kZones,     &kLedger,     &kMeta,        &kPointStatus,
                                       &kForgotten, &kCoverage};

// RowBinary rows of kCoverage.
void PutCoverage(std::string* rows, const CoverageEntry& e, uint64_t attempt) {
  PutString(rows, e.point);
  PutFixed<uint8_t>(rows, static_cast<uint8_t>(e.kind));
  PutFixed<int64_t>(rows, e.from_ns);
  PutFixed<int64_t>(rows, e.to_ns);
  PutString(rows, e.origin);
  PutFixed<int64_t>(rows, e.recorded_at_ns);
  PutFixed<uint64_t>(rows, attempt);
}

// A batch's value of `column` as of its accepted attempt: the earliest
// committed one (ties broken by the attempt id). Every per-batch read of the
// ledger goes through it.
std::string AcceptedLedger(std::string_view column) {
  return "argMin(" + std::string(column) + ", tuple(ingested_at, attempt))";
}

// "a Int64, b String" -> "a, b": the column list of an INSERT.
std::string ColumnNames(std::string_view cols) {
  std::string names;
  while (!cols.empty()) {
    size_t comma = cols.find(',');
    std::string_view one = cols.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    if (!names.empty()) names += ", ";
    names += std::string(one.substr(0, one.find(' ')));
    if (comma == std::string_view::npos) break;
    cols.remove_prefix(comma + 1);
  }
  return names;
}

// A fresh attempt id: random, never 0 (0 marks the default zones' rows).
uint64_t NewAttempt() {
  static thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(NowNs());
  }());
  uint64_t a;
  do a = rng();
  while (a == 0);
  return a;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int h = HexDigitValue(s[i + 1]), l = HexDigitValue(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// "HOST:PORT" or "[V6]:PORT" (PORT optional: `default_port`; 0 refused).
bool ParseNodeAddress(std::string_view text, int default_port, std::string* host, int* port) {
  Result<HostPort> hp = ParseHostPort(text, default_port);
  if (!hp.ok() || hp->port == 0) return false;
  *host = hp->host;
  *port = hp->port;
  return true;
}

class ClickHouseWriter;

// The HTTP endpoint of every node of `options.cluster` (from system.clusters of
// the server connected to, in shard and replica order; `nodes=` of the URL
// names their HTTP host:port), or the one server when there is no cluster.
Result<std::vector<Endpoint>> NodeEndpoints(const ClickHouseOptions& options) {
  Endpoint main{options.host, options.port, options.user, options.password, options.database};
  if (options.cluster.empty()) return std::vector<Endpoint>{main};
  Endpoint server = main;
  server.database.clear();  // it may not exist yet
  Result<std::string> rows = HttpClient(server).Select(
      "SELECT host_name FROM system.clusters WHERE cluster = " + Quote(options.cluster) +
      " ORDER BY shard_num, replica_num FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::vector<Endpoint> nodes;
  RowReader r(*rows);
  while (!r.done()) {
    Endpoint e = main;
    e.host = std::string(r.String());
    if (r.failed()) break;
    if (nodes.size() < options.node_http.size()) {
      e.host = options.node_http[nodes.size()].first;
      e.port = options.node_http[nodes.size()].second;
    }
    nodes.push_back(e);
  }
  const std::string where =
      "ClickHouse " + options.host + ":" + std::to_string(options.port) + "/" + options.database;
  if (r.failed()) return Status::Corruption(where + ": bad answer from system.clusters");
  if (nodes.empty()) {
    return Status::NotFound(where + ": cluster " + options.cluster +
                            " is not in system.clusters of that server");
  }
  if (!options.node_http.empty() && options.node_http.size() != nodes.size()) {
    return Status::InvalidArgument(where + ": cluster " + options.cluster + " has " +
                                   std::to_string(nodes.size()) + " nodes but nodes= names " +
                                   std::to_string(options.node_http.size()));
  }
  return nodes;
}

// Runs `send` until it succeeds, at most four times, waiting 0.5, 1 and 1.5 s
// between tries; `landed` (may be empty) is asked after each failure whether
// the write landed after all: Ok ends the retries as a success, any other
// error than Unavailable ends them with that error.
Status WithRetries(const std::function<Status()>& send, const std::function<Status()>& landed) {
  Status last;
  for (int attempt_no = 0; attempt_no < 4; ++attempt_no) {
    if (attempt_no > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt_no));
    last = send();
    if (last.ok() || !landed) {
      if (last.ok()) return last;
      continue;
    }
    Status st = landed();
    if (st.ok()) return st;
    if (st.code() != StatusCode::kUnavailable) return st;
  }
  return last;
}

// One Native block (as ClickHouse's HTTP interface takes it: column count,
// row count, then per column its name, type and values) of raw records.
std::string EncodeRawNative(const std::vector<AccessRecord>& records, const std::string& point,
                            uint64_t attempt, uint32_t chunk) {
  const size_t n = records.size();
  std::string out;
  out.reserve(n * (70 + point.size()) + 256);
  auto column = [&](std::string_view name, std::string_view type) {
    PutString(&out, name);
    PutString(&out, type);
  };
  PutVarint(&out, 10);
  PutVarint(&out, n);
  column("time_ns", "Int64");
  for (const AccessRecord& r : records) PutFixed<int64_t>(&out, r.time_ns);
  column("point", "String");
  for (size_t i = 0; i < n; ++i) PutString(&out, point);
  column("attempt", "UInt64");
  for (size_t i = 0; i < n; ++i) PutFixed<uint64_t>(&out, attempt);
  column("chunk", "UInt32");
  for (size_t i = 0; i < n; ++i) PutFixed<uint32_t>(&out, chunk);
  column("source", "FixedString(16)");
  for (const AccessRecord& r : records) PutAddress(&out, r.source);
  column("destination", "FixedString(16)");
  for (const AccessRecord& r : records) PutAddress(&out, r.destination);
  column("port", "UInt32");
  for (const AccessRecord& r : records) PutFixed<uint32_t>(&out, r.port_type.Code());
  column("tcp_flags", "UInt8");
  for (const AccessRecord& r : records) PutFixed<uint8_t>(&out, r.tcp_flags);
  column("ttl", "UInt8");
  for (const AccessRecord& r : records) PutFixed<uint8_t>(&out, r.ttl);
  column("length", "UInt16");
  for (const AccessRecord& r : records) PutFixed<uint16_t>(&out, r.length);
  return out;
}

class ClickHouseStore : public Store {
 public:
  explicit ClickHouseStore(ClickHouseOptions options)
      : options_(std::move(options)),
        client_(Endpoint{options_.host, options_.port, options_.user, options_.password,
                         options_.database}) {}

  Status Open(const std::vector<TimeZone>& default_zones);

  Result<std::vector<MonitoringPoint>> Points() override;
  Result<std::vector<LedgerEntry>> Ledger() override;
  Result<std::vector<std::string>> Zones() override;

 protected:
  std::string Name() const override { return Where(); }

 private:
  friend class ClickHouseWriter;

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
  Status DoPutPointStatus(const PointStatus& status) override;
  Result<std::vector<PointStatus>> DoPointStatuses() override;
  Result<std::vector<BlockTotal>> DoTotals(const std::string& zone, int32_t first_day,
                                           int32_t last_day) override;
  Status DoScanBlocks(const std::string& zone, int32_t first_day, int32_t last_day,
                      const BlockVisitor& visit) override;

  // The name reads and writes use: the table itself, or in cluster mode the
  // Distributed table over every node's.
  std::string T(const TableDef& t) const {
    return options_.cluster.empty() ? std::string(t.name) : std::string(t.name) + "_all";
  }
  // URL settings of every INSERT (synchronous Distributed inserts, so that
  // the ledger row is written after every row of its batch has landed).
  std::string InsertSettings() const {
    return options_.cluster.empty() ? "" : "insert_distributed_sync=1";
  }
  // The attempts whose rows count: for each batch and each zone built, the
  // earliest committed attempt (ties broken by the attempt id).
  std::string VisibleAttempts() const {
    return "attempt GLOBAL IN (SELECT " + AcceptedLedger("attempt") + " FROM " + LiveLedger() +
           " GROUP BY batch_id UNION ALL SELECT argMin(attempt, tuple(added_at, attempt)) FROM " +
           T(kZones) + " GROUP BY name)";
  }
  // The ledger less the attempts taken back: every read of the ledger.
  std::string LiveLedger() const {
    return "(SELECT * FROM " + T(kLedger) + " WHERE attempt GLOBAL NOT IN (SELECT attempt FROM " +
           T(kForgotten) + "))";
  }
  std::string Where() const { return "ClickHouse " + client_.Name() + "/" + options_.database; }
  Status CreateSchema();
  Status CheckFormat(const std::vector<TimeZone>& default_zones);
  // Inserts `rows` (RowBinary of `def`'s columns, `count` rows, each with
  // (attempt, chunk) as given) so that it lands exactly once: after a failure
  // whose outcome is unknown, it looks whether the chunk is there before
  // sending it again; a chunk found in part fails the attempt (its rows stay
  // invisible; the batch can be ingested again).
  Status InsertChunk(const TableDef& def, const char* format, const std::string& rows, size_t count,
                     uint64_t attempt, uint32_t chunk) const;
  Status InsertSmall(const TableDef& def, const std::string& rows) const;
  // Source-day rows of `blocks` (zone, point, attempt) as RowBinary chunks of
  // at most kInsertRows rows, each handed to `send`.
  static Status EncodeSourceDays(
      const std::string& zone, const std::string& point, uint64_t attempt,
      const std::vector<SourceDayBlock>& blocks, uint32_t* next_chunk,
      const std::function<Status(const TableDef*, std::string, size_t, uint32_t)>& send);

  ClickHouseOptions options_;
  HttpClient client_;
};

// Raw records and source-day rows go out in chunks as they are made: up to
// kInFlight INSERTs at once, each on its own thread, while the capture is
// still read. Raw records go as Native blocks (column-wise: the cheapest
// format for the server to take), encoded on the sending thread.
class ClickHouseWriter : public IngestWriter {
 public:
  ClickHouseWriter(ClickHouseStore* store, BatchInfo info, std::vector<TimeZone> zones)
      : IngestWriter(std::move(zones)),
        store_(store),
        info_(std::move(info)),
        attempt_(NewAttempt()) {
    raw_.reserve(kRawInsertRows);
  }
  ~ClickHouseWriter() override { (void)WaitAll(); }

 private:
  static constexpr size_t kInFlight = 2;

  Status WaitAll() {
    Status first;
    while (!inflight_.empty()) {
      Status st = inflight_.front().get();
      inflight_.pop_front();
      if (first.ok() && !st.ok()) first = st;
    }
    return first;
  }
  // Starts `insert` on a thread once fewer than kInFlight are running.
  Status Start(std::function<Status()> insert) {
    while (inflight_.size() >= kInFlight) {
      Status st = inflight_.front().get();
      inflight_.pop_front();
      if (!st.ok()) return st;
    }
    inflight_.push_back(std::async(std::launch::async, std::move(insert)));
    return Status::Ok();
  }
  Status Send(const TableDef* def, std::string rows, size_t count, uint32_t chunk) {
    return Start([this, def, rows = std::move(rows), count, chunk] {
      return store_->InsertChunk(*def, "RowBinary", rows, count, attempt_, chunk);
    });
  }
  Status SendRaw() {
    if (raw_.empty()) return Status::Ok();
    std::vector<AccessRecord> records = std::move(raw_);
    raw_ = std::vector<AccessRecord>();
    raw_.reserve(kRawInsertRows);
    const uint32_t chunk = next_chunk_++;
    return Start([this, records = std::move(records), chunk] {
      std::string block = EncodeRawNative(records, info_.point, attempt_, chunk);
      return store_->InsertChunk(kRaw, "Native", block, records.size(), attempt_, chunk);
    });
  }

  Status DoAppendRaw(std::span<const AccessRecord> records) override {
    while (!records.empty()) {
      size_t n = std::min(records.size(), kRawInsertRows - raw_.size());
      raw_.insert(raw_.end(), records.begin(), records.begin() + n);
      records = records.subspan(n);
      if (raw_.size() == kRawInsertRows) SCANSCOPE_RETURN_IF_ERROR(SendRaw());
    }
    return Status::Ok();
  }

  Status DoCommit(std::vector<std::vector<SourceDayBlock>> blocks_by_zone, uint64_t accesses,
                  const std::string& summary_json) override {
    SCANSCOPE_RETURN_IF_ERROR(SendRaw());
    auto send = [this](const TableDef* def, std::string rows, size_t count, uint32_t chunk) {
      return Send(def, std::move(rows), count, chunk);
    };
    for (size_t z = 0; z < blocks_by_zone.size(); ++z) {
      SCANSCOPE_RETURN_IF_ERROR(ClickHouseStore::EncodeSourceDays(
          zones()[z].name(), info_.point, attempt_, blocks_by_zone[z], &next_chunk_, send));
      blocks_by_zone[z].clear();
    }
    SCANSCOPE_RETURN_IF_ERROR(WaitAll());
    if (!coverage().empty()) {
      std::string rows;
      const int64_t now = NowNs();
      for (const CoverageInterval& i : coverage().intervals()) {
        PutCoverage(&rows,
                    {info_.point, CoverageKind::kWatched, i.from_ns, i.to_ns, info_.batch_id, now},
                    attempt_);
      }
      SCANSCOPE_RETURN_IF_ERROR(store_->InsertSmall(kCoverage, rows));
    }
    // Every row of the attempt is stored: the ledger row makes it count.
    std::string row;
    PutString(&row, info_.batch_id);
    PutFixed<uint64_t>(&row, attempt_);
    PutString(&row, info_.point);
    PutString(&row, info_.origin);
    PutFixed<int64_t>(&row, NowNs());
    PutFixed<uint64_t>(&row, accesses);
    PutString(&row, summary_json);
    return store_->InsertSmall(kLedger, row);
  }

  ClickHouseStore* store_;
  BatchInfo info_;
  uint64_t attempt_;
  uint32_t next_chunk_ = 0;
  std::vector<AccessRecord> raw_;
  std::deque<std::future<Status>> inflight_;
};

Status ClickHouseStore::InsertChunk(const TableDef& def, const char* format,
                                    const std::string& rows, size_t count, uint64_t attempt,
                                    uint32_t chunk) const {
  const std::string into = T(def) + " (" + ColumnNames(def.columns) + ")";
  Status last;
  auto send = [&] {
    last = client_.Insert(into, format, rows, InsertSettings());
    return last;
  };
  // After a failure whose outcome is unknown: did it land after all?
  auto landed = [&]() -> Status {
    Result<std::string> n = client_.Select(
        "SELECT count() FROM " + T(def) + " WHERE attempt = " + std::to_string(attempt) +
        " AND chunk = " + std::to_string(chunk) + " FORMAT TabSeparated");
    if (!n.ok()) return Status::Unavailable(n.status().message());  // try again later
    uint64_t found = std::strtoull(n->c_str(), nullptr, 10);
    if (found == count) return Status::Ok();
    if (found != 0) {
      return Status::IoError(
          Where() + ": an INSERT into " + def.name + " landed in part (" + std::to_string(found) +
          " of " + std::to_string(count) +
          " rows); this attempt is abandoned, nothing of it counts: " + last.message());
    }
    return Status::Unavailable("not landed");
  };
  Status st = WithRetries(send, landed);
  return st.ok() || st.code() == StatusCode::kIoError ? st : last;
}

Status ClickHouseStore::InsertSmall(const TableDef& def, const std::string& rows) const {
  // Rows of these tables are idempotent (a read groups them by key), so a
  // failed INSERT is simply sent again.
  const std::string into = T(def) + " (" + ColumnNames(def.columns) + ")";
  return WithRetries([&] { return client_.Insert(into, "RowBinary", rows, InsertSettings()); }, {});
}

Status ClickHouseStore::EncodeSourceDays(
    const std::string& zone, const std::string& point, uint64_t attempt,
    const std::vector<SourceDayBlock>& blocks, uint32_t* next_chunk,
    const std::function<Status(const TableDef*, std::string, size_t, uint32_t)>& send) {
  std::string out;
  size_t rows = 0;
  for (const SourceDayBlock& b : blocks) {
    const uint32_t port = b.port.Code();
    for (const SourceDayRow& r : b.rows) {
      if (rows == 0) out.reserve(kInsertRows * 90);
      PutString(&out, zone);
      PutFixed<int32_t>(&out, b.day);
      PutString(&out, point);
      PutFixed<uint32_t>(&out, port);
      PutAddress(&out, r.source);
      PutFixed<uint64_t>(&out, r.accesses);
      PutFixed<int64_t>(&out, r.first_ns);
      PutFixed<int64_t>(&out, r.last_ns);
      PutFixed<uint64_t>(&out, attempt);
      PutFixed<uint32_t>(&out, *next_chunk);
      if (++rows == kInsertRows) {
        SCANSCOPE_RETURN_IF_ERROR(send(&kSourceDays, std::move(out), rows, (*next_chunk)++));
        out = std::string();
        rows = 0;
      }
    }
  }
  if (rows > 0)
    SCANSCOPE_RETURN_IF_ERROR(send(&kSourceDays, std::move(out), rows, (*next_chunk)++));
  // The blocks' totals.
  out = std::string();
  rows = 0;
  for (const SourceDayBlock& b : blocks) {
    PutString(&out, zone);
    PutFixed<int32_t>(&out, b.day);
    PutString(&out, point);
    PutFixed<uint32_t>(&out, b.port.Code());
    PutFixed<uint64_t>(&out, b.Accesses());
    PutFixed<uint64_t>(&out, b.Sources());
    PutFixed<uint64_t>(&out, attempt);
    PutFixed<uint32_t>(&out, *next_chunk);
    if (++rows == kInsertRows) {
      SCANSCOPE_RETURN_IF_ERROR(send(&kBlockTotals, std::move(out), rows, (*next_chunk)++));
      out = std::string();
      rows = 0;
    }
  }
  if (rows > 0)
    SCANSCOPE_RETURN_IF_ERROR(send(&kBlockTotals, std::move(out), rows, (*next_chunk)++));
  return Status::Ok();
}

Status ClickHouseStore::CreateSchema() {
  // The database and local tables on every node (18.16 has ON CLUSTER only
  // with ZooKeeper, so the DDL goes to each node over HTTP).
  Result<std::vector<Endpoint>> endpoints = NodeEndpoints(options_);
  if (!endpoints.ok()) return endpoints.status();
  std::vector<HttpClient> nodes;
  if (options_.cluster.empty()) {
    nodes.push_back(client_);
  } else {
    for (const Endpoint& e : *endpoints) nodes.emplace_back(e);
  }
  auto create = [&](const HttpClient& node) -> Status {
    Endpoint server = node.endpoint();
    server.database.clear();
    HttpClient bare(server);
    Result<std::string> r =
        bare.Execute("CREATE DATABASE IF NOT EXISTS `" + options_.database + "`");
    if (!r.ok()) return r.status();
    for (const TableDef* t : kTables) {
      r = node.Execute("CREATE TABLE IF NOT EXISTS " + std::string(t->name) + " (" + t->columns +
                       ") ENGINE = " + t->engine);
      if (!r.ok()) return r.status();
    }
    return Status::Ok();
  };
  for (const HttpClient& node : nodes) SCANSCOPE_RETURN_IF_ERROR(create(node));
  if (!options_.cluster.empty()) {
    Endpoint server = client_.endpoint();
    server.database.clear();
    Result<std::string> r =
        HttpClient(server).Execute("CREATE DATABASE IF NOT EXISTS `" + options_.database + "`");
    if (!r.ok()) return r.status();
    for (const TableDef* t : kTables) {
      r = client_.Execute("CREATE TABLE IF NOT EXISTS " + T(*t) + " (" + t->columns +
                          ") ENGINE = Distributed(" + options_.cluster + ", " + options_.database +
                          ", " + t->name + ", " + t->sharding_key + ")");
      if (!r.ok()) return r.status();
    }
  }
  return Status::Ok();
}

Status ClickHouseStore::CheckFormat(const std::vector<TimeZone>& default_zones) {
  Result<std::string> rows =
      client_.Select("SELECT key, any(value) FROM " + T(kMeta) + " GROUP BY key FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::map<std::string, std::string> meta;
  RowReader r(*rows);
  while (!r.done()) {
    std::string key(r.String());
    meta[key] = std::string(r.String());
  }
  if (r.failed()) return Status::Corruption(Where() + ": bad answer from table meta");
  if (meta.empty()) {
    // A new store: its format and the zones it keeps from the start.
    std::string m;
    PutString(&m, "format");
    PutString(&m, "scanscope-store");
    PutString(&m, "schema_version");
    PutString(&m, std::to_string(kSchemaVersion));
    SCANSCOPE_RETURN_IF_ERROR(InsertSmall(kMeta, m));
    if (!default_zones.empty()) {
      std::string z;
      int64_t order = 0;
      for (const TimeZone& zone : default_zones) {
        PutString(&z, zone.name());
        PutFixed<uint64_t>(&z, 0);
        PutFixed<int64_t>(&z, order++);
      }
      SCANSCOPE_RETURN_IF_ERROR(InsertSmall(kZones, z));
    }
    return Status::Ok();
  }
  if (meta["format"] != "scanscope-store") {
    return Status::InvalidArgument(Where() + ": not a scanscope store (table meta says format '" +
                                   meta["format"] + "')");
  }
  int version = std::atoi(meta["schema_version"].c_str());
  if (version > kSchemaVersion) {
    return Status::Unsupported(Where() + ": store schema version " + std::to_string(version) +
                               " is newer than this scanscope's (" +
                               std::to_string(kSchemaVersion) + "); upgrade scanscope");
  }
  if (version < 1) {
    return Status::Corruption(Where() + ": table meta: bad schema_version '" +
                              meta["schema_version"] + "'");
  }
  return Status::Ok();
}

Status ClickHouseStore::Open(const std::vector<TimeZone>& default_zones) {
  if (options_.database.empty()) return Status::InvalidArgument("ClickHouse URL names no database");
  SCANSCOPE_RETURN_IF_ERROR(CreateSchema());
  SCANSCOPE_RETURN_IF_ERROR(CheckFormat(default_zones));
  if (options_.retention_months > 0) {
    Result<std::vector<uint32_t>> dropped = ApplyClickHouseRetention(options_, NowNs());
    if (!dropped.ok()) return dropped.status();
  }
  return Status::Ok();
}

Result<std::vector<MonitoringPoint>> ClickHouseStore::Points() {
  Result<std::string> rows =
      client_.Select("SELECT name, argMax(watched, version), argMax(description, version) FROM " +
                     T(kPoints) + " GROUP BY name ORDER BY name FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::vector<MonitoringPoint> out;
  RowReader r(*rows);
  while (!r.done()) {
    MonitoringPoint p;
    p.name = std::string(r.String());
    std::string_view watched = r.String();
    p.description = std::string(r.String());
    if (r.failed()) break;
    auto set = PrefixSet::Parse(watched);
    if (!set.ok() && !watched.empty()) {
      return Status::Corruption(Where() + ": table points, point " + p.name +
                                ": bad watched prefixes: " + set.status().message());
    }
    if (set.ok()) p.watched = *set;
    out.push_back(std::move(p));
  }
  if (r.failed()) return Status::Corruption(Where() + ": bad answer from table points");
  return out;
}

Result<std::vector<LedgerEntry>> ClickHouseStore::Ledger() {
  Result<std::string> rows =
      client_.Select("SELECT batch_id, " + AcceptedLedger("point") + ", " +
                     AcceptedLedger("origin") + ", min(ingested_at) AS at, " +
                     AcceptedLedger("accesses") + ", " + AcceptedLedger("summary_json") + " FROM " +
                     LiveLedger() + " GROUP BY batch_id ORDER BY at, batch_id FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::vector<LedgerEntry> out;
  RowReader r(*rows);
  while (!r.done()) {
    LedgerEntry e;
    e.batch_id = std::string(r.String());
    e.point = std::string(r.String());
    e.origin = std::string(r.String());
    e.ingested_at_ns = r.Fixed<int64_t>();
    e.accesses = r.Fixed<uint64_t>();
    e.summary_json = std::string(r.String());
    if (r.failed()) break;
    out.push_back(std::move(e));
  }
  if (r.failed()) return Status::Corruption(Where() + ": bad answer from table ledger");
  return out;
}

Result<std::vector<std::string>> ClickHouseStore::Zones() {
  Result<std::string> rows = client_.Select("SELECT name FROM " + T(kZones) +
                                            " GROUP BY name ORDER BY min(added_at), name "
                                            "FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  RowReader r(*rows);
  while (!r.done()) out.emplace_back(r.String());
  if (r.failed()) return Status::Corruption(Where() + ": bad answer from table zones");
  return out;
}

Status ClickHouseStore::DoPutPoint(const MonitoringPoint& point) {
  std::string row;
  PutString(&row, point.name);
  PutString(&row, point.watched.ToString());
  PutString(&row, point.description);
  PutFixed<int64_t>(&row, NowNs());
  return InsertSmall(kPoints, row);
}

Status ClickHouseStore::DoPutPointStatus(const PointStatus& status) {
  std::string row;
  PutString(&row, status.point);
  PutFixed<int64_t>(&row, status.reported_at_ns);
  PutString(&row, status.status_json);
  PutFixed<int64_t>(&row, NowNs());
  return InsertSmall(kPointStatus, row);
}

Result<std::vector<PointStatus>> ClickHouseStore::DoPointStatuses() {
  Result<std::string> rows = client_.Select(
      "SELECT point, argMax(reported_at, version), argMax(status_json, version) FROM " +
      T(kPointStatus) + " GROUP BY point ORDER BY point FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::vector<PointStatus> out;
  RowReader r(*rows);
  while (!r.done()) {
    PointStatus p;
    p.point = std::string(r.String());
    p.reported_at_ns = r.Fixed<int64_t>();
    p.status_json = std::string(r.String());
    if (r.failed()) break;
    out.push_back(std::move(p));
  }
  if (r.failed()) return Status::Corruption(Where() + ": bad answer from table point_status");
  return out;
}

Result<std::optional<std::string>> ClickHouseStore::DoFindBatch(const std::string& batch_id) {
  Result<std::string> rows = client_.Select("SELECT " + AcceptedLedger("origin") + " FROM " +
                                            LiveLedger() + " WHERE batch_id = " + Quote(batch_id) +
                                            " GROUP BY batch_id FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<std::string>();
  RowReader r(*rows);
  std::string origin(r.String());
  if (r.failed()) return Status::Corruption(Where() + ": bad answer from table ledger");
  return std::optional<std::string>(std::move(origin));
}

Result<bool> ClickHouseStore::DoHasPoint(const std::string& point) {
  Result<std::string> rows =
      client_.Select("SELECT count() FROM " + T(kPoints) + " WHERE name = " + Quote(point) +
                     " FORMAT TabSeparated");
  if (!rows.ok()) return rows.status();
  return std::strtoull(rows->c_str(), nullptr, 10) > 0;
}

Result<std::unique_ptr<IngestWriter>> ClickHouseStore::DoBeginIngest(const BatchInfo& info,
                                                                     std::vector<TimeZone> zones) {
  return std::unique_ptr<IngestWriter>(new ClickHouseWriter(this, info, std::move(zones)));
}

Result<std::map<std::string, uint64_t>> ClickHouseStore::DoRawRecordsByBatch() {
  // Raw records counted per attempt, then named by the batch whose accepted
  // attempt it is (other attempts' rows never count).
  Result<std::string> ledger =
      client_.Select("SELECT batch_id, " + AcceptedLedger("attempt") + " FROM " + LiveLedger() +
                     " GROUP BY batch_id FORMAT RowBinary");
  if (!ledger.ok()) return ledger.status();
  Result<std::string> counts = client_.Select("SELECT attempt, count() FROM " + T(kRaw) +
                                              " GROUP BY attempt FORMAT RowBinary");
  if (!counts.ok()) return counts.status();
  std::map<uint64_t, uint64_t> by_attempt;
  RowReader c(*counts);
  while (!c.done()) {
    uint64_t a = c.Fixed<uint64_t>();
    by_attempt[a] = c.Fixed<uint64_t>();
  }
  if (c.failed()) return Status::Corruption(Where() + ": bad answer counting raw records");
  std::map<std::string, uint64_t> out;
  RowReader r(*ledger);
  while (!r.done()) {
    std::string batch(r.String());
    uint64_t attempt = r.Fixed<uint64_t>();
    if (r.failed()) return Status::Corruption(Where() + ": bad answer from table ledger");
    auto it = by_attempt.find(attempt);
    out[batch] = it == by_attempt.end() ? 0 : it->second;
  }
  return out;
}

Status ClickHouseStore::DoScanRaw(const std::string& point, int64_t from_ns, int64_t to_ns,
                                  const RawVisitor& visit) {
  // Accepted batches' attempts only (a subquery: a list could outgrow
  // max_query_size).
  const std::string visible = "attempt GLOBAL IN (SELECT " + AcceptedLedger("attempt") + " FROM " +
                              LiveLedger() + " GROUP BY batch_id)";
  const std::string where = " WHERE point = " + Quote(point) +
                            " AND time_ns >= " + std::to_string(from_ns) + " AND time_ns < " +
                            std::to_string(to_ns) + " AND " + visible;
  // The records' own span inside the range, then windows of 8 days of it, so
  // that no one answer grows too large.
  Result<std::string> span = client_.Select("SELECT min(time_ns), max(time_ns), count() FROM " +
                                            T(kRaw) + where + " FORMAT RowBinary");
  if (!span.ok()) return span.status();
  RowReader sr(*span);
  const int64_t first = sr.Fixed<int64_t>(), last = sr.Fixed<int64_t>();
  const uint64_t count = sr.Fixed<uint64_t>();
  if (sr.failed()) return Status::Corruption(Where() + ": bad answer from table raw");
  if (count == 0) return Status::Ok();
  constexpr int64_t kWindowNs = 8 * kNanosPerDay;
  std::vector<AccessRecord> records;
  for (int64_t from = first, to = 0; from <= last; from = to) {
    to = last - from < kWindowNs ? last + 1 : from + kWindowNs;
    Result<std::string> rows = client_.Select(
        "SELECT time_ns, source, destination, port, tcp_flags, ttl, length FROM " + T(kRaw) +
        " WHERE point = " + Quote(point) + " AND time_ns >= " + std::to_string(from) +
        " AND time_ns < " + std::to_string(to) + " AND " + visible + " FORMAT RowBinary");
    if (!rows.ok()) return rows.status();
    records.clear();
    RowReader r(*rows);
    while (!r.done()) {
      AccessRecord a;
      a.time_ns = r.Fixed<int64_t>();
      a.source = r.Address();
      a.destination = r.Address();
      uint32_t code = r.Fixed<uint32_t>();
      a.tcp_flags = r.Fixed<uint8_t>();
      a.ttl = r.Fixed<uint8_t>();
      a.length = r.Fixed<uint16_t>();
      if (r.failed()) break;
      auto port = PortType::FromCode(code);
      if (!port) {
        return Status::Corruption(Where() + ": table raw, point " + point + ": bad port code " +
                                  std::to_string(code));
      }
      a.port_type = *port;
      records.push_back(a);
      if (records.size() == 65536) {
        SCANSCOPE_RETURN_IF_ERROR(visit(records));
        records.clear();
      }
    }
    if (r.failed()) return Status::Corruption(Where() + ": bad answer reading raw records");
    if (!records.empty()) SCANSCOPE_RETURN_IF_ERROR(visit(records));
  }
  return Status::Ok();
}

Status ClickHouseStore::DoStoreZone(const TimeZone& zone,
                                    const std::function<Status(const ZoneBlockSink&)>& build) {
  const uint64_t attempt = NewAttempt();
  uint32_t next_chunk = 0;
  auto send = [&](const TableDef* def, std::string rows, size_t count, uint32_t chunk) {
    return InsertChunk(*def, "RowBinary", rows, count, attempt, chunk);
  };
  SCANSCOPE_RETURN_IF_ERROR(
      build([&](const std::string& point, std::vector<SourceDayBlock> blocks) {
        return EncodeSourceDays(zone.name(), point, attempt, blocks, &next_chunk, send);
      }));
  // The zone row last: it makes the zone's rows count.
  std::string row;
  PutString(&row, zone.name());
  PutFixed<uint64_t>(&row, attempt);
  PutFixed<int64_t>(&row, NowNs());
  return InsertSmall(kZones, row);
}

// Rows are kept per attempt and merged by every read, so taking a batch back
// is one row: its accepted attempt in `forgotten`, which every read leaves
// out. The rebuild the other backends need is not: except where a zone was
// built from the raw records after the batch came in, whose rows hold the
// batch's accesses under the zone's own attempt; that is refused.
Status ClickHouseStore::DoForget(const LedgerEntry& batch, const ZoneDaysBuilder&) {
  Result<std::string> zones =
      client_.Select("SELECT name FROM " + T(kZones) + " WHERE attempt != 0 GROUP BY name " +
                     "HAVING min(added_at) > " + std::to_string(batch.ingested_at_ns) +
                     " ORDER BY name FORMAT TabSeparated");
  if (!zones.ok()) return zones.status();
  if (!zones->empty()) {
    return Status::Unsupported(Where() + ": zone " + zones->substr(0, zones->find('\n')) +
                               " was built from the raw records after batch " + batch.batch_id +
                               " came in; ClickHouse cannot take the batch back from its days");
  }
  Result<std::string> rows = client_.Select(
      "SELECT " + AcceptedLedger("attempt") + " FROM " + LiveLedger() +
      " WHERE batch_id = " + Quote(batch.batch_id) + " GROUP BY batch_id FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  RowReader r(*rows);
  const uint64_t attempt = r.Fixed<uint64_t>();
  if (r.failed()) return Status::NotFound(Where() + ": no batch " + batch.batch_id);
  std::string row;
  PutString(&row, batch.batch_id);
  PutFixed<uint64_t>(&row, attempt);
  PutString(&row, batch.point);
  PutString(&row, batch.origin);
  PutFixed<int64_t>(&row, batch.ingested_at_ns);
  PutFixed<uint64_t>(&row, batch.accesses);
  PutString(&row, batch.summary_json);
  PutFixed<int64_t>(&row, NowNs());
  return InsertSmall(kForgotten, row);
}

Result<std::vector<ForgottenBatch>> ClickHouseStore::DoForgotten() {
  Result<std::string> rows = client_.Select(
      "SELECT batch_id, point, origin, ingested_at, accesses, summary_json, forgotten_at FROM " +
      T(kForgotten) + " ORDER BY forgotten_at, batch_id FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::vector<ForgottenBatch> out;
  RowReader r(*rows);
  while (!r.done()) {
    ForgottenBatch f;
    f.batch.batch_id = std::string(r.String());
    f.batch.point = std::string(r.String());
    f.batch.origin = std::string(r.String());
    f.batch.ingested_at_ns = r.Fixed<int64_t>();
    f.batch.accesses = r.Fixed<uint64_t>();
    f.batch.summary_json = std::string(r.String());
    f.forgotten_at_ns = r.Fixed<int64_t>();
    if (r.failed()) break;
    out.push_back(std::move(f));
  }
  if (r.failed()) return Status::Corruption(Where() + ": bad answer from table forgotten");
  return out;
}

Status ClickHouseStore::DoAddCoverage(const std::vector<CoverageEntry>& entries) {
  std::string rows;
  for (const CoverageEntry& e : entries) PutCoverage(&rows, e, 0);
  return InsertSmall(kCoverage, rows);
}

Result<std::vector<CoverageEntry>> ClickHouseStore::DoCoverageEntries() {
  Result<std::string> rows = client_.Select(
      "SELECT point, kind, from_ns, to_ns, origin, recorded_at FROM " + T(kCoverage) +
      " WHERE attempt = 0 OR " + VisibleAttempts() + " FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::vector<CoverageEntry> out;
  RowReader r(*rows);
  while (!r.done()) {
    CoverageEntry e;
    e.point = std::string(r.String());
    const uint8_t kind = r.Fixed<uint8_t>();
    e.from_ns = r.Fixed<int64_t>();
    e.to_ns = r.Fixed<int64_t>();
    e.origin = std::string(r.String());
    e.recorded_at_ns = r.Fixed<int64_t>();
    if (r.failed() || kind > static_cast<uint8_t>(CoverageKind::kRemoved)) {
      return Status::Corruption(Where() + ": bad answer from table coverage");
    }
    e.kind = static_cast<CoverageKind>(kind);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<BlockTotal>> ClickHouseStore::DoTotals(const std::string& zone,
                                                          int32_t first_day, int32_t last_day) {
  const std::string where = " WHERE zone = " + Quote(zone) + " AND day BETWEEN " +
                            std::to_string(first_day) + " AND " + std::to_string(last_day) +
                            " AND " + VisibleAttempts();
  // The blocks' totals summed over the accepted attempts, with how many
  // attempts wrote each block.
  Result<std::string> rows = client_.Select(
      "SELECT day, point, port, sum(accesses), sum(sources), count() FROM " + T(kBlockTotals) +
      where + " GROUP BY day, point, port ORDER BY day, point, port FORMAT RowBinary");
  if (!rows.ok()) return rows.status();
  std::vector<BlockTotal> out;
  std::map<std::tuple<int32_t, std::string, uint32_t>, size_t> shared;  // -> index in out
  RowReader r(*rows);
  while (!r.done()) {
    BlockTotal t;
    t.day = r.Fixed<int32_t>();
    t.point = std::string(r.String());
    uint32_t code = r.Fixed<uint32_t>();
    t.accesses = r.Fixed<uint64_t>();
    t.sources = r.Fixed<uint64_t>();
    uint64_t writers = r.Fixed<uint64_t>();
    if (r.failed()) break;
    auto port = PortType::FromCode(code);
    if (!port) {
      return Status::Corruption(Where() + ": table block_totals: bad port code " +
                                std::to_string(code) + " on " + FormatDay(t.day));
    }
    t.port = *port;
    if (writers > 1) shared[{t.day, t.point, code}] = out.size();
    out.push_back(std::move(t));
  }
  if (r.failed()) return Status::Corruption(Where() + ": bad answer from table block_totals");
  if (shared.empty()) return out;
  // Blocks several attempts wrote: a source in two of them counts once.
  Result<std::string> exact = client_.Select(
      "SELECT day, point, port, uniqExact(source) FROM " + T(kSourceDays) + where +
      " AND (day, point, port) GLOBAL IN (SELECT day, point, port FROM " + T(kBlockTotals) + where +
      " GROUP BY day, point, port HAVING count() > 1) GROUP BY day, point, port "
      "FORMAT RowBinary");
  if (!exact.ok()) return exact.status();
  RowReader e(*exact);
  size_t fixed = 0;
  while (!e.done()) {
    int32_t day = e.Fixed<int32_t>();
    std::string point(e.String());
    uint32_t code = e.Fixed<uint32_t>();
    uint64_t sources = e.Fixed<uint64_t>();
    if (e.failed()) break;
    auto it = shared.find({day, point, code});
    if (it == shared.end()) continue;
    out[it->second].sources = sources;
    ++fixed;
  }
  if (e.failed() || fixed != shared.size()) {
    return Status::Corruption(Where() + ": source_days disagree with block_totals");
  }
  return out;
}

Status ClickHouseStore::DoScanBlocks(const std::string& zone, int32_t first_day, int32_t last_day,
                                     const BlockVisitor& visit) {
  // Rows per day, to ask for runs of days of about kScanRows rows at a time.
  Result<std::vector<BlockTotal>> totals = DoTotals(zone, first_day, last_day);
  if (!totals.ok()) return totals.status();
  std::vector<std::pair<int32_t, uint64_t>> days;
  for (const BlockTotal& t : *totals) {
    if (days.empty() || days.back().first != t.day) days.emplace_back(t.day, 0);
    days.back().second += t.sources;
  }
  // The rows as stored (one per accepted attempt that wrote the source-day),
  // merged here: sorted by (day, point, port, source), equal keys added.
  struct Row {
    int32_t day;
    uint32_t port;
    std::string_view point;  // into the answer
    SourceDayRow row;
  };
  std::vector<Row> rows;
  size_t i = 0;
  while (i < days.size()) {
    size_t j = i;
    uint64_t rows_wanted = 0;
    while (j < days.size() && (j == i || rows_wanted + days[j].second <= kScanRows)) {
      rows_wanted += days[j].second;
      ++j;
    }
    const int32_t from = days[i].first, to = days[j - 1].first;
    i = j;
    Result<std::string> answer = client_.Select(
        "SELECT day, point, port, source, accesses, first_ns, last_ns FROM " + T(kSourceDays) +
        " WHERE zone = " + Quote(zone) + " AND day BETWEEN " + std::to_string(from) + " AND " +
        std::to_string(to) + " AND " + VisibleAttempts() + " FORMAT RowBinary");
    if (!answer.ok()) return answer.status();
    rows.clear();
    rows.reserve(rows_wanted);
    RowReader r(*answer);
    while (!r.done()) {
      Row x;
      x.day = r.Fixed<int32_t>();
      x.point = r.String();
      x.port = r.Fixed<uint32_t>();
      x.row.source = r.Address();
      x.row.accesses = r.Fixed<uint64_t>();
      x.row.first_ns = r.Fixed<int64_t>();
      x.row.last_ns = r.Fixed<int64_t>();
      if (r.failed()) break;
      rows.push_back(x);
    }
    if (r.failed()) return Status::Corruption(Where() + ": bad answer from table source_days");
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      if (a.day != b.day) return a.day < b.day;
      if (a.point != b.point) return a.point < b.point;
      if (a.port != b.port) return a.port < b.port;
      return a.row.source < b.row.source;
    });
    SourceDayBlock block;
    size_t k = 0;
    while (k < rows.size()) {
      const Row& head = rows[k];
      auto port = PortType::FromCode(head.port);
      if (!port) {
        return Status::Corruption(Where() + ": table source_days: bad port code " +
                                  std::to_string(head.port) + " on " + FormatDay(head.day));
      }
      block.day = head.day;
      block.port = *port;
      block.rows.clear();
      size_t m = k;
      for (; m < rows.size() && rows[m].day == head.day && rows[m].port == head.port &&
             rows[m].point == head.point;
           ++m) {
        const SourceDayRow& x = rows[m].row;
        if (!block.rows.empty() && block.rows.back().source == x.source) {
          SourceDayRow& y = block.rows.back();
          y.accesses += x.accesses;
          y.first_ns = std::min(y.first_ns, x.first_ns);
          y.last_ns = std::max(y.last_ns, x.last_ns);
        } else {
          block.rows.push_back(x);
        }
      }
      SCANSCOPE_RETURN_IF_ERROR(visit(std::string(head.point), block));
      k = m;
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsClickHouseUrl(std::string_view db) { return db.starts_with("clickhouse://"); }

Result<ClickHouseOptions> ParseClickHouseUrl(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bad ClickHouse URL '" + std::string(url) + "': " + why +
                                   " (want clickhouse://[USER[:PASSWORD]@]HOST:PORT/DATABASE"
                                   "[?cluster=NAME])");
  };
  if (!IsClickHouseUrl(url)) return bad("it does not start with clickhouse://");
  std::string_view rest = url.substr(std::string_view("clickhouse://").size());
  ClickHouseOptions o;
  if (const char* u = std::getenv("SCANSCOPE_CLICKHOUSE_USER")) o.user = u;
  if (const char* p = std::getenv("SCANSCOPE_CLICKHOUSE_PASSWORD")) o.password = p;
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return bad("no /DATABASE");
  std::string_view authority = rest.substr(0, slash);
  o.database = PercentDecode(rest.substr(slash + 1));
  if (o.database.empty()) return bad("no database");
  for (char c : o.database) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      return bad("the database name may hold only letters, digits and _");
    }
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = cred.find(':');
    o.user = PercentDecode(cred.substr(0, colon));
    o.password = colon == std::string_view::npos ? "" : PercentDecode(cred.substr(colon + 1));
  }
  if (!ParseNodeAddress(authority, 8123, &o.host, &o.port)) return bad("bad HOST:PORT");
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = kv.find('=');
    std::string key(kv.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1));
    if (key == "cluster") {
      if (value.empty()) return bad("empty cluster");
      for (char c : value) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
          return bad("the cluster name may hold only letters, digits and _");
        }
      }
      o.cluster = value;
    } else if (key == "nodes") {
      std::string_view list = value;
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::pair<std::string, int> node;
        if (!ParseNodeAddress(list.substr(0, comma), 8123, &node.first, &node.second)) {
          return bad("bad node '" + std::string(list.substr(0, comma)) + "'");
        }
        o.node_http.push_back(node);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    } else if (key == "retention_months") {
      char* end = nullptr;
      long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 0 || n > 100000) {
        return bad("retention_months must be a whole number >= 0");
      }
      o.retention_months = static_cast<int>(n);
    } else {
      return bad("unknown parameter '" + key + "'");
    }
  }
  if (!o.node_http.empty() && o.cluster.empty()) return bad("nodes= without cluster=");
  return o;
}

Result<std::unique_ptr<Store>> OpenClickHouseStore(const ClickHouseOptions& options,
                                                   const std::vector<TimeZone>& default_zones) {
  auto store = std::make_unique<ClickHouseStore>(options);
  SCANSCOPE_RETURN_IF_ERROR(store->Open(default_zones));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::vector<uint32_t>> ApplyClickHouseRetention(const ClickHouseOptions& options,
                                                       int64_t now_ns) {
  if (options.retention_months <= 0) return std::vector<uint32_t>{};
  CivilDate today = CivilFromDays(static_cast<int32_t>(now_ns / kNanosPerDay));
  int64_t months = int64_t{today.year} * 12 + (today.month - 1) - options.retention_months;
  const uint32_t oldest_kept = static_cast<uint32_t>((months / 12) * 100 + months % 12 + 1);
  // Every node holds its own partitions of the raw table.
  Result<std::vector<Endpoint>> nodes = NodeEndpoints(options);
  if (!nodes.ok()) return nodes.status();
  std::set<uint32_t> dropped;
  for (const Endpoint& e : *nodes) {
    HttpClient node(e);
    Result<std::string> parts =
        node.Select("SELECT DISTINCT partition FROM system.parts WHERE active AND database = " +
                    Quote(options.database) + " AND table = 'raw' FORMAT RowBinary");
    if (!parts.ok()) return parts.status();
    RowReader r(*parts);
    while (!r.done()) {
      std::string partition(r.String());
      if (r.failed()) break;
      char* end = nullptr;
      unsigned long month = std::strtoul(partition.c_str(), &end, 10);
      if (*end != '\0' || month >= oldest_kept) continue;
      Result<std::string> st =
          node.Execute("ALTER TABLE raw DROP PARTITION " + std::to_string(month));
      if (!st.ok()) return st.status();
      dropped.insert(static_cast<uint32_t>(month));
    }
  }
  return std::vector<uint32_t>(dropped.begin(), dropped.end());
}

}  // namespace scanscope
