#pragma once
// The store: one interface, backends beside it (sqlite/, later clickhouse/),
// which must give identical answers on identical data. As in Zeek's storage
// Backend, public methods validate and then call a private virtual Do*().
//
// What it keeps: the monitoring points; source-day blocks (see source_day.h)
// per zone the store keeps days for; the raw access records (for drill-down
// and for building the days of a zone asked for later); and the ingest ledger,
// so that a batch id seen before is a no-op.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "record/access_record.h"
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

// The latest status report of a point's sensor (its counters as JSON: spool
// depth, capture drops, newest access, ...), as the collector received it.
struct PointStatus {
  std::string point;
  int64_t reported_at_ns = 0;  // when the collector received it, UTC ns
  std::string status_json;     // a JSON object, as the sensor sent it
};

// Writes one batch atomically: nothing of it is visible until Commit, and a
// writer destroyed without Commit (or a process killed) leaves the store as
// it was. Not thread-safe.
class IngestWriter {
 public:
  virtual ~IngestWriter() = default;
  // Adds accesses of the batch's point. Aggregates them into source-days for
  // every zone the store keeps, and keeps the raw records. The same as
  // AddToDays and then AppendRaw.
  Status Add(std::span<const AccessRecord> records);
  // The two halves of Add, for callers that run them on two threads: each
  // touches only its own state, so one thread may call AddToDays while
  // another calls AppendRaw; neither may run concurrently with itself or
  // with Commit, and every record must go through both before Commit.
  Status AddToDays(std::span<const AccessRecord> records);
  Status AppendRaw(std::span<const AccessRecord> records);
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

 private:
  static void EncodeBlocks(std::vector<SourceDayBlock>* blocks);
  std::vector<TimeZone> zones_;
  std::vector<DayFinder> day_finders_;
  std::vector<SourceDayTable> tables_;
  std::vector<AccessRecord> raw_buffer_;
  std::vector<int32_t> days_;  // scratch: local days of the records being added
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
  // the point is unknown.
  Result<std::unique_ptr<IngestWriter>> BeginIngest(const BatchInfo& info);
  virtual Result<std::vector<LedgerEntry>> Ledger() = 0;

  // Sensor status: PutPointStatus replaces the point's last report (the
  // point must be in the store: NotFound otherwise); PointStatuses lists the
  // last report of every point that sent one, by point name. A backend that
  // does not keep them answers Unsupported.
  Status PutPointStatus(const PointStatus& status);
  Result<std::vector<PointStatus>> PointStatuses();

  // The zones whose days are kept. Days of any other zone are built from the
  // raw records by EnsureZone (once; kept after).
  virtual Result<std::vector<std::string>> Zones() = 0;
  Status AddZone(const TimeZone& zone);  // for an empty store, or via EnsureZone
  Status EnsureZone(const TimeZone& zone);

  // Per (day, point, port type) totals for local days [first_day, last_day]
  // of `zone` (which must be kept: call EnsureZone first).
  Result<std::vector<BlockTotal>> Totals(const TimeZone& zone, int32_t first_day, int32_t last_day);
  // Every block in the range with its rows, for breakdowns that need the
  // sources themselves (areas, top sources). Order: day, point, port.
  using BlockVisitor = std::function<Status(const std::string& point, const SourceDayBlock&)>;
  Status ScanBlocks(const TimeZone& zone, int32_t first_day, int32_t last_day,
                    const BlockVisitor& visit);

 private:
  virtual Status DoPutPoint(const MonitoringPoint& point) = 0;
  virtual Result<std::unique_ptr<IngestWriter>> DoBeginIngest(const BatchInfo& info,
                                                              std::vector<TimeZone> zones) = 0;
  // Builds and stores the blocks of a zone not yet kept from the raw records,
  // then lists it in Zones().
  virtual Status DoAddZone(const TimeZone& zone) = 0;
  virtual Result<std::vector<BlockTotal>> DoTotals(const std::string& zone, int32_t first_day,
                                                   int32_t last_day) = 0;
  virtual Status DoScanBlocks(const std::string& zone, int32_t first_day, int32_t last_day,
                              const BlockVisitor& visit) = 0;
  // Default: Unsupported "this store does not keep sensor status".
  virtual Status DoPutPointStatus(const PointStatus& status);
  virtual Result<std::vector<PointStatus>> DoPointStatuses();
};

}  // namespace scanscope
