#pragma once
// Each access counted once per point, whatever batches bring it
// (docs/store.md, "Each packet once").
//
// An access's identity is every field of its record: time (at the input's
// resolution), source, destination, port type, TCP flags, TTL and length. Two
// records of one batch with the same identity are two accesses (two probes in
// one clock tick); across batches the store keeps the largest number of
// copies any one batch brought, so a batch that repeats records already
// stored adds only the copies beyond them. A record already stored is a
// duplicate and is not counted again.
//
// The filter asks for the point's stored records one UTC hour at a time, the
// first time a batch holds a record of that hour, and keeps a table of
// identities only for hours that had any: a batch that overlaps nothing
// stored costs one look-up per hour it covers and a compare per record.
//
// Not thread-safe; one per batch being written.

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "record/access_record.h"

namespace scanscope {

class DuplicateFilter {
 public:
  static constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;

  // Calls `add` with every stored record of the batch's point whose time is
  // in [from_ns, to_ns), in any order and any number of calls.
  using RecordSink = std::function<void(std::span<const AccessRecord>)>;
  using StoredRecords =
      std::function<Status(int64_t from_ns, int64_t to_ns, const RecordSink& add)>;

  explicit DuplicateFilter(StoredRecords stored) : stored_(std::move(stored)) {}

  // Removes from *records, in place and keeping their order, the records that
  // are already stored; returns how many it removed.
  Result<uint64_t> Filter(std::vector<AccessRecord>* records);

  // For a caller that adds a batch in one call (a collector's batch: seconds
  // of traffic): asks only for the stored records of these records' own time
  // span, not of whole hours, and keeps no state between calls.
  Result<uint64_t> FilterSpan(std::vector<AccessRecord>* records);

  uint64_t duplicates() const { return duplicates_; }

 private:
  struct Key {
    int64_t time_ns;
    uint64_t source_high, source_low, destination_high, destination_low;
    uint32_t port;
    uint32_t rest;  // flags, TTL, length
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Copies {
    uint32_t stored = 0;  // the most copies one stored batch holds (stored records counted)
    uint32_t seen = 0;    // copies this batch brought so far
  };
  enum class HourState : uint8_t { kEmpty, kHasRecords };

  static Key KeyOf(const AccessRecord& r);
  // Removes, in place and keeping order, the records is_duplicate(r, &failure)
  // says are stored (called once per record, in order; a failure it sets
  // stops the pass); counts them.
  template <typename IsDuplicate>
  Result<uint64_t> RemoveDuplicates(std::vector<AccessRecord>* records, IsDuplicate is_duplicate);
  Result<HourState> Hour(int64_t hour);

  StoredRecords stored_;
  std::unordered_map<int64_t, HourState> hours_;
  std::unordered_map<Key, Copies, KeyHash> copies_;
  int64_t last_hour_ = INT64_MIN;
  HourState last_state_ = HourState::kEmpty;
  uint64_t duplicates_ = 0;
};

}  // namespace scanscope
