#include "analysis/month_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "analysis/coverage_days.h"
#include "common/ratio.h"

namespace scanscope {

namespace {

// Rows of the text's tables: the port types with the most accesses (the
// rest summed as "others"), and every point and day (no deployment comes
// near this many).
constexpr size_t kTextTopPorts = 10;
constexpr size_t kTextAllRows = 1000;

void SortByAccesses(std::vector<NamedFigure>* v) {
  std::sort(v->begin(), v->end(), [](const NamedFigure& a, const NamedFigure& b) {
    if (a.accesses != b.accesses) return a.accesses > b.accesses;
    return a.name < b.name;
  });
}

std::string Hundredths(int64_t x100) { return fmt::format("{}.{:02d}", x100 / 100, x100 % 100); }

// "about 372": the per-point-per-day figure rounded half up to a whole number.
uint64_t WholeFromHundredths(int64_t x100) { return static_cast<uint64_t>((x100 + 50) / 100); }

}  // namespace

int64_t RoundedHundredths(uint64_t numerator, uint64_t denominator) {
  if (denominator == 0) return 0;
  // round(n * 100 / d) half up, in integers, split so that nothing overflows:
  // n = q*d + r, and round(100r / d) = (200r + d) / 2d with r < d.
  uint64_t q = numerator / denominator, r = numerator % denominator;
  return static_cast<int64_t>(q * 100 + (r * 200 + denominator) / (2 * denominator));
}

namespace {

// Days observed in hundredths, for a figure that prints with two decimals.
double TwoDecimals(double x) { return std::round(x * 100) / 100; }

Status AddCoverage(Store& store, const TimeZone& zone, MonthStats* stats) {
  std::vector<std::string> points;
  for (const NamedFigure& f : stats->by_point) points.push_back(f.name);
  const int32_t first = stats->month.first_day, last = first + stats->month.days - 1;
  Result<CoverageDays> days = LoadCoverageDays(store, zone, first, last, points);
  if (!days.ok()) return days.status();
  for (const std::string& p : points) {
    const double observed = days->DaysWatched(p);
    stats->coverage_by_point.push_back({p, TwoDecimals(observed), days->points.at(p).recorded});
    stats->point_days_observed += observed;
  }
  stats->point_days_observed = TwoDecimals(stats->point_days_observed);
  stats->point_days_possible = static_cast<double>(points.size()) * stats->days;
  auto per = [&](uint64_t figure) -> int64_t {
    if (stats->point_days_observed <= 0) return 0;
    return std::llround(static_cast<double>(figure) * 100 / stats->point_days_observed);
  };
  stats->per_observed_point_day_accesses_x100 =
      stats->coverage_complete() ? stats->per_point_per_day_accesses_x100 : per(stats->accesses);
  stats->per_observed_point_day_sources_x100 =
      stats->coverage_complete() ? stats->per_point_per_day_sources_x100 : per(stats->sources);
  return Status::Ok();
}

}  // namespace

Result<MonthStats> ComputeMonthStats(Store& store, const Month& month, const TimeZone& zone) {
  SCANSCOPE_RETURN_IF_ERROR(store.EnsureZone(zone));
  auto totals = store.Totals(zone, month.first_day, month.first_day + month.days - 1);
  if (!totals.ok()) return totals.status();

  MonthStats stats;
  stats.month = month;
  stats.timezone = zone.name();
  stats.days = month.days;
  // A month holds tens of thousands of port types (every high port gets its
  // probe): hash by code, name them once at the end.
  std::unordered_map<uint32_t, NamedFigure> by_port;
  by_port.reserve(4096);
  std::map<int32_t, NamedFigure> by_day;
  std::map<std::string, NamedFigure> by_point;
  const std::string* last_point = nullptr;  // rows come grouped by point within a day
  NamedFigure* point_figure = nullptr;
  for (const BlockTotal& t : *totals) {
    if (t.accesses == 0) continue;
    stats.accesses += t.accesses;
    stats.sources += t.sources;
    if (last_point == nullptr || *last_point != t.point) {
      point_figure = &by_point[t.point];
      last_point = &t.point;
    }
    for (NamedFigure* f : {&by_port[t.port.Code()], &by_day[t.day], point_figure}) {
      f->accesses += t.accesses;
      f->sources += t.sources;
    }
  }
  for (auto& [day, f] : by_day) {
    f.name = FormatDay(day);
    stats.by_day.push_back(f);
  }
  stats.by_port.reserve(by_port.size());
  for (auto& [code, f] : by_port) {
    f.name = PortType::FromCode(code).value_or(PortType()).ToString();
    stats.by_port.push_back(std::move(f));
  }
  for (auto& [name, f] : by_point) {
    f.name = name;
    stats.by_point.push_back(f);
  }
  SortByAccesses(&stats.by_port);
  SortByAccesses(&stats.by_point);
  stats.points = static_cast<int>(stats.by_point.size());
  uint64_t point_days = static_cast<uint64_t>(stats.points) * static_cast<uint64_t>(stats.days);
  stats.per_point_per_day_accesses_x100 = RoundedHundredths(stats.accesses, point_days);
  stats.per_point_per_day_sources_x100 = RoundedHundredths(stats.sources, point_days);
  SCANSCOPE_RETURN_IF_ERROR(AddCoverage(store, zone, &stats));
  return stats;
}

nlohmann::ordered_json MonthStatsToJson(const MonthStats& stats) {
  auto figures = [](const std::vector<NamedFigure>& v, const char* key) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const NamedFigure& f : v) {
      a.push_back({{key, f.name}, {"accesses", f.accesses}, {"sources", f.sources}});
    }
    return a;
  };
  // Hundredths as a JSON number with at most two decimals.
  auto decimal = [](int64_t x100) { return nlohmann::ordered_json::parse(Hundredths(x100)); };
  nlohmann::ordered_json j;
  j["month"] = stats.month.ToString();
  j["timezone"] = stats.timezone;
  j["points"] = stats.points;
  j["days"] = stats.days;
  j["accesses"] = stats.accesses;
  j["sources"] = stats.sources;
  j["per_point_per_day"] = {{"accesses", decimal(stats.per_point_per_day_accesses_x100)},
                            {"sources", decimal(stats.per_point_per_day_sources_x100)}};
  j["by_port"] = figures(stats.by_port, "port");
  j["by_day"] = figures(stats.by_day, "day");
  j["by_point"] = figures(stats.by_point, "point");
  nlohmann::ordered_json by_point = nlohmann::ordered_json::array();
  for (const MonthStats::PointCoverage& c : stats.coverage_by_point) {
    by_point.push_back(
        {{"point", c.point}, {"days_observed", c.days_observed}, {"recorded", c.recorded}});
  }
  j["coverage"] = {{"point_days_observed", stats.point_days_observed},
                   {"point_days_possible", stats.point_days_possible},
                   {"by_point", by_point},
                   {"per_observed_point_day",
                    {{"accesses", decimal(stats.per_observed_point_day_accesses_x100)},
                     {"sources", decimal(stats.per_observed_point_day_sources_x100)}}}};
  return j;
}

// One line when some point did not watch every day (docs/coverage.md).
std::string CoverageLine(const MonthStats& s) {
  std::string blind;
  for (const MonthStats::PointCoverage& c : s.coverage_by_point) {
    if (c.days_observed >= s.days) continue;
    blind +=
        fmt::format("{}{} {:g} of {}", blind.empty() ? "" : ", ", c.point, c.days_observed, s.days);
  }
  return fmt::format(
      "Coverage incomplete: {:g} of {:g} point-days watched ({} days); per observed point-day {} "
      "accesses, {} sources.\n\n",
      s.point_days_observed, s.point_days_possible, blind,
      Hundredths(s.per_observed_point_day_accesses_x100),
      Hundredths(s.per_observed_point_day_sources_x100));
}

std::string MonthStatsToText(const MonthStats& s) {
  std::string out;
  std::string period = fmt::format("{} {}", MonthName(s.month.month), s.month.year);
  if (s.accesses == 0) {
    return fmt::format("{} ({}): no accesses stored for this month.\n", period, s.timezone);
  }
  out += fmt::format(
      "In {}, unwanted (one-sided) accesses totaled {} for the {} monitoring point{} and the "
      "gross number of sources was {}: one monitoring point received about {} accesses from "
      "about {} sources per day.\n",
      period, WithThousands(s.accesses), s.points, s.points == 1 ? "" : "s",
      WithThousands(s.sources),
      WithThousands(WholeFromHundredths(s.per_point_per_day_accesses_x100)),
      WithThousands(WholeFromHundredths(s.per_point_per_day_sources_x100)));
  out += fmt::format(
      "(days in {}; per point per day = figure / ({} points x {} days) = {} accesses, {} "
      "sources; a source counts once per day, point and port type)\n\n",
      s.timezone, s.points, s.days, Hundredths(s.per_point_per_day_accesses_x100),
      Hundredths(s.per_point_per_day_sources_x100));
  if (!s.coverage_complete()) out += CoverageLine(s);
  auto table = [&](const std::string& title, const char* key, const std::vector<NamedFigure>& v,
                   size_t limit) {
    out += fmt::format("{}\n  {:<12} {:>14} {:>7} {:>12} {:>7}\n", title, key, "accesses", "%",
                       "sources", "%");
    size_t shown = 0;
    uint64_t rest_a = 0, rest_s = 0;
    for (const NamedFigure& f : v) {
      if (shown++ >= limit) {
        rest_a += f.accesses;
        rest_s += f.sources;
        continue;
      }
      out += fmt::format("  {:<12} {:>14} {:>6}% {:>12} {:>6}%\n", f.name,
                         WithThousands(f.accesses), FormatRatio(f.accesses, s.accesses),
                         WithThousands(f.sources), FormatRatio(f.sources, s.sources));
    }
    if (v.size() > limit) {
      out += fmt::format("  {:<12} {:>14} {:>6}% {:>12} {:>6}%\n",
                         fmt::format("others ({})", v.size() - limit), WithThousands(rest_a),
                         FormatRatio(rest_a, s.accesses), WithThousands(rest_s),
                         FormatRatio(rest_s, s.sources));
    }
    out += "\n";
  };
  table(fmt::format("By port type (top {})", kTextTopPorts), "port", s.by_port, kTextTopPorts);
  table("By monitoring point", "point", s.by_point, kTextAllRows);
  table("By day", "day", s.by_day, kTextAllRows);
  out += "Ratios are rounded to one decimal place, so they may not add up to 100%.\n";
  return out;
}

}  // namespace scanscope
