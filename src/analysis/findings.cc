#include "analysis/findings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "analysis/month_stats.h"

namespace scanscope {

namespace {

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
// larger of the normal-consistent MAD (1.4826 x MAD, Rousseeuw & Croux 1993)
// and the Poisson standard deviation sqrt(median), so that a quiet series
// (MAD 0) does not turn every small wobble into a large z.
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
  b.sigma = std::max({1.4826 * mad, std::sqrt(std::max(b.median, 1.0)), 1.0});
  return b;
}

struct Run {
  int first = 0;  // month day index
  int last = 0;
};

// Groups flagged days into runs, bridging a gap of one unflagged day.
std::vector<Run> Runs(const std::vector<bool>& flagged) {
  std::vector<Run> runs;
  int n = static_cast<int>(flagged.size());
  for (int d = 0; d < n; ++d) {
    if (!flagged[static_cast<size_t>(d)]) continue;
    if (!runs.empty() && d - runs.back().last <= 2) {
      runs.back().last = d;
    } else {
      runs.push_back({d, d});
    }
  }
  return runs;
}

// "May 2" / "May 2 to May 12".
std::string DayWords(int32_t day) {
  CivilDate c = CivilFromDays(day);
  return fmt::format("{} {}", MonthName(c.month), c.day);
}
std::string PeriodWords(int32_t first, int32_t last) {
  if (first == last) return fmt::format("on {}", DayWords(first));
  return fmt::format("from {} to {}", DayWords(first), DayWords(last));
}

// "in the early part of May" for a period that lies in one third of the month.
std::string PartOfMonth(int32_t first, int32_t last, const Month& month) {
  int a = first - month.first_day, b = last - month.first_day;
  int third = (month.days + 2) / 3;
  std::string name(MonthName(month.month));
  if (b < third) return fmt::format("in the early part of {}", name);
  if (a >= 2 * third) return fmt::format("in the latter part of {}", name);
  if (a >= third && b < 2 * third) return fmt::format("in the middle of {}", name);
  if (b < (month.days + 1) / 2) return fmt::format("in the first half of {}", name);
  if (a >= month.days / 2) return fmt::format("in the second half of {}", name);
  return fmt::format("in {}", name);
}

std::string Percent1(double x) { return fmt::format("{:.1f}%", x * 100); }

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

std::vector<Finding> DetectFindings(const FindingInput& input, const FindingOptions& o) {
  std::vector<Finding> out;
  const int h = input.history_days;
  const int m = input.month.days;
  const double f = static_cast<double>(std::max<uint64_t>(input.month_accesses, 1));
  const double fs = static_cast<double>(std::max<uint64_t>(input.month_sources, 1));
  const double average_day = f / m;
  const bool has_history = input.history_days_with_data >= o.min_history_days;
  auto watched = [&](int i) {
    return input.history_has_data.empty() || input.history_has_data[static_cast<size_t>(i)];
  };

  for (const PortSeries& series : input.ports) {
    if (static_cast<int>(series.days.size()) != h + m) continue;  // malformed input: skip
    auto cell = [&](int month_day) -> const DayCell& {
      return series.days[static_cast<size_t>(h + month_day)];
    };
    std::vector<double> base_a, base_s;
    // The baseline: the last baseline_days history days with data (newest
    // first in base_a).
    if (has_history) {
      for (int i = h - 1; i >= 0 && static_cast<int>(base_a.size()) < o.baseline_days; --i) {
        if (!watched(i)) continue;
        const DayCell& c = series.days[static_cast<size_t>(i)];
        base_a.push_back(static_cast<double>(c.accesses));
        base_s.push_back(static_cast<double>(c.sources));
      }
    } else {
      for (int d = 0; d < m; ++d) {
        base_a.push_back(static_cast<double>(cell(d).accesses));
        base_s.push_back(static_cast<double>(cell(d).sources));
      }
    }
    const Baseline ba = RobustBaseline(base_a);
    const Baseline bs = RobustBaseline(base_s);
    // A port still in a fall when the month starts (its last week well
    // below the rest of the window): rising back to the level before the
    // fall is a recovery, not a surge.
    double recovery_level = ba.median;
    if (has_history && base_a.size() >= 14) {
      double last_week = Median({base_a.begin(), base_a.begin() + 7});
      std::vector<double> rest(base_a.begin() + 7, base_a.end());
      if (last_week <= o.fall_ratio * Median(rest)) {
        // The level before the fall: the upper quartile of the rest.
        size_t q = rest.size() * 3 / 4;
        std::nth_element(rest.begin(), rest.begin() + static_cast<ptrdiff_t>(q), rest.end());
        recovery_level = std::max(ba.median, rest[q]);
      }
    }
    double history_total = 0, month_total = 0;
    for (int i = 0; i < h; ++i) {
      history_total += static_cast<double>(series.days[static_cast<size_t>(i)].accesses);
    }
    for (int d = 0; d < m; ++d) month_total += static_cast<double>(cell(d).accesses);
    if (month_total == 0 && ba.median == 0) continue;

    // The source that is most often the day's largest row over [first,
    // last] and its accesses on those days; (0, 0) if none.
    auto main_source = [&](int first, int last) {
      std::map<uint64_t, uint64_t> by_id;
      for (int d = first; d <= last; ++d) {
        if (cell(d).top_source_id != 0) by_id[cell(d).top_source_id] += cell(d).top_source_accesses;
      }
      std::pair<uint64_t, uint64_t> best{0, 0};
      for (const auto& [id, accesses] : by_id) {
        if (accesses > best.second) best = {id, accesses};
      }
      return best;
    };
    // What the largest row of a day usually is (the month's median), so that
    // a surge is judged on its excess beyond the usual biggest source.
    std::vector<double> tops;
    for (int d = 0; d < m; ++d) tops.push_back(static_cast<double>(cell(d).top_source_accesses));
    const double usual_top = Median(tops);
    auto fill = [&](Finding* x, int first, int last) {
      x->port = series.port;
      x->first_day = input.month.first_day + first;
      x->last_day = input.month.first_day + last;
      x->baseline_accesses = ba.median;
      x->baseline_sources = bs.median;
      double ex_a = 0, ex_s = 0;
      for (int d = first; d <= last; ++d) {
        const DayCell& c = cell(d);
        x->period_accesses += c.accesses;
        x->period_sources += c.sources;
        ex_a += static_cast<double>(c.accesses) - ba.median;
        ex_s += static_cast<double>(c.sources) - bs.median;
        if (c.accesses > x->peak_accesses || d == first) {
          x->peak_accesses = c.accesses;
          x->peak_day = input.month.first_day + d;
        }
      }
      x->excess_accesses = std::llround(ex_a);
      x->excess_sources = std::llround(ex_s);
      x->top_source_share = x->period_accesses == 0
                                ? 0
                                : static_cast<double>(main_source(first, last).second) /
                                      static_cast<double>(x->period_accesses);
      x->score = 100.0 * std::fabs(ex_a) / average_day;
    };

    // New: negligible before, substantial now. Needs a history that was
    // watched: an empty store before the month says nothing about "before".
    if (has_history && month_total >= o.new_floor * f &&
        history_total <= std::max(5.0, o.new_history * month_total)) {
      uint64_t peak = 0;
      for (int d = 0; d < m; ++d) peak = std::max(peak, cell(d).accesses);
      int first = -1, last = -1, alarm = -1;
      double cumulative = 0;
      for (int d = 0; d < m; ++d) {
        cumulative += static_cast<double>(cell(d).accesses);
        if (alarm < 0 && cumulative >= o.new_floor * f) alarm = d;
        if (static_cast<double>(cell(d).accesses) >= 0.1 * static_cast<double>(peak)) {
          if (first < 0) first = d;
          last = d;
        }
      }
      Finding x;
      x.kind = FindingKind::kNew;
      fill(&x, first, last);
      x.alarm_day = input.month.first_day + std::max(alarm, first);
      out.push_back(std::move(x));
      continue;
    }

    // Surge (or concentration): days well above the baseline, accesses or
    // sources, by a robust z per day or a CUSUM of z for slow rises.
    const double floor_a = std::max({o.day_floor * f, o.ratio_floor * ba.median, 1.0});
    const double floor_s = std::max({o.day_floor * fs, o.ratio_floor * bs.median, 1.0});
    std::vector<bool> up(static_cast<size_t>(m), false);
    std::vector<double> z(static_cast<size_t>(m), 0);
    std::vector<bool> sources_up(static_cast<size_t>(m), false);
    double cusum_a = 0, cusum_s = 0;
    for (int d = 0; d < m; ++d) {
      double ea = static_cast<double>(cell(d).accesses) - ba.median;
      double es = static_cast<double>(cell(d).sources) - bs.median;
      double za = ea / ba.sigma, zs = es / bs.sigma;
      cusum_a = std::max(0.0, cusum_a + za - o.cusum_k);
      cusum_s = std::max(0.0, cusum_s + zs - o.cusum_k);
      bool up_a = ea >= floor_a && (za >= o.z_day || cusum_a >= o.cusum_h);
      bool up_s = es >= floor_s && (zs >= o.z_day || cusum_s >= o.cusum_h);
      up[static_cast<size_t>(d)] = up_a || up_s;
      sources_up[static_cast<size_t>(d)] = up_s;
      z[static_cast<size_t>(d)] = std::max(za, zs);
    }
    for (const Run& r : Runs(up)) {
      double excess = 0;
      int up_days = 0, alarm = -1;
      double max_z = 0;
      for (int d = r.first; d <= r.last; ++d) {
        excess += static_cast<double>(cell(d).accesses) - ba.median;
        if (up[static_cast<size_t>(d)]) {
          ++up_days;
          max_z = std::max(max_z, z[static_cast<size_t>(d)]);
        }
        bool persistent = up_days >= 2 || max_z >= o.z_single;
        if (alarm < 0 && persistent && excess >= o.surge_floor * f) alarm = d;
      }
      if (alarm < 0) continue;
      double above_before = 0;
      for (int d = r.first; d <= r.last; ++d) {
        above_before += static_cast<double>(cell(d).accesses) - recovery_level;
      }
      // Already high on the month's first day: back to where it was before.
      if (r.first == 0 && above_before < o.surge_floor * f) continue;
      // Without history the baseline is the month's own median: a long run
      // from the month's first or to its last day is a level shift that
      // cannot be judged (a fall in the other part of the month looks alike).
      if (!has_history && (r.first == 0 || r.last == m - 1) && (r.last - r.first + 1) * 3 >= m) {
        continue;
      }
      Finding x;
      fill(&x, r.first, r.last);
      x.alarm_day = input.month.first_day + alarm;
      uint64_t top_point = 0;
      double single = 0;  // the day's largest rows beyond the usual largest row
      bool drew_sources = false;
      for (int d = r.first; d <= r.last; ++d) {
        drew_sources = drew_sources || sources_up[static_cast<size_t>(d)];
        top_point += cell(d).top_point_accesses;
        single += std::max(0.0, static_cast<double>(cell(d).top_source_accesses) - usual_top);
      }
      const auto [main_id, main_accesses] = main_source(r.first, r.last);
      const double source = static_cast<double>(main_accesses);
      int main_days = 0;
      for (int d = r.first; d <= r.last; ++d) main_days += cell(d).top_source_id == main_id;
      double period = static_cast<double>(std::max<uint64_t>(x.period_accesses, 1));
      if (source >= o.concentration_share * std::max(excess, 1.0)) {
        // One source made most of it: news only when that source is large;
        // coming back on several days it is intent, and half the size will do.
        double floor = o.concentration_floor * f * (main_days >= 2 ? 0.5 : 1.0);
        if (source < floor) continue;
        x.kind = FindingKind::kConcentration;
      } else if (excess - single < o.surge_floor * f || !drew_sources) {
        // What rose is one big source a day (a different one each day) or a
        // few, not a port drawing many: routine heavy hitters.
        continue;
      } else if (input.points >= 3 && static_cast<double>(top_point) >= o.point_share * period) {
        x.kind = FindingKind::kConcentration;
      } else {
        x.kind = FindingKind::kSurge;
      }
      out.push_back(std::move(x));
    }

    // Concentration seen in the largest rows: days whose largest single
    // source is many times the usual largest and lifts the port, grouped
    // into runs; a run counts when one source made it and is large enough.
    std::vector<bool> hot(static_cast<size_t>(m), false);
    for (int d = 0; d < m; ++d) {
      double top = static_cast<double>(cell(d).top_source_accesses);
      double rise = static_cast<double>(cell(d).accesses) - ba.median;
      hot[static_cast<size_t>(d)] = top >= o.concentration_top * std::max(usual_top, 1.0) &&
                                    top >= o.day_floor * f && rise >= 0.5 * (top - usual_top);
    }
    for (const Run& r : Runs(hot)) {
      bool covered = false;
      for (const Finding& y : out) {
        covered =
            covered || (y.port == series.port && y.first_day <= input.month.first_day + r.last &&
                        y.last_day >= input.month.first_day + r.first);
      }
      if (covered) continue;
      const auto [main_id, main_accesses] = main_source(r.first, r.last);
      int first = -1, last = -1, days = 0, alarm = -1;
      double cumulative = 0;
      for (int d = r.first; d <= r.last; ++d) {
        if (cell(d).top_source_id != main_id) continue;
        if (first < 0) first = d;
        last = d;
        ++days;
        cumulative += static_cast<double>(cell(d).top_source_accesses);
        double floor = o.concentration_floor * f * (days >= 2 ? 0.5 : 1.0);
        if (alarm < 0 && cumulative >= floor) alarm = d;
      }
      (void)main_accesses;
      if (alarm < 0) continue;
      Finding x;
      x.kind = FindingKind::kConcentration;
      fill(&x, first, last);
      x.alarm_day = input.month.first_day + alarm;
      out.push_back(std::move(x));
    }

    // Fall: a large port well below its baseline for several days.
    if (has_history && ba.median >= o.fall_level * average_day) {
      std::vector<bool> down(static_cast<size_t>(m), false);
      for (int d = 0; d < m; ++d) {
        // Probers left: the sources fall with the accesses (a heavy hitter
        // that stayed away for a few days moves the accesses only).
        double a = static_cast<double>(cell(d).accesses);
        double s = static_cast<double>(cell(d).sources);
        down[static_cast<size_t>(d)] = a <= o.fall_ratio * ba.median &&
                                       s <= o.fall_ratio * bs.median &&
                                       bs.median - s >= o.fall_z * bs.sigma;
      }
      for (const Run& r : Runs(down)) {
        int down_days = 0, alarm = -1;
        double sum = 0;
        for (int d = r.first; d <= r.last; ++d) {
          sum += static_cast<double>(cell(d).accesses);
          if (down[static_cast<size_t>(d)] && ++down_days >= o.fall_days && alarm < 0 &&
              sum <= o.fall_mean * ba.median * (d - r.first + 1)) {
            alarm = d;
          }
        }
        if (alarm < 0 || sum > o.fall_mean * ba.median * (r.last - r.first + 1)) continue;
        Finding x;
        x.kind = FindingKind::kFall;
        fill(&x, r.first, r.last);
        x.alarm_day = input.month.first_day + alarm;
        out.push_back(std::move(x));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.port.Code() != b.port.Code()) return a.port.Code() < b.port.Code();
    return a.first_day < b.first_day;
  });
  return out;
}

Result<FindingInput> BuildFindingInput(Store& store, const Month& month, const TimeZone& zone,
                                       int history_days) {
  SCANSCOPE_RETURN_IF_ERROR(store.EnsureZone(zone));
  FindingInput input;
  input.month = month;
  input.history_days = history_days;
  const int32_t first = month.first_day - history_days;
  const int32_t last = month.first_day + month.days - 1;
  const size_t span = static_cast<size_t>(history_days + month.days);
  auto totals = store.Totals(zone, first, last);
  if (!totals.ok()) return totals.status();
  std::unordered_map<uint32_t, size_t> index;
  std::set<int32_t> history_days_seen;
  std::set<std::string> points;
  for (const BlockTotal& t : *totals) {
    auto [it, inserted] = index.emplace(t.port.Code(), input.ports.size());
    if (inserted) input.ports.push_back({t.port, std::vector<DayCell>(span)});
    DayCell& c = input.ports[it->second].days[static_cast<size_t>(t.day - first)];
    c.accesses += t.accesses;
    c.sources += t.sources;
    c.top_point_accesses = std::max(c.top_point_accesses, t.accesses);
    if (t.day < month.first_day) {
      history_days_seen.insert(t.day);
    } else {
      input.month_accesses += t.accesses;
      input.month_sources += t.sources;
      points.insert(t.point);
    }
  }
  input.history_days_with_data = static_cast<int>(history_days_seen.size());
  input.history_has_data.assign(static_cast<size_t>(history_days), false);
  for (int32_t day : history_days_seen) {
    input.history_has_data[static_cast<size_t>(day - first)] = true;
  }
  input.points = static_cast<int>(points.size());
  Status st = store.ScanBlocks(
      zone, month.first_day, last, [&](const std::string&, const SourceDayBlock& block) {
        auto it = index.find(block.port.Code());
        if (it == index.end()) return Status::Ok();
        DayCell& c = input.ports[it->second].days[static_cast<size_t>(block.day - first)];
        for (const SourceDayRow& row : block.rows) {
          if (row.accesses > c.top_source_accesses) {
            c.top_source_accesses = row.accesses;
            c.top_source_id = IpAddressHash()(row.source) | 1;
          }
        }
        return Status::Ok();
      });
  SCANSCOPE_RETURN_IF_ERROR(st);
  return input;
}

Status AddEvidence(Store& store, const TimeZone& zone, const Month& month,
                   const FindingKnowledge& knowledge, std::vector<Finding>* findings, int top) {
  struct SourceAgg {
    uint64_t accesses = 0;
    std::set<int32_t> days;
    std::set<std::string> points;
  };
  struct Agg {
    std::unordered_map<IpAddress, SourceAgg, IpAddressHash> sources;
    std::map<std::string, uint64_t> points;
  };
  std::vector<Agg> aggs(findings->size());
  std::unordered_map<uint32_t, std::vector<size_t>> by_port;
  for (size_t i = 0; i < findings->size(); ++i) {
    Finding& x = (*findings)[i];
    x.daily_accesses.assign(static_cast<size_t>(month.days), 0);
    by_port[x.port.Code()].push_back(i);
  }
  const int32_t last = month.first_day + month.days - 1;
  Status st = store.ScanBlocks(
      zone, month.first_day, last, [&](const std::string& point, const SourceDayBlock& block) {
        auto it = by_port.find(block.port.Code());
        if (it == by_port.end()) return Status::Ok();
        for (size_t i : it->second) {
          Finding& x = (*findings)[i];
          x.daily_accesses[static_cast<size_t>(block.day - month.first_day)] += block.Accesses();
          if (block.day < x.first_day || block.day > x.last_day) continue;
          Agg& agg = aggs[i];
          for (const SourceDayRow& row : block.rows) {
            SourceAgg& s = agg.sources[row.source];
            s.accesses += row.accesses;
            s.days.insert(block.day);
            s.points.insert(point);
            agg.points[point] += row.accesses;
          }
        }
        return Status::Ok();
      });
  SCANSCOPE_RETURN_IF_ERROR(st);
  for (size_t i = 0; i < findings->size(); ++i) {
    Finding& x = (*findings)[i];
    std::vector<std::pair<IpAddress, const SourceAgg*>> sources;
    for (const auto& [address, agg] : aggs[i].sources) sources.emplace_back(address, &agg);
    auto by_accesses = [](const auto& a, const auto& b) {
      if (a.second->accesses != b.second->accesses) return a.second->accesses > b.second->accesses;
      return a.first < b.first;
    };
    size_t n = std::min(sources.size(), static_cast<size_t>(std::max(top, 0)));
    std::partial_sort(sources.begin(), sources.begin() + static_cast<ptrdiff_t>(n), sources.end(),
                      by_accesses);
    x.top_sources.clear();
    for (size_t k = 0; k < n; ++k) {
      FindingSource s;
      s.source = sources[k].first;
      s.accesses = sources[k].second->accesses;
      s.days = static_cast<int>(sources[k].second->days.size());
      s.points.assign(sources[k].second->points.begin(), sources[k].second->points.end());
      if (knowledge.country_code) s.country = knowledge.country_code(s.source);
      x.top_sources.push_back(std::move(s));
    }
    x.points.clear();
    for (const auto& [point, accesses] : aggs[i].points) x.points.push_back({point, accesses});
    std::sort(x.points.begin(), x.points.end(), [](const FindingPoint& a, const FindingPoint& b) {
      if (a.accesses != b.accesses) return a.accesses > b.accesses;
      return a.point < b.point;
    });
    x.paragraph = FindingParagraph(x, month, knowledge);
  }
  return Status::Ok();
}

std::string FindingParagraph(const Finding& x, const Month& month,
                             const FindingKnowledge& knowledge) {
  const std::string port = x.port.ToString();
  const std::string period = PeriodWords(x.first_day, x.last_day);
  const std::string part = PartOfMonth(x.first_day, x.last_day, month);
  const std::string previous(MonthName(month.Previous().month));
  auto source_words = [&](const FindingSource& s) {
    std::string country;
    if (!s.country.empty()) {
      std::string name = knowledge.country_name ? knowledge.country_name(s.country) : "";
      country = fmt::format(", {}", name.empty() ? s.country : name);
    }
    return fmt::format("{}{}", s.source.ToString(), country);
  };
  auto points_words = [&]() -> std::string {
    if (x.points.empty()) return "";
    if (x.points.size() == 1)
      return fmt::format(" at one monitoring point ({})", x.points[0].point);
    return fmt::format(" at {} monitoring points", x.points.size());
  };
  double share = 0;
  if (!x.top_sources.empty() && x.period_accesses > 0) {
    share = static_cast<double>(x.top_sources[0].accesses) / static_cast<double>(x.period_accesses);
  }
  std::string text;
  switch (x.kind) {
    case FindingKind::kSurge: {
      double ratio = x.baseline_accesses > 0
                         ? static_cast<double>(x.period_accesses) /
                               (x.baseline_accesses * (x.last_day - x.first_day + 1))
                         : 0;
      text = fmt::format(
          "The access to the port {} tended to increase {}: {} accesses from {} sources {}{}, "
          "{} more than its usual level of about {} accesses a day",
          port, part, WithThousands(x.period_accesses), WithThousands(x.period_sources), period,
          points_words(),
          WithThousands(static_cast<uint64_t>(std::max<int64_t>(x.excess_accesses, 0))),
          WithThousands(static_cast<uint64_t>(std::llround(x.baseline_accesses))));
      if (ratio > 0) text += fmt::format(" ({:.1f} times the usual level)", ratio);
      text += fmt::format(". The busiest day was {} with {} accesses.", DayWords(x.peak_day),
                          WithThousands(x.peak_accesses));
      break;
    }
    case FindingKind::kNew: {
      text = fmt::format(
          "Accesses to the port {}, which was never monitored in {}, drastically increased "
          "{}: {} accesses {}{}.",
          port, previous, part, WithThousands(x.period_accesses), period, points_words());
      if (share >= 0.5) {
        text += fmt::format(" {} of them came from a specific source address ({}).",
                            Percent1(share), source_words(x.top_sources[0]));
      }
      break;
    }
    case FindingKind::kConcentration: {
      const std::string usual =
          WithThousands(static_cast<uint64_t>(std::llround(x.baseline_accesses)));
      // The excess is one source's when that source alone covers most of it.
      bool one_source = !x.top_sources.empty() &&
                        static_cast<double>(x.top_sources[0].accesses) >=
                            0.5 * static_cast<double>(std::max<int64_t>(x.excess_accesses, 1));
      if (one_source) {
        const FindingSource& s = x.top_sources[0];
        std::string where = s.points.size() == 1
                                ? fmt::format(" at one monitoring point ({})", s.points[0])
                                : fmt::format(" at {} monitoring points", s.points.size());
        text = fmt::format(
            "Accesses to the port {} were intensively made {} by a specific source address ({})"
            "{}: {} accesses, against about {} accesses a day to that port from all sources "
            "usually ({} in all over those days).",
            port, period, source_words(s), where, WithThousands(s.accesses), usual,
            WithThousands(x.period_accesses));
      } else {
        std::string where =
            x.points.empty() ? std::string("one monitoring point") : x.points[0].point;
        double point_share = x.points.empty() || x.period_accesses == 0
                                 ? 0
                                 : static_cast<double>(x.points[0].accesses) /
                                       static_cast<double>(x.period_accesses);
        text = fmt::format(
            "Accesses to the port {} were concentrated on one monitoring point ({}) {}: {} of "
            "{} accesses, against about {} accesses a day usually.",
            port, where, period, Percent1(point_share), WithThousands(x.period_accesses), usual);
      }
      break;
    }
    case FindingKind::kFall: {
      int days = x.last_day - x.first_day + 1;
      double per_day = static_cast<double>(x.period_accesses) / days;
      double drop = x.baseline_accesses > 0 ? 1.0 - per_day / x.baseline_accesses : 0;
      text = fmt::format(
          "The access to the port {} decreased {}: about {} accesses a day {} against about {} "
          "before ({} fewer, {} less).",
          port, part, WithThousands(static_cast<uint64_t>(std::llround(per_day))), period,
          WithThousands(static_cast<uint64_t>(std::llround(x.baseline_accesses))),
          WithThousands(static_cast<uint64_t>(std::max<int64_t>(-x.excess_accesses, 0))),
          Percent1(drop));
      break;
    }
  }
  std::string description = knowledge.port_description ? knowledge.port_description(x.port) : "";
  if (!description.empty()) {
    text += fmt::format(" The port {}: {}", port, description);
  } else if (x.kind == FindingKind::kNew || x.kind == FindingKind::kConcentration) {
    text += " The cause of such intensive access has not yet been identified.";
  }
  return text;
}

nlohmann::ordered_json FindingsToJson(const std::vector<Finding>& findings, const Month& month,
                                      const std::string& zone) {
  nlohmann::ordered_json j;
  j["month"] = month.ToString();
  j["timezone"] = zone;
  j["findings"] = nlohmann::ordered_json::array();
  int rank = 0;
  for (const Finding& x : findings) {
    nlohmann::ordered_json f;
    f["rank"] = ++rank;
    f["kind"] = std::string(FindingKindName(x.kind));
    f["port_type"] = x.port.ToString();
    f["first_day"] = FormatDay(x.first_day);
    f["last_day"] = FormatDay(x.last_day);
    f["alarm_day"] = FormatDay(x.alarm_day);
    f["score"] = std::round(x.score * 10) / 10;
    nlohmann::ordered_json mag;
    mag["excess_accesses"] = x.excess_accesses;
    mag["excess_sources"] = x.excess_sources;
    mag["period_accesses"] = x.period_accesses;
    mag["period_sources"] = x.period_sources;
    mag["baseline_accesses_per_day"] = x.baseline_accesses;
    mag["baseline_sources_per_day"] = x.baseline_sources;
    mag["peak_day"] = FormatDay(x.peak_day);
    mag["peak_accesses"] = x.peak_accesses;
    mag["top_source_share"] = std::round(x.top_source_share * 1000) / 1000;
    f["magnitude"] = mag;
    f["top_sources"] = nlohmann::ordered_json::array();
    for (const FindingSource& s : x.top_sources) {
      nlohmann::ordered_json js;
      js["address"] = s.source.ToString();
      js["accesses"] = s.accesses;
      js["days"] = s.days;
      js["points"] = s.points;
      js["country"] =
          s.country.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.country);
      f["top_sources"].push_back(js);
    }
    f["points"] = nlohmann::ordered_json::array();
    for (const FindingPoint& p : x.points) {
      f["points"].push_back({{"point", p.point}, {"accesses", p.accesses}});
    }
    f["daily_accesses"] = x.daily_accesses;
    f["paragraph"] = x.paragraph;
    j["findings"].push_back(f);
  }
  if (findings.empty()) {
    j["summary"] =
        fmt::format("No peculiar access was found in {} {}.", MonthName(month.month), month.year);
  }
  return j;
}

std::string FindingsToText(const std::vector<Finding>& findings, const Month& month,
                           const std::string& zone) {
  std::string out = fmt::format("Peculiar access in {} {} (days in {})\n\n", MonthName(month.month),
                                month.year, zone);
  if (findings.empty()) {
    out += fmt::format(
        "No peculiar access was found in {} {}: no port type rose, appeared, concentrated or "
        "fell beyond its baseline.\n",
        MonthName(month.month), month.year);
    return out;
  }
  int rank = 0;
  for (const Finding& x : findings) {
    out += fmt::format("({}) {} {}: {} .. {}, score {:.1f}\n", ++rank, x.port.ToString(),
                       FindingKindName(x.kind), FormatDay(x.first_day), FormatDay(x.last_day),
                       x.score);
    out += x.paragraph + "\n";
    if (!x.top_sources.empty()) {
      out += "  top sources:\n";
      for (const FindingSource& s : x.top_sources) {
        out += fmt::format("    {:<40} {:>12} accesses, {} day(s), {}{}\n", s.source.ToString(),
                           WithThousands(s.accesses), s.days, fmt::join(s.points, ","),
                           s.country.empty() ? "" : " (" + s.country + ")");
      }
    }
    if (!x.points.empty()) {
      out += "  points:";
      for (const FindingPoint& p : x.points) {
        out += fmt::format(" {} {}", p.point, WithThousands(p.accesses));
      }
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace scanscope
