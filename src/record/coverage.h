#pragma once
// Coverage: when a monitoring point was watching (docs/design.md,
// "coverage"). A point's coverage is a set of half-open UTC intervals
// [from_ns, to_ns); outside them the point's traffic is unknown, not zero.
//
// Inputs state what they know: a live sensor the spans it was up and
// capturing, a capture file the span of its packets (or its interface
// statistics), a firewall log the span of its lines; within a file a silence
// longer than a threshold is taken as a time the point was not watching
// (docs/coverage.md says why an Internet-facing address is never quiet that
// long). An operator can add or remove intervals by hand.

#include <cstdint>
#include <span>
#include <vector>

namespace scanscope {

struct CoverageInterval {
  int64_t from_ns = 0;  // first instant watched
  int64_t to_ns = 0;    // first instant after; from_ns < to_ns
  friend bool operator==(const CoverageInterval&, const CoverageInterval&) = default;
};

// A set of instants as sorted, disjoint, non-touching intervals.
class IntervalSet {
 public:
  IntervalSet() = default;
  explicit IntervalSet(std::span<const CoverageInterval> intervals);

  // Union with [from_ns, to_ns); an empty interval changes nothing.
  void Add(int64_t from_ns, int64_t to_ns);
  void Add(const IntervalSet& other);
  // Removes [from_ns, to_ns).
  void Remove(int64_t from_ns, int64_t to_ns);
  // How much of [from_ns, to_ns) the set covers, in ns.
  int64_t CoveredNs(int64_t from_ns, int64_t to_ns) const;
  // The part of the set inside [from_ns, to_ns).
  IntervalSet Within(int64_t from_ns, int64_t to_ns) const;

  const std::vector<CoverageInterval>& intervals() const { return intervals_; }
  bool empty() const { return intervals_.empty(); }
  friend bool operator==(const IntervalSet&, const IntervalSet&) = default;

 private:
  std::vector<CoverageInterval> intervals_;
};

// Builds a file's coverage from its signs of life (every packet, every log
// line, in any order): the span from the first to the last, less every
// silence longer than `max_silence_ns`. Memory: one entry per run of signs,
// so time-ordered input costs one per silence; input that jumps back and
// forth in time costs one per jump.
class CoverageTracker {
 public:
  static constexpr int64_t kDefaultMaxSilenceNs = int64_t{3600} * 1'000'000'000;

  explicit CoverageTracker(int64_t max_silence_ns = kDefaultMaxSilenceNs)
      : max_silence_ns_(max_silence_ns) {}

  // Inline: called for every packet or line.
  void Observe(int64_t time_ns) {
    if (have_run_ && time_ns >= run_from_ && time_ns <= run_to_ + max_silence_ns_) {
      if (time_ns > run_to_) run_to_ = time_ns;
      return;
    }
    Slow(time_ns);
  }
  // The intervals watched: each run of signs no further apart than the
  // threshold, from its first sign to one nanosecond after its last.
  IntervalSet Finish() const;

 private:
  void Slow(int64_t time_ns);

  int64_t max_silence_ns_;
  bool have_run_ = false;
  int64_t run_from_ = 0, run_to_ = 0;   // the current run of close signs
  std::vector<CoverageInterval> runs_;  // closed runs, in any order
};

}  // namespace scanscope
