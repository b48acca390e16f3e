#pragma once
// The store: one interface, backends beside it (sqlite/, clickhouse/, and the
// in-memory one of memory_store.h), which must give identical answers on
// identical data. As in Zeek's storage Backend, public methods check and
// apply the rules, then call private virtual Do*() methods that only store.
//
// What it keeps: the monitoring points; source-day blocks (see source_day.h)
// per zone the store keeps days for; the raw access records (for drill-down,
// for building the days of a zone asked for later, and for telling accesses
// already stored from new ones); the ingest ledger, so that a batch id seen
// before is a no-op; the last status report of each point's sensor; and each
// point's coverage, the intervals in which it was watching (docs/coverage.md).
//
// The rules, here once for every backend (docs/store.md):
// - one writer at a time: while an IngestWriter is open, nothing else writes;
// - a batch id already in the ledger is refused (AlreadyExists, with the
//   origin it was ingested from), checked inside the writer's own
//   transaction where the backend has one;
// - accesses and status reports are only for points in the store (NotFound);
// - the days of a zone are built from the raw records, and only when every
//   ledger batch still has all of its raw records (retention may drop them).
//
// Threads: a Store is used from one thread at a time (the collector's writer
// thread, a command's main thread).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "record/access_record.h"
#include "record/coverage.h"
#include "store/duplicate_filter.h"
#include "store/source_day.h"

namespace scanscope {

struct MonitoringPoint {
  std::string name;
  PrefixSet watched;
  std::string description;
};

// What identifies one ingested unit (a file, later a sensor batch).
struct BatchInfo {
  std::string batch_id;  // ledger key: same bytes for the same point -> same id
  std::string point;     // the monitoring point the accesses were seen at
  std::string origin;    // a human note: the file path, the sensor
};

// Totals of one (day, point, port type) in one zone: what stats sums.
struct BlockTotal {
  int32_t day = 0;
  std::string point;
  PortType port;
  uint64_t accesses = 0;
  uint64_t sources = 0;
};

struct LedgerEntry {
  std::string batch_id;
  std::string point;
  std::string origin;
  int64_t ingested_at_ns = 0;
  uint64_t accesses = 0;
  std::string summary_json;  // the ingest summary, as the ingest wrote it
};

// A batch taken back by Store::Forget, as the ledger's history keeps it.
struct ForgottenBatch {
  LedgerEntry batch;            // as it was in the ledger
  int64_t forgotten_at_ns = 0;  // when it was taken back, UTC ns
};

// The latest status report of a point's sensor (its counters as JSON: spool
// depth, capture drops, newest access, ...), as the collector received it.
struct PointStatus {
  std::string point;
  int64_t reported_at_ns = 0;  // when the collector received it, UTC ns
  std::string status_json;     // a JSON object, as the sensor sent it
};

// Coverage (docs/coverage.md): what an input, a sensor or an operator said
// of when a point was watching. A point's coverage is the union of its
// kWatched and kAdded intervals less its kRemoved ones.
enum class CoverageKind : uint8_t { kWatched = 0, kAdded = 1, kRemoved = 2 };
std::string_view CoverageKindName(CoverageKind kind);  // "watched", "added", "removed"
std::optional<CoverageKind> ParseCoverageKind(std::string_view name);

struct CoverageEntry {
  std::string point;
  CoverageKind kind = CoverageKind::kWatched;
  int64_t from_ns = 0;  // [from_ns, to_ns), UTC ns; from_ns < to_ns
  int64_t to_ns = 0;
  // Who said so: the batch id that brought it (a file, a sensor's batch),
  // "sensor <spool id>" (its status reports), or "operator".
  std::string origin;
  int64_t recorded_at_ns = 0;
  friend bool operator==(const CoverageEntry&, const CoverageEntry&) = default;
};

// Writes one batch atomically: nothing of it is visible until Commit, and a
// writer destroyed without Commit (or a process killed) leaves the store as
// it was. Not thread-safe.
class IngestWriter {
 public:
  // Closing the writer (commit or not) lets the store take other writes.
  virtual ~IngestWriter();
  // Adds accesses of the batch's point: leaves out those the store already
  // holds, aggregates the rest into source-days for every zone the store
  // keeps, and keeps their raw records. The same as RemoveStored, AddToDays
  // and then AppendRaw.
  Status Add(std::span<const AccessRecord> records);
  // Removes from *records, in place, the accesses the store already holds
  // for this batch's point (docs/store.md, "Each access once"); returns how
  // many it removed. Records go through it, in the order they are added,
  // before AddToDays and AppendRaw.
  Result<uint64_t> RemoveStored(std::vector<AccessRecord>* records);
  // Accesses RemoveStored has left out so far.
  uint64_t duplicates() const { return duplicates_ ? duplicates_->duplicates() : 0; }
  // The two halves of Add past RemoveStored, for callers that run them on two
  // threads: each touches only its own state, so one thread may call
  // AddToDays while another calls AppendRaw; neither may run concurrently
  // with itself or with Commit, and every record must go through both
  // before Commit.
  Status AddToDays(std::span<const AccessRecord> records);
  Status AppendRaw(std::span<const AccessRecord> records);
  // What the batch says of when its point was watching (a file's span less
  // its silences); committed with the batch, taken back with it.
  void AddCoverage(const IntervalSet& watched) { coverage_.Add(watched); }
  // Makes the batch durable and visible, and records it in the ledger.
  Status Commit(const std::string& summary_json);

 protected:
  explicit IngestWriter(std::vector<TimeZone> zones);
  // Raw records, in arrival order, in chunks; may be called many times.
  virtual Status DoAppendRaw(std::span<const AccessRecord> records) = 0;
  // blocks[i] holds the blocks for zones()[i]; merge them by addition into
  // what is stored, record the ledger entry, and commit.
  virtual Status DoCommit(std::vector<std::vector<SourceDayBlock>> blocks_by_zone,
                          uint64_t accesses, const std::string& summary_json) = 0;
  const std::vector<TimeZone>& zones() const { return zones_; }
  // The batch's coverage, for DoCommit to store with origin = its batch id.
  const IntervalSet& coverage() const { return coverage_; }

 private:
  friend class Store;
  static void EncodeBlocks(std::vector<SourceDayBlock>* blocks);
  // The "a writer is open" flag of each store this writer holds (a store that
  // wraps another has two), cleared on close.
  std::vector<bool*> open_flags_;
  // Set by Store::BeginIngest: asks the store for the point's raw records.
  std::unique_ptr<DuplicateFilter> duplicates_;
  std::vector<TimeZone> zones_;
  std::vector<DayFinder> day_finders_;
  std::vector<SourceDayTable> tables_;
  std::vector<AccessRecord> raw_buffer_;
  std::vector<int32_t> days_;  // scratch: local days of the records being added
  IntervalSet coverage_;
  uint64_t accesses_ = 0;
  bool committed_ = false;
  bool raw_failed_ = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // Points. PutPoint inserts or updates by name.
  Status PutPoint(const MonitoringPoint& point);
  virtual Result<std::vector<MonitoringPoint>> Points() = 0;

  // Starts writing a batch. AlreadyExists when the ledger holds its id (the
  // caller reports "already ingested" and changes nothing); NotFound when
  // the point is unknown; InvalidArgument while another writer is open.
  Result<std::unique_ptr<IngestWriter>> BeginIngest(const BatchInfo& info);
  virtual Result<std::vector<LedgerEntry>> Ledger() = 0;

  // Takes a committed batch back, atomically: its raw records, and its share
  // of every source-day in every kept zone (the days it touched are rebuilt
  // from the raw records that stay). The ledger entry moves to the history
  // (Forgotten), so the same batch id can be ingested again. NotFound when
  // the ledger does not hold it.
  Result<LedgerEntry> Forget(const std::string& batch_id);
  // The batches taken back, oldest first.
  Result<std::vector<ForgottenBatch>> Forgotten();

  // Sensor status: PutPointStatus replaces the point's last report (the
  // point must be in the store: NotFound otherwise); PointStatuses lists the
  // last report of every point that sent one, by point name.
  Status PutPointStatus(const PointStatus& status);
  Result<std::vector<PointStatus>> PointStatuses();

  // Coverage not brought by a batch: an operator's (kAdded, kRemoved) or a
  // sensor's status reports (kWatched). Each entry's point must exist;
  // InvalidArgument when an interval is empty.
  Status AddCoverage(const std::vector<CoverageEntry>& entries);
  // Every entry that counts: those of committed batches not taken back and
  // the others; by point, then from_ns.
  Result<std::vector<CoverageEntry>> CoverageEntries();
  // Per point with any entry: (kWatched and kAdded) less kRemoved. A point
  // without entries is absent: its coverage was never recorded.
  Result<std::map<std::string, IntervalSet>> Coverage();

  // The zones whose days are kept. Days of any other zone are built from the
  // raw records by EnsureZone (once; kept after).
  virtual Result<std::vector<std::string>> Zones() = 0;
  Status AddZone(const TimeZone& zone);  // AlreadyExists when it is kept
  Status EnsureZone(const TimeZone& zone);

  // Per (day, point, port type) totals for local days [first_day, last_day]
  // of `zone` (which must be kept: call EnsureZone first).
  Result<std::vector<BlockTotal>> Totals(const TimeZone& zone, int32_t first_day, int32_t last_day);
  // Every block in the range with its rows, for breakdowns that need the
  // sources themselves (areas, top sources). Order: day, point, port.
  using BlockVisitor = std::function<Status(const std::string& point, const SourceDayBlock&)>;
  Status ScanBlocks(const TimeZone& zone, int32_t first_day, int32_t last_day,
                    const BlockVisitor& visit);

  // The raw records of `point` with time in [from_ns, to_ns), of committed
  // batches only, handed to `visit` in chunks (at most 64K records each), in
  // no particular order. A point not in the store has none. Records of
  // months dropped by retention are not there.
  using RawVisitor = std::function<Status(std::span<const AccessRecord> records)>;
  Status ScanRaw(const std::string& point, int64_t from_ns, int64_t to_ns, const RawVisitor& visit);

 protected:
  // What messages call this store: a file path, "ClickHouse HOST:PORT/DB".
  virtual std::string Name() const = 0;
  // Where DoStoreZone's `build` hands each point's rebuilt blocks.
  using ZoneBlockSink =
      std::function<Status(const std::string& point, std::vector<SourceDayBlock> blocks)>;
  // The blocks of a point's local days [first_day, last_day] in a zone, built
  // from the raw records the store holds now.
  using ZoneDaysBuilder = std::function<Result<std::vector<SourceDayBlock>>(
      const TimeZone& zone, int32_t first_day, int32_t last_day)>;

 private:
  // Storage primitives. None of them checks a rule of the list above: Store
  // has done so before it calls them.
  virtual Status DoPutPoint(const MonitoringPoint& point) = 0;
  virtual Result<bool> DoHasPoint(const std::string& point) = 0;
  // The origin of `batch_id` when the ledger holds it.
  virtual Result<std::optional<std::string>> DoFindBatch(const std::string& batch_id) = 0;
  // Opens a writer (and, where the backend has them, its transaction).
  virtual Result<std::unique_ptr<IngestWriter>> DoBeginIngest(const BatchInfo& info,
                                                              std::vector<TimeZone> zones) = 0;
  virtual Status DoPutPointStatus(const PointStatus& status) = 0;
  virtual Result<std::vector<PointStatus>> DoPointStatuses() = 0;
  virtual Result<std::vector<BlockTotal>> DoTotals(const std::string& zone, int32_t first_day,
                                                   int32_t last_day) = 0;
  virtual Status DoScanBlocks(const std::string& zone, int32_t first_day, int32_t last_day,
                              const BlockVisitor& visit) = 0;
  virtual Status DoScanRaw(const std::string& point, int64_t from_ns, int64_t to_ns,
                           const RawVisitor& visit) = 0;
  // How many raw records each committed batch still has, by batch id.
  virtual Result<std::map<std::string, uint64_t>> DoRawRecordsByBatch() = 0;
  // Stores the days of a zone not yet kept, atomically: calls `build` once,
  // which hands each point's blocks to the sink; the zone is in Zones() only
  // once every block is stored.
  virtual Status DoStoreZone(const TimeZone& zone,
                             const std::function<Status(const ZoneBlockSink&)>& build) = 0;
  // Forgets `batch` atomically: removes its raw records, then for each kept
  // zone replaces the point's blocks of the local days its records touched by
  // what `rebuild` (zone, first_day, last_day) builds from the raw records
  // that stay, moves the ledger entry to the history, and drops the coverage
  // entries it brought.
  virtual Status DoForget(const LedgerEntry& batch, const ZoneDaysBuilder& rebuild) = 0;
  virtual Result<std::vector<ForgottenBatch>> DoForgotten() = 0;
  // Coverage entries outside any batch, and every entry that counts (those
  // of a batch only while the batch is committed and not taken back: DoForget
  // removes them, or its reads leave them out), in any order.
  virtual Status DoAddCoverage(const std::vector<CoverageEntry>& entries) = 0;
  virtual Result<std::vector<CoverageEntry>> DoCoverageEntries() = 0;

  Status CheckNoWriter(const char* what) const;
  Status BuildZone(const TimeZone& zone);

  bool writer_open_ = false;
};

}  // namespace scanscope
