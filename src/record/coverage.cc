#include "record/coverage.h"

#include <algorithm>

namespace scanscope {

IntervalSet::IntervalSet(std::span<const CoverageInterval> intervals) {
  for (const CoverageInterval& i : intervals) Add(i.from_ns, i.to_ns);
}

void IntervalSet::Add(int64_t from_ns, int64_t to_ns) {
  if (from_ns >= to_ns) return;
  // The first interval that ends at or after `from_ns` (touching merges).
  auto first = std::lower_bound(intervals_.begin(), intervals_.end(), from_ns,
                                [](const CoverageInterval& i, int64_t t) { return i.to_ns < t; });
  auto last = first;
  while (last != intervals_.end() && last->from_ns <= to_ns) {
    from_ns = std::min(from_ns, last->from_ns);
    to_ns = std::max(to_ns, last->to_ns);
    ++last;
  }
  first = intervals_.erase(first, last);
  intervals_.insert(first, CoverageInterval{from_ns, to_ns});
}

void IntervalSet::Add(const IntervalSet& other) {
  for (const CoverageInterval& i : other.intervals_) Add(i.from_ns, i.to_ns);
}

void IntervalSet::Remove(int64_t from_ns, int64_t to_ns) {
  if (from_ns >= to_ns) return;
  std::vector<CoverageInterval> out;
  out.reserve(intervals_.size() + 1);
  for (const CoverageInterval& i : intervals_) {
    if (i.to_ns <= from_ns || i.from_ns >= to_ns) {
      out.push_back(i);
      continue;
    }
    if (i.from_ns < from_ns) out.push_back({i.from_ns, from_ns});
    if (i.to_ns > to_ns) out.push_back({to_ns, i.to_ns});
  }
  intervals_ = std::move(out);
}

int64_t IntervalSet::CoveredNs(int64_t from_ns, int64_t to_ns) const {
  int64_t covered = 0;
  auto it = std::upper_bound(intervals_.begin(), intervals_.end(), from_ns,
                             [](int64_t t, const CoverageInterval& i) { return t < i.to_ns; });
  for (; it != intervals_.end() && it->from_ns < to_ns; ++it) {
    covered += std::min(it->to_ns, to_ns) - std::max(it->from_ns, from_ns);
  }
  return covered;
}

IntervalSet IntervalSet::Within(int64_t from_ns, int64_t to_ns) const {
  IntervalSet out;
  for (const CoverageInterval& i : intervals_) {
    int64_t a = std::max(i.from_ns, from_ns), b = std::min(i.to_ns, to_ns);
    if (a < b) out.intervals_.push_back({a, b});
  }
  return out;
}

void CoverageTracker::Slow(int64_t time_ns) {
  if (have_run_ && time_ns < run_from_ && time_ns >= run_from_ - max_silence_ns_) {
    run_from_ = time_ns;  // a little back in time: the same run
    return;
  }
  if (have_run_) runs_.push_back({run_from_, run_to_});
  have_run_ = true;
  run_from_ = run_to_ = time_ns;
}

IntervalSet CoverageTracker::Finish() const {
  std::vector<CoverageInterval> runs = runs_;
  if (have_run_) runs.push_back({run_from_, run_to_});
  std::sort(runs.begin(), runs.end(), [](const CoverageInterval& a, const CoverageInterval& b) {
    return a.from_ns < b.from_ns;
  });
  IntervalSet out;
  // Runs no further apart than the threshold are one run; each ends one
  // nanosecond after its last sign.
  for (size_t i = 0; i < runs.size();) {
    int64_t from = runs[i].from_ns, to = runs[i].to_ns;
    size_t j = i + 1;
    while (j < runs.size() && runs[j].from_ns <= to + max_silence_ns_) {
      to = std::max(to, runs[j].to_ns);
      ++j;
    }
    out.Add(from, to + 1);
    i = j;
  }
  return out;
}

}  // namespace scanscope
