#pragma once
// Source-days (docs/design.md's storage model): one row per (day, point, port type,
// source) with its access count and first and last seen. Every figure is a sum
// or a count over these rows. Here: the in-memory aggregation an ingest builds
// (SourceDayTable, the hot path), and the block layout backends store: per
// (zone, day, point, port type) one block of rows sorted by source, with its
// totals beside it, so that accesses = sum(accesses) and sources = sum(sources)
// over blocks, exactly.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "record/access_record.h"
#include "record/port_type.h"

namespace scanscope {

struct SourceDayRow {
  IpAddress source;
  uint64_t accesses = 0;
  int64_t first_ns = 0;  // UTC
  int64_t last_ns = 0;   // UTC
};

// One (day, point, port type)'s rows, sorted by source, sources unique.
struct SourceDayBlock {
  int32_t day = 0;  // local day in the block's zone (days since 1970-01-01)
  PortType port;
  std::vector<SourceDayRow> rows;
  // EncodeBlockRows(rows), when already computed (IngestWriter::Commit
  // encodes a batch's blocks on two threads); empty otherwise.
  std::string encoded_rows;
  uint64_t Accesses() const;
  uint64_t Sources() const { return rows.size(); }
};

// Merges `b` into `a` (same day and port): rows of the same source add their
// accesses and widen first/last. Both sorted; result sorted. This is "rows
// merge by addition".
void MergeBlockRows(std::vector<SourceDayRow>* a, std::span<const SourceDayRow> b);

// The stored form of a block's rows: versioned, checksummed (CRC-32C),
// column-wise, zstd-compressed above a small size (format in docs/store.md).
// Decode rejects anything damaged with Corruption, never a crash; on error
// *rows is left empty. Rows must be sorted by source, unique, accesses >= 1.
std::string EncodeBlockRows(std::span<const SourceDayRow> rows);
Status DecodeBlockRows(std::string_view bytes, std::vector<SourceDayRow>* rows);

// Aggregates accesses of one point into source-days for one zone's days.
// One open-addressing table (linear probing, power-of-two capacity, grows at
// 0.7 load) per local day: records of a capture arrive in time order, so the
// table being hit is the current day's, small enough to stay in cache. No
// allocation per Add except when a table grows or a new day starts.
// Not thread-safe.
class SourceDayTable {
 public:
  SourceDayTable();
  ~SourceDayTable();
  SourceDayTable(SourceDayTable&&) noexcept;
  SourceDayTable& operator=(SourceDayTable&&) noexcept;

  // Counts `accesses` (0 is a no-op) from `source` on (day, port) at `time_ns`.
  void Add(int32_t day, PortType port, const IpAddress& source, int64_t time_ns,
           uint64_t accesses = 1);
  // Adds records[i] (one access each) on local day days[i]; the same as one
  // Add per record, but faster: it prefetches the slots of records a few
  // places ahead. days.size() must equal records.size().
  void AddRecords(std::span<const AccessRecord> records, std::span<const int32_t> days);
  size_t size() const { return size_; }
  // Moves the rows out as blocks sorted by (day, port), rows sorted by source;
  // leaves the table empty.
  std::vector<SourceDayBlock> TakeBlocks();

 private:
  struct Slot {
    IpAddress source;
    uint32_t port_code;
    uint64_t accesses;  // 0 marks an empty slot
    int64_t first_ns;
    int64_t last_ns;
  };
  struct DayTable {
    int32_t day = 0;
    std::vector<Slot> slots;
    size_t mask = 0;
    size_t size = 0;
  };
  DayTable* ForDay(int32_t day);
  static void Grow(DayTable* t);
  // One day's slots into that day's blocks (sorted); frees the slots.
  static void DayToBlocks(DayTable* day, std::vector<SourceDayBlock>* out);
  // From this many rows on, TakeBlocks works on two threads.
  static constexpr size_t kParallelRows = 100'000;

  std::vector<std::unique_ptr<DayTable>> days_;  // owned; pointers stable
  std::unordered_map<int32_t, DayTable*> by_day_;
  DayTable* last_ = nullptr;  // the table of the last day added to
  size_t size_ = 0;
};

}  // namespace scanscope
