#include "store/duplicate_filter.h"

#include <algorithm>

namespace scanscope {

namespace {

constexpr int kTimeBitmapBits = 16;
constexpr size_t kTimeBitmapWords = (size_t{1} << kTimeBitmapBits) / 64;

int64_t HourOf(int64_t time_ns) {
  int64_t h = time_ns / DuplicateFilter::kHourNs;
  return time_ns < 0 && h * DuplicateFilter::kHourNs != time_ns ? h - 1 : h;
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  return h;
}

}  // namespace

size_t DuplicateFilter::KeyHash::operator()(const Key& k) const {
  uint64_t h = static_cast<uint64_t>(k.time_ns);
  h = Mix(h, k.source_high);
  h = Mix(h, k.source_low);
  h = Mix(h, k.destination_high);
  h = Mix(h, k.destination_low);
  h = Mix(h, uint64_t{k.port} << 32 | k.rest);
  return static_cast<size_t>(h ^ (h >> 29));
}

DuplicateFilter::Key DuplicateFilter::KeyOf(const AccessRecord& r) {
  return Key{r.time_ns,
             r.source.High(),
             r.source.Low(),
             r.destination.High(),
             r.destination.Low(),
             r.port_type.Code(),
             uint32_t{r.tcp_flags} << 24 | uint32_t{r.ttl} << 16 | r.length};
}

Result<DuplicateFilter::HourState> DuplicateFilter::Hour(int64_t hour) {
  if (hour == last_hour_) return last_state_;
  auto it = hours_.find(hour);
  if (it == hours_.end()) {
    // Stored copies per identity: records of one stored batch with the same
    // identity are counted together; the store already holds the maximum over
    // batches (earlier batches were filtered the same way), so the sum of
    // what is stored is what this batch must reach before it adds any.
    bool any = false;
    SCANSCOPE_RETURN_IF_ERROR(
        stored_(hour * kHourNs, (hour + 1) * kHourNs, [&](std::span<const AccessRecord> stored) {
          for (const AccessRecord& r : stored) {
            ++copies_[KeyOf(r)].stored;
          }
          any = any || !stored.empty();
        }));
    it = hours_.emplace(hour, any ? HourState::kHasRecords : HourState::kEmpty).first;
  }
  last_hour_ = hour;
  last_state_ = it->second;
  return it->second;
}

template <typename IsDuplicate>
Result<uint64_t> DuplicateFilter::RemoveDuplicates(std::vector<AccessRecord>* records,
                                                   IsDuplicate is_duplicate) {
  Status failure;
  size_t kept = 0;
  uint64_t removed = 0;
  for (size_t i = 0; i < records->size(); ++i) {
    const AccessRecord& r = (*records)[i];
    const bool duplicate = is_duplicate(r, &failure);
    if (!failure.ok()) return failure;
    if (duplicate) {
      ++removed;
      continue;
    }
    if (kept != i) (*records)[kept] = r;
    ++kept;
  }
  records->resize(kept);
  duplicates_ += removed;
  return removed;
}

Result<uint64_t> DuplicateFilter::FilterSpan(std::vector<AccessRecord>* records) {
  if (records->empty()) return uint64_t{0};
  int64_t first = (*records)[0].time_ns, last = first;
  for (const AccessRecord& r : *records) {
    first = std::min(first, r.time_ns);
    last = std::max(last, r.time_ns);
  }
  // The table holds the batch's own identities (a few thousand), and the
  // stored records of the span stream past it: a stored record costs one
  // probe, and one that no batch record shares costs nothing more.
  // A bitmap of the batch's times (hashed) turns most stored records away
  // before their identity is built.
  std::unordered_map<Key, Copies, KeyHash> copies;
  copies.reserve(records->size());
  std::vector<uint64_t> times(kTimeBitmapWords, 0);
  auto time_bit = [](int64_t t) {
    uint64_t h = static_cast<uint64_t>(t) * 0x9E3779B97F4A7C15ull;
    return h >> (64 - kTimeBitmapBits);
  };
  for (const AccessRecord& r : *records) {
    copies.try_emplace(KeyOf(r));
    uint64_t bit = time_bit(r.time_ns);
    times[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
  bool any = false;
  SCANSCOPE_RETURN_IF_ERROR(stored_(first, last + 1, [&](std::span<const AccessRecord> stored) {
    for (const AccessRecord& r : stored) {
      uint64_t bit = time_bit(r.time_ns);
      if ((times[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) continue;
      auto it = copies.find(KeyOf(r));
      if (it != copies.end()) {
        ++it->second.stored;
        any = true;
      }
    }
  }));
  if (!any) return uint64_t{0};
  return RemoveDuplicates(records, [&](const AccessRecord& r, Status*) {
    Copies& c = copies.find(KeyOf(r))->second;
    return c.seen++ < c.stored;
  });
}

Result<uint64_t> DuplicateFilter::Filter(std::vector<AccessRecord>* records) {
  return RemoveDuplicates(records, [&](const AccessRecord& r, Status* failure) {
    Result<HourState> state = Hour(HourOf(r.time_ns));
    if (!state.ok()) {
      *failure = state.status();
      return false;
    }
    if (*state != HourState::kHasRecords) return false;
    Copies& c = copies_[KeyOf(r)];
    return c.seen++ < c.stored;
  });
}

}  // namespace scanscope
