#include "report/report_charts.h"

#include <fmt/format.h>

// GCC 12 warns -Wrestrict on `"literal" + std::string` at -O3, a known false
// positive (GCC bug 105329, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "common/ratio.h"
#include "report/english.h"
#include "report/palette.h"

namespace scanscope {

namespace {

using Totals = std::map<std::string, uint64_t>;
using Daily = std::map<std::string, std::vector<uint64_t>>;

// The names with the largest totals (ties by name), at most n.
std::vector<std::string> TopNames(const Totals& totals, int n) {
  std::vector<std::pair<std::string, uint64_t>> v(totals.begin(), totals.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  });
  std::vector<std::string> out;
  for (const auto& [name, value] : v) {
    if (static_cast<int>(out.size()) >= n || value == 0) break;
    out.push_back(name);
  }
  return out;
}

// Stacked-by-day chart of the top names plus Others.
ChartData DailyStack(const std::string& id, const std::string& title, const Daily& daily,
                     const Totals& totals, int top, const ReportFigures& f,
                     const std::string& y_label) {
  ChartData c;
  c.id = id;
  c.title = title;
  c.kind = ChartKind::kStackedBars;
  c.x_label = fmt::format("Day of {} ({})", MonthTitle(f.month), f.timezone);
  c.y_label = y_label;
  for (int d = 1; d <= f.month.days; ++d) c.categories.push_back(std::to_string(d));
  std::vector<std::string> names = TopNames(totals, top);
  std::set<std::string> shown(names.begin(), names.end());
  for (const std::string& name : names) {
    ChartSeries s{name, ColorFor(name), {}};
    for (uint64_t v : daily.at(name)) s.values.push_back(static_cast<double>(v));
    c.series.push_back(std::move(s));
  }
  ChartSeries others{"Others", ColorFor("Others"), std::vector<double>(f.month.days, 0.0)};
  bool any_other = false;
  for (const auto& [name, values] : daily) {
    if (shown.count(name)) continue;
    for (size_t i = 0; i < values.size(); ++i) {
      others.values[i] += static_cast<double>(values[i]);
      any_other = any_other || values[i] > 0;
    }
  }
  if (any_other) c.series.push_back(std::move(others));
  return c;
}

// Shares (percent, one decimal) of the top names plus Others.
ChartData ShareChart(const std::string& id, const std::string& title, const Totals& totals, int top,
                     const std::string& what) {
  ChartData c;
  c.id = id;
  c.title = title;
  c.kind = ChartKind::kShareBars;
  c.percent = true;
  c.x_label = fmt::format("Share of {} (%)", what);
  uint64_t total = 0;
  for (const auto& [name, v] : totals) total += v;
  ChartSeries s{"share of " + what + " (%)", "", {}};
  uint64_t shown = 0;
  for (const std::string& name : TopNames(totals, top)) {
    c.categories.push_back(name);
    c.category_colors.push_back(ColorFor(name));
    s.values.push_back(RatioPercent(totals.at(name), total));
    shown += totals.at(name);
  }
  if (shown < total) {
    c.categories.push_back("Others");
    c.category_colors.push_back(ColorFor("Others"));
    s.values.push_back(RatioPercent(total - shown, total));
  }
  c.series.push_back(std::move(s));
  return c;
}

// The trend's months as 100 % stacks of what `of` gives for each: this
// month's top names plus Others.
ChartData TrendShares(const std::string& id, const std::string& title, const ReportFigures& f,
                      const std::function<Totals(const MonthFigures&)>& of, int top,
                      const std::string& what) {
  ChartData c;
  c.id = id;
  c.title = title;
  c.kind = ChartKind::kStacked100;
  c.percent = true;
  c.y_label = fmt::format("Share of {} (%)", what);
  c.x_label = "Month";
  std::vector<std::string> missing;
  std::vector<Totals> per_month;
  for (const MonthFigures& t : f.trend) {
    if (!t.has_data) {
      missing.push_back(MonthTitle(t.month));
      continue;
    }
    c.categories.push_back(ShortMonth(t.month));
    per_month.push_back(of(t));
  }
  if (per_month.empty()) return c;
  std::vector<std::string> names = TopNames(per_month.back(), top);
  for (const std::string& name : names) c.series.push_back({name, ColorFor(name), {}});
  ChartSeries others{"Others", ColorFor("Others"), {}};
  bool any_other = false;
  for (const Totals& m : per_month) {
    uint64_t total = 0, shown = 0;
    for (const auto& [n, v] : m) total += v;
    for (size_t k = 0; k < names.size(); ++k) {
      auto it = m.find(names[k]);
      uint64_t v = it == m.end() ? 0 : it->second;
      shown += v;
      c.series[k].values.push_back(RatioPercent(v, total));
    }
    others.values.push_back(RatioPercent(total - shown, total));
    any_other = any_other || total > shown;
  }
  if (any_other) c.series.push_back(std::move(others));
  if (!missing.empty()) c.note = MissingMonthsNote(missing);
  return c;
}

// The daily figures by area code as figures by area name (codes of one
// name added together).
DailyFigures ByName(const DailyFigures& by_code, const AreaNamer& name) {
  DailyFigures out;
  for (const auto& [code, accesses] : by_code.accesses) {
    const std::vector<uint64_t>& sources = by_code.sources.at(code);
    const std::string n = name(code);
    for (size_t d = 0; d < accesses.size(); ++d) {
      out.Add(n, static_cast<int>(d), static_cast<int>(accesses.size()), accesses[d], sources[d]);
    }
  }
  return out;
}

}  // namespace

std::string NoDataNote(const ReportFigures& f) {
  return fmt::format("No accesses are stored for {} (days in {}).", MonthTitle(f.month),
                     f.timezone);
}

std::string NoGeoNote(const std::string& problem) {
  return fmt::format("No IP-to-country database{}: source areas cannot be shown.",
                     problem.empty() ? "" : " (" + problem + ")");
}

std::string MissingMonthsNote(const std::vector<std::string>& months) {
  return fmt::format("No data is stored for {}; {} not shown.", JoinWords(months),
                     months.size() == 1 ? "that month is" : "those months are");
}

ChartData TrendChart(const ReportFigures& f) {
  ChartData c;
  c.id = "1-1";
  c.title =
      "Unwanted (One-sided) Number of Access and Source Number of Access/Monitoring "
      "Point/Day";
  c.kind = ChartKind::kLine;
  c.y_label = "Per monitoring point per day";
  c.x_label = "Month";
  ChartSeries acc{"Accesses", "#1f4e9c", {}}, src{"Sources", "#e8741a", {}};
  std::vector<std::string> missing;
  for (const MonthFigures& t : f.trend) {
    if (!t.has_data) {
      missing.push_back(MonthTitle(t.month));
      continue;
    }
    c.categories.push_back(ShortMonth(t.month));
    acc.values.push_back(static_cast<double>(t.per_point_per_day_accesses_x100) / 100.0);
    src.values.push_back(static_cast<double>(t.per_point_per_day_sources_x100) / 100.0);
  }
  c.series = {acc, src};
  if (c.categories.empty()) {
    c.empty_note = fmt::format("No accesses are stored for {} to {}.",
                               MonthTitle(f.trend.front().month), MonthTitle(f.month));
  } else if (!missing.empty()) {
    c.note = MissingMonthsNote(missing);
  }
  return c;
}

ChartData ComparisonChart(const ReportFigures& f, int top_ports) {
  const Month previous_month = f.month.Previous();
  const MonthFigures* previous = f.previous();
  ChartData c;
  c.id = "1-2";
  c.title =
      fmt::format("Comparison in Number of Access Classified by Destination (by Port) ({}: {})",
                  MonthWord(previous ? previous->month : previous_month), MonthWord(f.month));
  c.kind = ChartKind::kGroupedBars;
  c.y_label = "Accesses";
  c.x_label = "Destination (port type)";
  if (!f.has_data) {
    c.empty_note = NoDataNote(f);
    return c;
  }
  ChartSeries before{MonthTitle(previous_month), "#9db7d5", {}};
  ChartSeries now{MonthTitle(f.month), "#1f4e9c", {}};
  uint64_t shown_now = 0, shown_before = 0;
  for (size_t i = 0; i < f.stats.by_port.size() && i < static_cast<size_t>(top_ports); ++i) {
    const NamedFigure& port = f.stats.by_port[i];
    c.categories.push_back(port.name);
    uint64_t b = 0;
    if (f.compare) {
      for (const NamedFigure& g : previous->by_port) {
        if (g.name == port.name) b = g.accesses;
      }
    }
    before.values.push_back(static_cast<double>(b));
    now.values.push_back(static_cast<double>(port.accesses));
    shown_now += port.accesses;
    shown_before += b;
  }
  c.categories.push_back("Others");
  now.values.push_back(static_cast<double>(f.stats.accesses - shown_now));
  if (f.compare) {
    before.values.push_back(static_cast<double>(previous->accesses - shown_before));
    c.series = {before, now};
  } else {
    c.series = {now};
    c.note = fmt::format("No data is stored for {}: there is nothing to compare {} with.",
                         MonthTitle(previous_month), MonthTitle(f.month));
  }
  return c;
}

ChartData PortDailyChart(int n, const std::string& port, const std::vector<uint64_t>& daily,
                         const ReportFigures& f) {
  ChartData c;
  c.id = fmt::format("2-{}", n);
  c.title = fmt::format("Number of Access to the Port {} ({} Monitoring Point{} Total)", port,
                        f.stats.points, PluralS(f.stats.points));
  c.kind = ChartKind::kStackedBars;
  c.y_label = "Accesses";
  c.x_label = fmt::format("Day of {} ({})", MonthTitle(f.month), f.timezone);
  for (int d = 1; d <= f.month.days; ++d) c.categories.push_back(std::to_string(d));
  ChartSeries series{port, ColorFor(port), std::vector<double>(f.month.days, 0.0)};
  for (size_t i = 0; i < daily.size() && i < series.values.size(); ++i) {
    series.values[i] = static_cast<double>(daily[i]);
  }
  c.series.push_back(std::move(series));
  return c;
}

std::vector<ChartData> PortStatusCharts(const ReportFigures& f, int top_ports) {
  const std::string period = MonthTitle(f.month);
  const DailyFigures& d = f.ports_daily;
  std::vector<ChartData> charts = {
      DailyStack("3-1", fmt::format("Number of Access/Day in {}", period), d.accesses,
                 d.total_accesses, top_ports, f, "Accesses"),
      DailyStack("3-2", fmt::format("Source Number of Access/Day in {}", period), d.sources,
                 d.total_sources, top_ports, f, "Sources"),
      ShareChart(
          "3-3",
          fmt::format("Ratio in Number of Access Classified by Destination (Port Type) in {}",
                      period),
          d.total_accesses, top_ports, "accesses"),
      ShareChart("3-4",
                 fmt::format(
                     "Ratio in Source Number of Access Classified by Destination (Port Type) in {}",
                     period),
                 d.total_sources, top_ports, "sources")};
  if (!f.has_data) {
    for (ChartData& c : charts) c.empty_note = NoDataNote(f);
  }
  return charts;
}

std::vector<ChartData> AreaStatusCharts(const ReportFigures& f, const AreaNamer& name,
                                        int top_areas, const std::string& no_geo) {
  const std::string period = MonthTitle(f.month);
  const DailyFigures d = ByName(f.areas_daily, name);
  std::vector<ChartData> charts = {
      DailyStack("3-5", fmt::format("Number of Access Classified by Source Area/Day in {}", period),
                 d.accesses, d.total_accesses, top_areas, f, "Accesses"),
      ShareChart("3-6",
                 fmt::format("Ratio in Number of Access Classified by Source Area in {}", period),
                 d.total_accesses, top_areas, "accesses"),
      DailyStack("3-7",
                 fmt::format("Source Number of Access Classified by Source Area/Day in {}", period),
                 d.sources, d.total_sources, top_areas, f, "Sources"),
      ShareChart(
          "3-8",
          fmt::format("Ratio in Source Number of Access Classified by Source Area in {}", period),
          d.total_sources, top_areas, "sources")};
  for (ChartData& c : charts) {
    if (!f.has_data) {
      c.empty_note = NoDataNote(f);
    } else if (!f.has_areas) {
      c.empty_note = no_geo;
    }
  }
  return charts;
}

std::vector<ChartData> TrendShareCharts(const ReportFigures& f, const AreaNamer& name,
                                        int top_ports, int top_areas, const std::string& no_geo) {
  auto ports_of = [](bool accesses) {
    return [accesses](const MonthFigures& t) {
      Totals m;
      for (const NamedFigure& p : t.by_port) m[p.name] = accesses ? p.accesses : p.sources;
      return m;
    };
  };
  auto areas_of = [&name](bool accesses) {
    return [accesses, &name](const MonthFigures& t) {
      Totals m;
      for (const AreaCount& a : t.by_area) m[name(a.code)] += accesses ? a.accesses : a.sources;
      return m;
    };
  };
  const std::string span =
      fmt::format("from {} to {}", MonthTitle(f.trend.front().month), MonthTitle(f.month));
  std::vector<ChartData> charts = {
      TrendShares(
          "4-1",
          fmt::format("Ratio in Number of Access Classified by Destination (Port Type) {}", span),
          f, ports_of(true), top_ports, "accesses"),
      TrendShares(
          "4-2",
          fmt::format("Ratio in Source Number of Access Classified by Destination (Port Type) {}",
                      span),
          f, ports_of(false), top_ports, "sources"),
      TrendShares("4-3",
                  fmt::format("Ratio in Number of Access Classified by Source Area {}", span), f,
                  areas_of(true), top_areas, "accesses"),
      TrendShares(
          "4-4", fmt::format("Ratio in Source Number of Access Classified by Source Area {}", span),
          f, areas_of(false), top_areas, "sources")};
  for (size_t i = 0; i < charts.size(); ++i) {
    if (!f.has_data) {
      charts[i].empty_note = NoDataNote(f);
    } else if (i >= 2 && !f.has_areas) {
      charts[i].empty_note = no_geo;
    }
  }
  return charts;
}

}  // namespace scanscope
