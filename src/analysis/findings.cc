// The findings detector: per port type, its daily series against a robust
// baseline, one rule per kind of finding (new, surge, concentration, fall),
// a score, and the ranking. docs/findings.md states the method and its
// references; every threshold is a FindingOptions field.

#include "analysis/findings.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <span>

namespace scanscope {

namespace {

// 1.4826 x MAD estimates a normal standard deviation (Rousseeuw & Croux 1993).
constexpr double kMadToSigma = 1.4826;

// Median of v (copied: the caller's order is kept). 0 for an empty v.
double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

// A robust baseline of one count series: the median, and a scale that is the
// larger of the normal-consistent MAD and the Poisson standard deviation
// sqrt(median), so that a quiet series (MAD 0) does not turn every small
// wobble into a large z.
struct Baseline {
  double median = 0;
  double sigma = 1;
};

Baseline RobustBaseline(const std::vector<double>& v) {
  Baseline b;
  b.median = Median(v);
  std::vector<double> dev;
  dev.reserve(v.size());
  for (double x : v) dev.push_back(std::fabs(x - b.median));
  double mad = Median(dev);
  b.sigma = std::max({kMadToSigma * mad, std::sqrt(std::max(b.median, 1.0)), 1.0});
  return b;
}

struct Run {
  int first = 0;  // month day index
  int last = 0;
};

// Groups flagged days into runs, bridging gaps of up to `gap_days` days.
std::vector<Run> Runs(const std::vector<bool>& flagged, int gap_days) {
  std::vector<Run> runs;
  int n = static_cast<int>(flagged.size());
  for (int d = 0; d < n; ++d) {
    if (!flagged[static_cast<size_t>(d)]) continue;
    if (!runs.empty() && d - runs.back().last <= gap_days + 1) {
      runs.back().last = d;
    } else {
      runs.push_back({d, d});
    }
  }
  return runs;
}

// Each series day's blind share of one port (`point_shares`: its points'
// shares; empty: the input's, of all ports): the shares of its accesses
// carried by the points not observed that day. Empty without coverage.
std::vector<double> BlindShares(const FindingInput& input,
                                const std::vector<double>& point_shares) {
  if (input.coverage.empty()) return {};
  const size_t n = input.coverage.size();
  std::vector<double> shares = point_shares.empty() ? input.point_shares : point_shares;
  if (shares.size() != n) {
    shares.assign(
        n, 1.0 / static_cast<double>(std::max<size_t>(n, static_cast<size_t>(input.points))));
  }
  std::vector<double> blind(static_cast<size_t>(input.history_days + input.month.days), 0);
  for (size_t k = 0; k < n; ++k) {
    const std::vector<bool>& observed = input.coverage[k].observed;
    for (size_t i = 0; i < blind.size() && i < observed.size(); ++i) {
      if (!observed[i]) blind[i] = std::min(1.0, blind[i] + shares[k]);
    }
  }
  return blind;
}

// The month as a whole: what every size is a fraction of.
struct MonthScale {
  double accesses = 1;       // F: the month's accesses, all port types (at least 1)
  double sources = 1;        // F_S: its gross sources (at least 1)
  double average_day = 1;    // F / days in the month
  bool has_history = false;  // enough history days with data for a baseline before the month
};

MonthScale ScaleOf(const FindingInput& input, const FindingOptions& o) {
  MonthScale s;
  s.accesses = static_cast<double>(std::max<uint64_t>(input.month_accesses, 1));
  s.sources = static_cast<double>(std::max<uint64_t>(input.month_sources, 1));
  if (!input.coverage.empty()) {
    // What the points would have seen watching every day: F and F_S over
    // the month's watched share (all ports' blind shares).
    const std::vector<double> blind = BlindShares(input, {});
    double watched = 0;
    for (int d = 0; d < input.month.days; ++d) {
      watched += 1.0 - blind[static_cast<size_t>(input.history_days + d)];
    }
    const double scale = watched > 0 ? input.month.days / watched : 1.0;
    s.accesses *= scale;
    s.sources *= scale;
  }
  s.average_day = s.accesses / input.month.days;
  s.has_history = input.history_days_with_data >= o.min_history_days;
  return s;
}

// The ranking score: |excess accesses| as a percentage of an average day.
double Score(double excess_accesses, const MonthScale& scale) {
  return 100.0 * std::fabs(excess_accesses) / scale.average_day;
}

// One port type's month and what every rule compares it with.
struct PortDays {
  PortType port;
  std::span<const DayCell> month;  // the month's days, by month day index
  int32_t first_day = 0;           // the local day of month[0]
  Baseline accesses;               // the baseline of daily accesses
  Baseline sources;                // ... and of daily gross sources
  double recovery_level = 0;       // what a run from the month's first day must pass
  double history_accesses = 0;     // all history days
  double month_accesses = 0;
  double usual_top = 0;             // the month's median largest source-day row of a day
  bool has_history = false;         // the baseline stands on history days
  std::vector<double> month_blind;  // each month day's blind share; empty: none

  int days() const { return static_cast<int>(month.size()); }
  const DayCell& Day(int d) const { return month[static_cast<size_t>(d)]; }
  double Blind(int d) const {
    return month_blind.empty() ? 0 : month_blind[static_cast<size_t>(d)];
  }
};

// The baseline window of one port, newest first: the last baseline_days
// history days with data and no blind share, or without enough of them the
// month's own days (those without a blind share). Returns whether the
// window stands on history.
bool BaselineWindow(const FindingInput& input, const PortSeries& series,
                    const std::vector<double>& blind, bool has_history, const FindingOptions& o,
                    std::vector<double>* accesses, std::vector<double>* sources) {
  const int h = input.history_days;
  auto add = [&](const DayCell& c) {
    accesses->push_back(static_cast<double>(c.accesses));
    sources->push_back(static_cast<double>(c.sources));
  };
  auto seen = [&](int i) { return blind.empty() || blind[static_cast<size_t>(i)] == 0; };
  if (has_history) {
    for (int i = h - 1; i >= 0 && static_cast<int>(accesses->size()) < o.baseline_days; --i) {
      bool watched =
          input.history_has_data.empty() || input.history_has_data[static_cast<size_t>(i)];
      if (watched && seen(i)) add(series.days[static_cast<size_t>(i)]);
    }
    if (static_cast<int>(accesses->size()) >= o.min_history_days) return true;
    accesses->clear();
    sources->clear();
  }
  for (int d = 0; d < input.month.days; ++d) {
    if (seen(h + d)) add(series.days[static_cast<size_t>(h + d)]);
  }
  return false;
}

// A port still in a fall when the month starts (the window's newest days
// well below the rest): rising back to the level before the fall is a
// recovery, not a surge. The level before the fall is an upper quantile of
// the rest; without a fall, the median.
double RecoveryLevel(const std::vector<double>& window, double median, bool has_history,
                     const FindingOptions& o) {
  const size_t recent = static_cast<size_t>(std::max(o.recovery_recent_days, 0));
  if (!has_history || window.size() < static_cast<size_t>(o.recovery_min_window) ||
      window.size() <= recent) {
    return median;
  }
  const auto split = window.begin() + static_cast<ptrdiff_t>(recent);
  double newest = Median(std::vector<double>(window.begin(), split));
  std::vector<double> rest(split, window.end());
  if (newest > o.fall_ratio * Median(rest)) return median;
  size_t q = static_cast<size_t>(static_cast<double>(rest.size()) * o.recovery_quantile);
  q = std::min(q, rest.size() - 1);
  std::nth_element(rest.begin(), rest.begin() + static_cast<ptrdiff_t>(q), rest.end());
  return std::max(median, rest[q]);
}

// Gathers one port's month, baselines and usual largest row. `series` holds
// history_days + the month's days.
PortDays GatherPort(const FindingInput& input, const PortSeries& series, bool has_history,
                    const FindingOptions& o) {
  const size_t h = static_cast<size_t>(input.history_days);
  PortDays p;
  p.port = series.port;
  p.month = std::span<const DayCell>(series.days).subspan(h);
  p.first_day = input.month.first_day;
  const std::vector<double> blind = BlindShares(input, series.point_shares);
  if (!blind.empty()) p.month_blind.assign(blind.begin() + static_cast<ptrdiff_t>(h), blind.end());
  std::vector<double> window_a, window_s;
  p.has_history = BaselineWindow(input, series, blind, has_history, o, &window_a, &window_s);
  p.accesses = RobustBaseline(window_a);
  p.sources = RobustBaseline(window_s);
  p.recovery_level = RecoveryLevel(window_a, p.accesses.median, p.has_history, o);
  for (size_t i = 0; i < h; ++i) p.history_accesses += static_cast<double>(series.days[i].accesses);
  // The usual largest row: on the days no point of the port was blind (a
  // blind point lowers the day's largest row), else on every day.
  std::vector<double> tops, seen_tops;
  for (int d = 0; d < p.days(); ++d) {
    p.month_accesses += static_cast<double>(p.Day(d).accesses);
    tops.push_back(static_cast<double>(p.Day(d).top_source_accesses));
    if (p.Blind(d) == 0) seen_tops.push_back(tops.back());
  }
  p.usual_top = Median(seen_tops.empty() ? tops : seen_tops);
  return p;
}

// The source with the most accesses as the day's largest row over [first,
// last], and those accesses; {0, 0} if none.
struct MainSource {
  uint64_t id = 0;
  uint64_t accesses = 0;
};

MainSource MainSourceOf(const PortDays& p, int first, int last) {
  std::map<uint64_t, uint64_t> by_id;
  for (int d = first; d <= last; ++d) {
    const DayCell& c = p.Day(d);
    if (c.top_source_id != 0) by_id[c.top_source_id] += c.top_source_accesses;
  }
  MainSource best;
  for (const auto& [id, accesses] : by_id) {
    if (accesses > best.accesses) best = {id, accesses};
  }
  return best;
}

// A finding of `kind` over month days [first, last], measured against the
// port's baseline and scored; its alarm day is the caller's.
Finding Measure(const PortDays& p, const MonthScale& scale, FindingKind kind, int first, int last) {
  Finding x;
  x.kind = kind;
  x.port = p.port;
  x.first_day = p.first_day + first;
  x.last_day = p.first_day + last;
  x.baseline_accesses = p.accesses.median;
  x.baseline_sources = p.sources.median;
  double excess_a = 0, excess_s = 0;
  for (int d = first; d <= last; ++d) {
    const DayCell& c = p.Day(d);
    x.period_accesses += c.accesses;
    x.period_sources += c.sources;
    excess_a += static_cast<double>(c.accesses) - p.accesses.median;
    excess_s += static_cast<double>(c.sources) - p.sources.median;
    if (c.accesses > x.peak_accesses || d == first) {
      x.peak_accesses = c.accesses;
      x.peak_day = p.first_day + d;
    }
  }
  x.excess_accesses = std::llround(excess_a);
  x.excess_sources = std::llround(excess_s);
  x.top_source_share = x.period_accesses == 0
                           ? 0
                           : static_cast<double>(MainSourceOf(p, first, last).accesses) /
                                 static_cast<double>(x.period_accesses);
  x.score = Score(excess_a, scale);
  return x;
}

// new: negligible before, substantial now. Needs a history that was
// watched: an empty store before the month says nothing about "before".
// Its period is the days with new_period_share of its peak day or more; its
// alarm the day its month total crossed new_floor.
std::optional<Finding> DetectNew(const PortDays& p, const MonthScale& scale,
                                 const FindingOptions& o) {
  const double floor = o.new_floor * scale.accesses;
  if (!scale.has_history || p.month_accesses < floor ||
      p.history_accesses > std::max(o.new_history_min, o.new_history * p.month_accesses)) {
    return std::nullopt;
  }
  uint64_t peak = 0;
  for (const DayCell& c : p.month) peak = std::max(peak, c.accesses);
  int first = -1, last = -1, alarm = -1;
  double cumulative = 0;
  for (int d = 0; d < p.days(); ++d) {
    const double accesses = static_cast<double>(p.Day(d).accesses);
    cumulative += accesses;
    if (alarm < 0 && cumulative >= floor) alarm = d;
    if (accesses >= o.new_period_share * static_cast<double>(peak)) {
      if (first < 0) first = d;
      last = d;
    }
  }
  Finding x = Measure(p, scale, FindingKind::kNew, first, last);
  x.alarm_day = p.first_day + std::max(alarm, first);
  return x;
}

// Days well above the baseline, by accesses or by sources: a robust z of
// z_day or more, or a one-sided CUSUM of z (Page 1954; Lucas 1985 for
// counts) at cusum_h for slow rises, and an excess over the day floors.
// Judged on every day, blind or not: a blind point only takes accesses
// away, so what rose above the baseline rose.
struct UpDays {
  std::vector<bool> up;          // accesses or sources up
  std::vector<bool> sources_up;  // sources up
  std::vector<double> z;         // the larger z of the two
};

UpDays FlagUpDays(const PortDays& p, const MonthScale& scale, const FindingOptions& o) {
  const double floor_a =
      std::max({o.day_floor * scale.accesses, o.ratio_floor * p.accesses.median, 1.0});
  const double floor_s =
      std::max({o.day_floor * scale.sources, o.ratio_floor * p.sources.median, 1.0});
  const size_t m = static_cast<size_t>(p.days());
  UpDays u{std::vector<bool>(m, false), std::vector<bool>(m, false), std::vector<double>(m, 0)};
  double cusum_a = 0, cusum_s = 0;
  for (size_t d = 0; d < m; ++d) {
    double ea = static_cast<double>(p.month[d].accesses) - p.accesses.median;
    double es = static_cast<double>(p.month[d].sources) - p.sources.median;
    double za = ea / p.accesses.sigma, zs = es / p.sources.sigma;
    cusum_a = std::max(0.0, cusum_a + za - o.cusum_k);
    cusum_s = std::max(0.0, cusum_s + zs - o.cusum_k);
    bool up_a = ea >= floor_a && (za >= o.z_day || cusum_a >= o.cusum_h);
    bool up_s = es >= floor_s && (zs >= o.z_day || cusum_s >= o.cusum_h);
    u.up[d] = up_a || up_s;
    u.sources_up[d] = up_s;
    u.z[d] = std::max(za, zs);
  }
  return u;
}

// The first day of run r on which it was already a surge: persistent
// (surge_min_days up days, or one day at z_single) with a total excess of
// surge_floor x F; -1 if never. *excess: the run's excess accesses.
int SurgeAlarm(const PortDays& p, const UpDays& u, Run r, const MonthScale& scale,
               const FindingOptions& o, double* excess) {
  *excess = 0;
  int up_days = 0, alarm = -1;
  double max_z = 0;
  for (int d = r.first; d <= r.last; ++d) {
    *excess += static_cast<double>(p.Day(d).accesses) - p.accesses.median;
    if (u.up[static_cast<size_t>(d)]) {
      ++up_days;
      max_z = std::max(max_z, u.z[static_cast<size_t>(d)]);
    }
    bool persistent = up_days >= o.surge_min_days || max_z >= o.z_single;
    if (alarm < 0 && persistent && *excess >= o.surge_floor * scale.accesses) alarm = d;
  }
  return alarm;
}

// A run already high on the month's first day that does not pass the level
// before a fall still under way when the month began: back to where it was.
bool IsRecovery(const PortDays& p, Run r, const MonthScale& scale, const FindingOptions& o) {
  if (r.first != 0) return false;
  double above_before = 0;
  for (int d = r.first; d <= r.last; ++d) {
    above_before += static_cast<double>(p.Day(d).accesses) - p.recovery_level;
  }
  return above_before < o.surge_floor * scale.accesses;
}

// Without history the baseline is the month's own median: a long run from
// the month's first or to its last day is a level shift that cannot be
// judged (a fall in the other part of the month looks alike).
bool IsUnjudgedShift(const PortDays& p, Run r, const FindingOptions& o) {
  const int m = p.days();
  return !p.has_history && (r.first == 0 || r.last == m - 1) &&
         (r.last - r.first + 1) * o.no_history_run_part >= m;
}

// What made the rise of run r (`excess` accesses, `period_accesses` in all):
// one source (concentration, when that source is large enough), one point
// (concentration), many sources (surge), or nothing news-worthy (nullopt:
// one big source a day, a different one each day, or sources that did not
// rise: routine heavy hitters).
std::optional<FindingKind> ClassifyRise(const PortDays& p, const UpDays& u, Run r, double excess,
                                        uint64_t period_accesses, int points,
                                        const MonthScale& scale, const FindingOptions& o) {
  uint64_t top_point = 0;
  double single = 0;  // the days' largest rows beyond the usual largest row
  bool drew_sources = false;
  for (int d = r.first; d <= r.last; ++d) {
    const DayCell& c = p.Day(d);
    drew_sources = drew_sources || u.sources_up[static_cast<size_t>(d)];
    top_point += c.top_point_accesses;
    single += std::max(0.0, static_cast<double>(c.top_source_accesses) - p.usual_top);
  }
  const MainSource main = MainSourceOf(p, r.first, r.last);
  const double source = static_cast<double>(main.accesses);
  int main_days = 0;
  for (int d = r.first; d <= r.last; ++d) main_days += p.Day(d).top_source_id == main.id;
  const double period = static_cast<double>(std::max<uint64_t>(period_accesses, 1));
  if (source >= o.concentration_share * std::max(excess, 1.0)) {
    // One source made most of it: news only when that source is large;
    // coming back on several days it is intent, and a smaller size will do.
    double floor = o.concentration_floor * scale.accesses *
                   (main_days >= o.concentration_repeat_days ? o.concentration_repeat_factor : 1.0);
    if (source < floor) return std::nullopt;
    return FindingKind::kConcentration;
  }
  if (excess - single < o.surge_floor * scale.accesses || !drew_sources) return std::nullopt;
  if (points >= o.point_min_points && static_cast<double>(top_point) >= o.point_share * period) {
    return FindingKind::kConcentration;
  }
  return FindingKind::kSurge;
}

// surge (or concentration): runs of up days that are persistent and large,
// classified by what made them.
void DetectSurges(const PortDays& p, const MonthScale& scale, int points, const FindingOptions& o,
                  std::vector<Finding>* out) {
  const UpDays u = FlagUpDays(p, scale, o);
  for (const Run& r : Runs(u.up, o.run_gap_days)) {
    double excess = 0;
    const int alarm = SurgeAlarm(p, u, r, scale, o, &excess);
    if (alarm < 0 || IsRecovery(p, r, scale, o) || IsUnjudgedShift(p, r, o)) continue;
    Finding x = Measure(p, scale, FindingKind::kSurge, r.first, r.last);
    x.alarm_day = p.first_day + alarm;
    std::optional<FindingKind> kind =
        ClassifyRise(p, u, r, excess, x.period_accesses, points, scale, o);
    if (!kind) continue;
    x.kind = *kind;
    out->push_back(std::move(x));
  }
}

// Hot days: the day's largest single source is concentration_top times the
// usual largest (and at least the day floor), and the port rose by
// concentration_lift of that source's excess over the usual largest.
std::vector<bool> HotDays(const PortDays& p, const MonthScale& scale, const FindingOptions& o) {
  std::vector<bool> hot(static_cast<size_t>(p.days()), false);
  for (int d = 0; d < p.days(); ++d) {
    double top = static_cast<double>(p.Day(d).top_source_accesses);
    double rise = static_cast<double>(p.Day(d).accesses) - p.accesses.median;
    hot[static_cast<size_t>(d)] = top >= o.concentration_top * std::max(p.usual_top, 1.0) &&
                                  top >= o.day_floor * scale.accesses &&
                                  rise >= o.concentration_lift * (top - p.usual_top);
  }
  return hot;
}

// Whether a finding on the same port already overlaps month days [first, last].
bool Covered(const std::vector<Finding>& found, const PortDays& p, Run r) {
  for (const Finding& y : found) {
    if (y.port == p.port && y.first_day <= p.first_day + r.last &&
        y.last_day >= p.first_day + r.first) {
      return true;
    }
  }
  return false;
}

// concentration seen in the largest rows: runs of hot days not already
// found; a run counts on the days its main source was the largest row, from
// the day that source's accesses reached the concentration floor.
void DetectRowConcentrations(const PortDays& p, const MonthScale& scale, const FindingOptions& o,
                             std::vector<Finding>* out) {
  for (const Run& r : Runs(HotDays(p, scale, o), o.run_gap_days)) {
    if (Covered(*out, p, r)) continue;
    const uint64_t main_id = MainSourceOf(p, r.first, r.last).id;
    int first = -1, last = -1, days = 0, alarm = -1;
    double cumulative = 0;
    for (int d = r.first; d <= r.last; ++d) {
      if (p.Day(d).top_source_id != main_id) continue;
      if (first < 0) first = d;
      last = d;
      ++days;
      cumulative += static_cast<double>(p.Day(d).top_source_accesses);
      double floor = o.concentration_floor * scale.accesses *
                     (days >= o.concentration_repeat_days ? o.concentration_repeat_factor : 1.0);
      if (alarm < 0 && cumulative >= floor) alarm = d;
    }
    if (alarm < 0) continue;
    Finding x = Measure(p, scale, FindingKind::kConcentration, first, last);
    x.alarm_day = p.first_day + alarm;
    out->push_back(std::move(x));
  }
}

// Down days: accesses and sources both at fall_ratio of their medians or
// less, the sources fall_z sigmas below: probers left (a heavy hitter that
// stayed away for a few days moves the accesses only). The medians are
// what the watching points would have seen: x (1 - the day's blind share).
std::vector<bool> DownDays(const PortDays& p, const FindingOptions& o) {
  std::vector<bool> down(static_cast<size_t>(p.days()), false);
  for (int d = 0; d < p.days(); ++d) {
    if (p.Blind(d) >= o.blind_share) continue;  // not judged
    const double seen = 1.0 - p.Blind(d);
    double a = static_cast<double>(p.Day(d).accesses);
    double s = static_cast<double>(p.Day(d).sources);
    down[static_cast<size_t>(d)] = a <= o.fall_ratio * p.accesses.median * seen &&
                                   s <= o.fall_ratio * p.sources.median * seen &&
                                   p.sources.median * seen - s >= o.fall_z * p.sources.sigma;
  }
  return down;
}

// fall: a large port (baseline of fall_level of an average day or more)
// down for fall_days days, the run's mean at fall_mean of the median or less.
void DetectFalls(const PortDays& p, const MonthScale& scale, const FindingOptions& o,
                 std::vector<Finding>* out) {
  if (!p.has_history || p.accesses.median < o.fall_level * scale.average_day) return;
  const std::vector<bool> down = DownDays(p, o);
  const double median = p.accesses.median;
  for (const Run& r : Runs(down, o.run_gap_days)) {
    int down_days = 0, alarm = -1;
    double sum = 0, blind = 0;  // blind: the run's blind shares, in days
    for (int d = r.first; d <= r.last; ++d) {
      sum += static_cast<double>(p.Day(d).accesses);
      blind += p.Blind(d);
      if (down[static_cast<size_t>(d)] && ++down_days >= o.fall_days && alarm < 0 &&
          sum <= o.fall_mean * median * (d - r.first + 1 - blind)) {
        alarm = d;
      }
    }
    if (alarm < 0 || sum > o.fall_mean * median * (r.last - r.first + 1 - blind)) continue;
    Finding x = Measure(p, scale, FindingKind::kFall, r.first, r.last);
    x.alarm_day = p.first_day + alarm;
    out->push_back(std::move(x));
  }
}

// By score (descending), then port type code, then first day.
void RankFindings(std::vector<Finding>* findings) {
  std::sort(findings->begin(), findings->end(), [](const Finding& a, const Finding& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.port.Code() != b.port.Code()) return a.port.Code() < b.port.Code();
    return a.first_day < b.first_day;
  });
}

}  // namespace

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kSurge:
      return "surge";
    case FindingKind::kNew:
      return "new";
    case FindingKind::kConcentration:
      return "concentration";
    case FindingKind::kFall:
      return "fall";
  }
  return "?";
}

std::vector<CoverageNotice> CoverageNotices(const FindingInput& input) {
  std::vector<CoverageNotice> out;
  const size_t h = static_cast<size_t>(input.history_days);
  for (const PointObserved& c : input.coverage) {
    std::vector<bool> blind(static_cast<size_t>(input.month.days), false);
    for (size_t d = 0; d < blind.size() && h + d < c.observed.size(); ++d) {
      blind[d] = !c.observed[h + d];
    }
    for (const Run& r : Runs(blind, 0)) {
      out.push_back({c.point, input.month.first_day + r.first, input.month.first_day + r.last});
    }
  }
  return out;
}

std::vector<Finding> DetectFindings(const FindingInput& input, const FindingOptions& o) {
  const MonthScale scale = ScaleOf(input, o);
  const size_t span = static_cast<size_t>(input.history_days + input.month.days);
  std::vector<Finding> out;
  for (const PortSeries& series : input.ports) {
    if (series.days.size() != span) continue;  // malformed input: skip
    const PortDays p = GatherPort(input, series, scale.has_history, o);
    if (p.month_accesses == 0 && p.accesses.median == 0) continue;
    // A new port is reported once, as new.
    if (std::optional<Finding> x = DetectNew(p, scale, o)) {
      out.push_back(std::move(*x));
      continue;
    }
    DetectSurges(p, scale, input.points, o, &out);
    DetectRowConcentrations(p, scale, o, &out);
    DetectFalls(p, scale, o, &out);
  }
  RankFindings(&out);
  return out;
}

}  // namespace scanscope
