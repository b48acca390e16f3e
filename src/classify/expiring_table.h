#pragma once
// ExpiringTable: a time-bounded, memory-bounded hash table for the classifier's
// reply flows and first fragments. Each entry holds the time it was last put
// and a small value; lookups judge freshness themselves (the table only
// guarantees that an entry is kept for at least `window_ns` after its last put,
// unless the size cap evicts it, and that it is dropped at most two windows
// after).
//
// Expiry is amortised by two generations (as a two-bucket ring): puts go into
// the current generation; when the high-water time has moved a window past the
// current generation's start, the current one becomes the previous one and the
// old previous one (whose entries are all older than a window) is dropped whole.
// Each generation is an open-addressing, linear-probing table that never deletes
// single entries, so it needs no tombstones.
//
// Memory: at most `max_entries` entries (each generation holds at most half).
// When the current generation is full, the previous one is dropped early; the
// entries dropped that were still within the window are counted in evicted().
//
// Time: the high-water mark is the largest time seen, so small backward steps
// (merged interfaces) neither rotate nor lose entries. Not thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace scanscope {

// True when |a - b| <= window (no overflow for any int64 inputs).
inline bool WithinWindow(int64_t a, int64_t b, int64_t window) {
  uint64_t d = a >= b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
                      : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
  return d <= static_cast<uint64_t>(window);
}

// Key: a trivially copyable struct with operator==. Hash: size_t(const Key&).
template <typename Key, typename Hash>
class ExpiringTable {
 public:
  struct Entry {
    Key key;
    int64_t time = 0;    // time of the last put, ns
    uint32_t value = 0;  // caller's payload
    uint8_t tag = 0;     // caller's payload
    bool used = false;
  };

  ExpiringTable(int64_t window_ns, size_t max_entries)
      : window_(window_ns > 0 ? window_ns : 0),
        generation_cap_(std::max<size_t>(1, max_entries / 2)) {}

  // Moves the high-water time forward (never backward) and rotates
  // generations whose entries are all older than the window. Cheap: one
  // compare when nothing is due.
  void Advance(int64_t now) {
    if (!started_) {
      started_ = true;
      high_ = start_ = now;
      return;
    }
    if (now > high_) high_ = now;
    uint64_t since_start = static_cast<uint64_t>(high_) - static_cast<uint64_t>(start_);
    if (since_start == 0 || since_start < static_cast<uint64_t>(window_)) return;
    if (since_start / 2 >= static_cast<uint64_t>(window_) || window_ == 0) {
      // Both generations are older than a window.
      previous_.Clear();
      current_.Clear();
    } else {
      std::swap(previous_, current_);
      current_.Clear();
    }
    start_ = high_;
  }

  // The freshest entry for `key`, or nullptr. The caller checks entry->time.
  const Entry* Find(const Key& key) const {
    size_t h = Hash()(key);
    if (const Entry* e = current_.Find(key, h)) return e;
    return previous_.Find(key, h);
  }

  // Inserts or updates `key` in the current generation. Call Advance(time)
  // first.
  void Put(const Key& key, int64_t time, uint32_t value, uint8_t tag) {
    size_t h = Hash()(key);
    Entry* e = current_.FindMutable(key, h);
    if (e == nullptr) {
      if (current_.size() >= generation_cap_) {
        evicted_ += previous_.CountLive(high_, window_);
        previous_.Clear();
        std::swap(previous_, current_);
        start_ = high_;
      }
      e = current_.Insert(key, h);
    }
    e->time = time;
    e->value = value;
    e->tag = tag;
  }

  bool empty() const { return current_.size() == 0 && previous_.size() == 0; }
  // Entries held (an entry put in both generations counts twice).
  size_t size() const { return current_.size() + previous_.size(); }
  // Entries dropped by the size cap while still within the window.
  uint64_t evicted() const { return evicted_; }
  size_t max_entries() const { return generation_cap_ * 2; }

 private:
  // One generation: linear probing over a power-of-two array, at most half full.
  class Generation {
   public:
    size_t size() const { return size_; }

    const Entry* Find(const Key& key, size_t h) const {
      if (size_ == 0) return nullptr;
      size_t mask = slots_.size() - 1;
      for (size_t i = h & mask;; i = (i + 1) & mask) {
        const Entry& e = slots_[i];
        if (!e.used) return nullptr;
        if (e.key == key) return &e;
      }
    }
    Entry* FindMutable(const Key& key, size_t h) {
      return const_cast<Entry*>(std::as_const(*this).Find(key, h));
    }
    // `key` must be absent.
    Entry* Insert(const Key& key, size_t h) {
      if ((size_ + 1) * 2 > slots_.size()) Grow();
      size_t mask = slots_.size() - 1;
      size_t i = h & mask;
      while (slots_[i].used) i = (i + 1) & mask;
      slots_[i].used = true;
      slots_[i].key = key;
      ++size_;
      return &slots_[i];
    }
    uint64_t CountLive(int64_t now, int64_t window) const {
      if (size_ == 0) return 0;
      uint64_t n = 0;
      for (const Entry& e : slots_) {
        if (e.used && WithinWindow(now, e.time, window)) ++n;
      }
      return n;
    }
    // Empties the generation; gives back memory when it had grown well past
    // what it held.
    void Clear() {
      if (slots_.empty()) return;
      if (slots_.size() > kInitialSlots && size_ * 8 < slots_.size()) {
        std::vector<Entry>(kInitialSlots).swap(slots_);
      } else if (size_ > 0) {
        std::fill(slots_.begin(), slots_.end(), Entry{});
      }
      size_ = 0;
    }

   private:
    static constexpr size_t kInitialSlots = 256;
    void Grow() {
      std::vector<Entry> old(std::max(kInitialSlots, slots_.size() * 2));
      old.swap(slots_);
      size_t mask = slots_.size() - 1;
      for (const Entry& e : old) {
        if (!e.used) continue;
        size_t i = Hash()(e.key) & mask;
        while (slots_[i].used) i = (i + 1) & mask;
        slots_[i] = e;
      }
    }
    std::vector<Entry> slots_;
    size_t size_ = 0;
  };

  int64_t window_;
  size_t generation_cap_;
  bool started_ = false;
  int64_t high_ = 0;   // largest time seen
  int64_t start_ = 0;  // when the current generation began (a high-water value)
  uint64_t evicted_ = 0;
  Generation current_;
  Generation previous_;
};

// 64-bit finaliser (splitmix64), for building key hashes.
inline uint64_t MixHash(uint64_t h) {
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  return h ^ (h >> 31);
}

}  // namespace scanscope
