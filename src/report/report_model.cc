#include "report/report_model.h"

#include <fmt/format.h>

// GCC 12 warns -Wrestrict on `"literal" + std::string` at -O3, a known false
// positive (GCC bug 105329, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "common/ratio.h"
#include "report/palette.h"

namespace scanscope {

namespace {

std::string MonthName(const Month& m) { return std::string(scanscope::MonthName(m.month)); }
std::string ShortMonth(const Month& m) {
  return fmt::format("{} {}", std::string(MonthName(m)).substr(0, 3), m.year);
}

// "about 372": hundredths rounded half up to a whole number, as the reference.
uint64_t Whole(int64_t x100) { return static_cast<uint64_t>((x100 + 50) / 100); }

double Hundredths(int64_t x100) { return static_cast<double>(x100) / 100.0; }

// Signed change in percent, one decimal: "+45.2%".
std::string ChangeWords(uint64_t now, uint64_t before) {
  if (before == 0) return "new";
  double pct = 100.0 * (static_cast<double>(now) - static_cast<double>(before)) /
               static_cast<double>(before);
  return fmt::format("{}{:.1f}%", pct >= 0 ? "+" : "", pct);
}

std::string JoinWords(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  if (items.size() == 1) return items[0];
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

// Per-day figures of named things (port types or areas) over the month.
// Each source's area, looked up once for all the trend's months: an
// open-addressing table (linear probing, power-of-two capacity, grown at 0.5
// load) from address to an index into the area codes. A month's scan costs a
// probe per row and no allocation except when the table grows.
class SourceAreas {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  // The area index of `a`, or kNone when it has none yet.
  uint32_t Find(const IpAddress& a) const {
    if (slots_.empty()) return kNone;
    for (size_t i = IpAddressHash()(a) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.area == kNone) return kNone;
      if (s.address == a) return s.area;
    }
  }
  // Records `a` (not yet in the table) as in area `area`.
  void Insert(const IpAddress& a, uint32_t area) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    size_t i = IpAddressHash()(a) & mask_;
    while (slots_[i].area != kNone) i = (i + 1) & mask_;
    slots_[i] = {a, area};
    ++size_;
  }

 private:
  struct Slot {
    IpAddress address;
    uint32_t area = kNone;
  };
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.area != kNone) Insert(s.address, s.area);
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

struct DailyTable {
  std::map<std::string, std::vector<uint64_t>> accesses;
  std::map<std::string, std::vector<uint64_t>> sources;
  std::map<std::string, uint64_t> total_accesses;
  std::map<std::string, uint64_t> total_sources;
  void Add(const std::string& name, int day_index, int days, uint64_t acc, uint64_t src) {
    auto& a = accesses[name];
    auto& s = sources[name];
    if (a.empty()) {
      a.assign(static_cast<size_t>(days), 0);
      s.assign(static_cast<size_t>(days), 0);
    }
    a[static_cast<size_t>(day_index)] += acc;
    s[static_cast<size_t>(day_index)] += src;
    total_accesses[name] += acc;
    total_sources[name] += src;
  }
};

// The names with the largest totals (ties by name), at most n.
std::vector<std::string> TopNames(const std::map<std::string, uint64_t>& totals, int n) {
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
ChartData DailyStack(const std::string& id, const std::string& title,
                     const std::map<std::string, std::vector<uint64_t>>& daily,
                     const std::map<std::string, uint64_t>& totals, int top, const Month& month,
                     const std::string& zone, const std::string& y_label) {
  ChartData c;
  c.id = id;
  c.title = title;
  c.kind = ChartKind::kStackedBars;
  c.x_label = fmt::format("Day of {} {} ({})", MonthName(month), month.year, zone);
  c.y_label = y_label;
  for (int d = 1; d <= month.days; ++d) c.categories.push_back(std::to_string(d));
  std::vector<std::string> names = TopNames(totals, top);
  std::set<std::string> shown(names.begin(), names.end());
  for (const std::string& name : names) {
    ChartSeries s{name, ColorFor(name), {}};
    for (uint64_t v : daily.at(name)) s.values.push_back(static_cast<double>(v));
    c.series.push_back(std::move(s));
  }
  ChartSeries others{"Others", ColorFor("Others"), std::vector<double>(month.days, 0.0)};
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
ChartData ShareChart(const std::string& id, const std::string& title,
                     const std::map<std::string, uint64_t>& totals, int top,
                     const std::string& what) {
  ChartData c;
  c.id = id;
  c.title = title;
  c.kind = ChartKind::kShareBars;
  c.percent = true;
  c.x_label = fmt::format("Share of {} (%)", what);
  uint64_t total = 0;
  for (const auto& [name, v] : totals) total += v;
  std::vector<std::string> names = TopNames(totals, top);
  ChartSeries s{"share of " + what + " (%)", "", {}};
  uint64_t shown = 0;
  for (const std::string& name : names) {
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

// Six months of shares as 100 % stacks: this month's top names plus Others.
ChartData TrendShares(const std::string& id, const std::string& title,
                      const std::vector<TrendMonth>& trend,
                      const std::function<std::map<std::string, uint64_t>(const TrendMonth&)>& of,
                      int top, const std::string& what) {
  ChartData c;
  c.id = id;
  c.title = title;
  c.kind = ChartKind::kStacked100;
  c.percent = true;
  c.y_label = fmt::format("Share of {} (%)", what);
  c.x_label = "Month";
  std::vector<std::string> missing;
  std::vector<std::map<std::string, uint64_t>> per_month;
  for (const TrendMonth& t : trend) {
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
  for (const auto& m : per_month) {
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
  if (!missing.empty()) {
    c.note = fmt::format("No data is stored for {}; {} not shown.", JoinWords(missing),
                         missing.size() == 1 ? "that month is" : "those months are");
  }
  return c;
}

}  // namespace

std::string MonthTitle(const Month& month) {
  return fmt::format("{} {}", MonthName(month), month.year);
}

Result<ReportModel> BuildReportModel(Store& store, const Month& month, const TimeZone& zone,
                                     const ReportKnowledge& knowledge,
                                     const ReportOptions& options) {
  ReportModel r;
  r.month = month;
  r.timezone = zone.name();
  r.title = "Report from the Internet Monitoring (scanscope)";
  r.period = MonthTitle(month);
  const bool have_geo = static_cast<bool>(knowledge.country_code);
  r.geo_database = have_geo ? knowledge.geo_database : "";
  r.geo_attribution = have_geo ? knowledge.geo_attribution : "";
  r.geo_problem = have_geo ? "" : knowledge.geo_problem;
  const std::string name(MonthName(month));
  const Month previous = month.Previous();

  auto stats = ComputeMonthStats(store, month, zone);
  if (!stats.ok()) return stats.status();
  r.stats = std::move(stats.value());
  const MonthStats& s = r.stats;
  const bool has_data = s.accesses > 0;

  // --- the trend months, oldest first; areas by one scan of each month's rows
  auto area_name = [&](const std::string& code) -> std::string {
    if (code.empty()) return "Unknown";
    if (knowledge.country_name) {
      std::string n = knowledge.country_name(code);
      if (!n.empty()) return n;
    }
    return code;
  };
  DailyTable ports_daily, areas_daily;
  std::vector<Month> months;
  {
    Month m = month;
    for (int i = 0; i < options.trend_months; ++i) {
      months.insert(months.begin(), m);
      m = m.Previous();
    }
  }
  SourceAreas area_of;  // sources recur month to month: one lookup each
  std::unordered_map<std::string, uint32_t> index_of_code;
  std::vector<std::string> codes;
  for (const Month& m : months) {
    TrendMonth t;
    t.month = m;
    if (m.first_day == month.first_day) {
      t.points = s.points;
      t.accesses = s.accesses;
      t.sources = s.sources;
      t.per_point_per_day_accesses_x100 = s.per_point_per_day_accesses_x100;
      t.per_point_per_day_sources_x100 = s.per_point_per_day_sources_x100;
      t.by_port = s.by_port;
    } else {
      auto ms = ComputeMonthStats(store, m, zone);
      if (!ms.ok()) return ms.status();
      t.points = ms->points;
      t.accesses = ms->accesses;
      t.sources = ms->sources;
      t.per_point_per_day_accesses_x100 = ms->per_point_per_day_accesses_x100;
      t.per_point_per_day_sources_x100 = ms->per_point_per_day_sources_x100;
      t.by_port = std::move(ms->by_port);
    }
    t.has_data = t.accesses > 0;
    if (have_geo && t.has_data) {
      // Per (area, day) in flat arrays: a row costs one probe of its source.
      const size_t days = static_cast<size_t>(m.days);
      // [area * days + day index], for every area known so far; a new one grows them.
      std::vector<uint64_t> day_accesses(codes.size() * days), day_sources(codes.size() * days);
      Status st = store.ScanBlocks(
          zone, m.first_day, m.first_day + m.days - 1,
          [&](const std::string&, const SourceDayBlock& block) -> Status {
            const size_t day = static_cast<size_t>(block.day - m.first_day);
            for (const SourceDayRow& row : block.rows) {
              uint32_t area = area_of.Find(row.source);
              if (area == SourceAreas::kNone) {
                std::string code = knowledge.country_code(row.source);
                auto [ci, fresh] = index_of_code.emplace(code, static_cast<uint32_t>(codes.size()));
                if (fresh) {
                  codes.push_back(std::move(code));
                  day_accesses.resize(codes.size() * days);
                  day_sources.resize(codes.size() * days);
                }
                area = ci->second;
                area_of.Insert(row.source, area);
              }
              const size_t k = area * days + day;
              day_accesses[k] += row.accesses;
              day_sources[k] += 1;
            }
            return Status::Ok();
          });
      if (!st.ok()) return st;
      const bool this_month = m.first_day == month.first_day;
      std::map<std::string, AreaFigure> by_code;  // areas with rows this month
      for (size_t a = 0; a * days < day_sources.size(); ++a) {
        AreaFigure f;
        f.code = codes[a];
        f.name = area_name(codes[a]);
        for (size_t d = 0; d < days; ++d) {
          const size_t k = a * days + d;
          if (day_sources[k] == 0) continue;
          f.accesses += day_accesses[k];
          f.sources += day_sources[k];
          if (this_month) {
            areas_daily.Add(f.name, static_cast<int>(d), m.days, day_accesses[k], day_sources[k]);
          }
        }
        if (f.sources > 0) by_code[f.code] = std::move(f);
      }
      for (auto& [code, f] : by_code) t.by_area.push_back(f);
      std::sort(t.by_area.begin(), t.by_area.end(), [](const AreaFigure& a, const AreaFigure& b) {
        if (a.accesses != b.accesses) return a.accesses > b.accesses;
        return a.name < b.name;
      });
    }
    r.trend.push_back(std::move(t));
  }
  if (have_geo) r.areas = r.trend.back().by_area;

  // --- per day and port type this month (charts 3-1, 3-2 and section 2's fallback)
  if (has_data) {
    auto totals = store.Totals(zone, month.first_day, month.first_day + month.days - 1);
    if (!totals.ok()) return totals.status();
    std::unordered_map<uint32_t, std::string> names;
    for (const BlockTotal& t : *totals) {
      if (t.accesses == 0) continue;
      auto it = names.find(t.port.Code());
      if (it == names.end()) it = names.emplace(t.port.Code(), t.port.ToString()).first;
      ports_daily.Add(it->second, t.day - month.first_day, month.days, t.accesses, t.sources);
    }
  }

  // --- this month against last, by port type
  const TrendMonth* last = r.trend.size() >= 2 ? &r.trend[r.trend.size() - 2] : nullptr;
  const bool compare = has_data && last != nullptr && last->has_data;
  {
    std::map<std::string, PortChange> changes;
    for (const NamedFigure& f : s.by_port) {
      PortChange& c = changes[f.name];
      c.port = f.name;
      c.accesses = f.accesses;
      c.sources = f.sources;
    }
    if (last != nullptr) {
      for (const NamedFigure& f : last->by_port) {
        PortChange& c = changes[f.name];
        c.port = f.name;
        c.previous_accesses = f.accesses;
        c.previous_sources = f.sources;
      }
    }
    for (auto& [port, c] : changes) r.changes.push_back(c);
    std::sort(r.changes.begin(), r.changes.end(), [](const PortChange& a, const PortChange& b) {
      if (a.accesses != b.accesses) return a.accesses > b.accesses;
      if (a.previous_accesses != b.previous_accesses)
        return a.previous_accesses > b.previous_accesses;
      return a.port < b.port;
    });
    if (compare) {
      const double total = static_cast<double>(s.accesses);
      const double last_total = static_cast<double>(last->accesses);
      for (PortChange& c : r.changes) {
        const double now = static_cast<double>(c.accesses);
        const double before = static_cast<double>(c.previous_accesses);
        // New: never seen last month, and at least 0.2 % of this month (and 20 accesses).
        if (c.previous_accesses == 0 && now >= 0.002 * total && c.accesses >= 20) {
          c.is_new = true;
          r.new_ports.push_back(c);
        } else if (c.previous_accesses > 0 && now >= 0.005 * total && now >= 1.5 * before &&
                   now - before >= 0.0025 * total) {
          // Rise: a port of some weight (0.5 % of the month) that grew by half or more.
          r.rises.push_back(c);
        } else if (before >= 0.005 * last_total && now <= 0.67 * before &&
                   before - now >= 0.0025 * last_total) {
          // Fall: a port of some weight last month that lost a third or more.
          r.falls.push_back(c);
        }
      }
      auto by_diff = [](const PortChange& a, const PortChange& b) {
        int64_t da = static_cast<int64_t>(a.accesses) - static_cast<int64_t>(a.previous_accesses);
        int64_t db = static_cast<int64_t>(b.accesses) - static_cast<int64_t>(b.previous_accesses);
        if (da < 0) da = -da;
        if (db < 0) db = -db;
        if (da != db) return da > db;
        return a.port < b.port;
      };
      std::sort(r.rises.begin(), r.rises.end(), by_diff);
      std::sort(r.falls.begin(), r.falls.end(), by_diff);
      std::sort(r.new_ports.begin(), r.new_ports.end(), by_diff);
      if (r.rises.size() > 5) r.rises.resize(5);
      if (r.falls.size() > 5) r.falls.resize(5);
      if (r.new_ports.size() > 5) r.new_ports.resize(5);
    }
  }

  const std::string no_data =
      fmt::format("No accesses are stored for {} (days in {}).", r.period, r.timezone);
  const std::string no_geo =
      fmt::format("No IP-to-country database{}: source areas cannot be shown.",
                  r.geo_problem.empty() ? "" : " (" + r.geo_problem + ")");

  // --- Chart 1-1: six months per point per day
  {
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
    for (const TrendMonth& t : r.trend) {
      if (!t.has_data) {
        missing.push_back(MonthTitle(t.month));
        continue;
      }
      c.categories.push_back(ShortMonth(t.month));
      acc.values.push_back(Hundredths(t.per_point_per_day_accesses_x100));
      src.values.push_back(Hundredths(t.per_point_per_day_sources_x100));
    }
    c.series = {acc, src};
    if (c.categories.empty()) {
      c.empty_note = fmt::format("No accesses are stored for {} to {}.",
                                 MonthTitle(r.trend.front().month), r.period);
    } else if (!missing.empty()) {
      c.note = fmt::format("No data is stored for {}; {} not shown.", JoinWords(missing),
                           missing.size() == 1 ? "that month is" : "those months are");
    }
    r.charts.push_back(std::move(c));
  }
  // --- Chart 1-2: this month against last by port type
  {
    ChartData c;
    c.id = "1-2";
    c.title =
        fmt::format("Comparison in Number of Access Classified by Destination (by Port) ({}: {})",
                    last ? MonthName(last->month) : MonthName(previous), name);
    c.kind = ChartKind::kGroupedBars;
    c.y_label = "Accesses";
    c.x_label = "Destination (port type)";
    if (!has_data) {
      c.empty_note = no_data;
    } else {
      // This month's bars always (its data in the chart's CSV too); last
      // month's beside them when it has data, else a note says why not.
      ChartSeries before{MonthTitle(compare ? last->month : previous), "#9db7d5", {}},
          now{r.period, "#1f4e9c", {}};
      uint64_t shown_now = 0, shown_before = 0;
      int n = 0;
      for (const NamedFigure& f : s.by_port) {
        if (n++ >= options.top_ports) break;
        c.categories.push_back(f.name);
        uint64_t b = 0;
        if (compare) {
          for (const NamedFigure& g : last->by_port) {
            if (g.name == f.name) b = g.accesses;
          }
        }
        before.values.push_back(static_cast<double>(b));
        now.values.push_back(static_cast<double>(f.accesses));
        shown_now += f.accesses;
        shown_before += b;
      }
      c.categories.push_back("Others");
      now.values.push_back(static_cast<double>(s.accesses - shown_now));
      if (compare) {
        before.values.push_back(static_cast<double>(last->accesses - shown_before));
        c.series = {before, now};
      } else {
        c.series = {now};
        c.note = fmt::format("No data is stored for {}: there is nothing to compare {} with.",
                             MonthTitle(previous), r.period);
      }
    }
    r.charts.push_back(std::move(c));
  }

  // --- Section 2: the detector's findings, else new ports and the largest rises
  int chart2 = 0;
  auto daily_chart = [&](const std::string& port, const std::vector<uint64_t>& daily) {
    ChartData c;
    c.id = fmt::format("2-{}", ++chart2);
    c.title = fmt::format("Number of Access to the Port {} ({} Monitoring Point{} Total)", port,
                          s.points, s.points == 1 ? "" : "s");
    c.kind = ChartKind::kStackedBars;
    c.y_label = "Accesses";
    c.x_label = fmt::format("Day of {} ({})", r.period, r.timezone);
    for (int d = 1; d <= month.days; ++d) c.categories.push_back(std::to_string(d));
    ChartSeries series{port, ColorFor(port), std::vector<double>(month.days, 0.0)};
    for (size_t i = 0; i < daily.size() && i < series.values.size(); ++i) {
      series.values[i] = static_cast<double>(daily[i]);
    }
    c.series.push_back(std::move(series));
    r.charts.push_back(std::move(c));
    return static_cast<int>(r.charts.size()) - 1;
  };
  auto port_text = [&](const std::string& port) {
    ReportKnowledge::PortText t;
    if (knowledge.port_text) t = knowledge.port_text(port);
    return t;
  };
  if (has_data && options.detect_findings) {
    auto input = BuildFindingInput(store, month, zone);
    if (!input.ok()) return input.status();
    std::vector<Finding> findings = DetectFindings(*input);
    if (findings.size() > 6) findings.resize(6);
    FindingKnowledge fk;
    if (knowledge.country_code) fk.country_code = knowledge.country_code;
    if (knowledge.country_name) fk.country_name = knowledge.country_name;
    SCANSCOPE_RETURN_IF_ERROR(AddEvidence(store, zone, month, fk, &findings));
    r.peculiar_from_detector = !findings.empty();
    for (const Finding& f : findings) {
      PeculiarItem item;
      item.port = f.port.ToString();
      item.kind = std::string(FindingKindName(f.kind));
      item.title = fmt::format("Access to the Port {}", item.port);
      item.paragraph = f.paragraph;
      item.top_sources = f.top_sources;
      item.chart = daily_chart(item.port, f.daily_accesses);
      ReportKnowledge::PortText t = port_text(item.port);
      item.description = t.description;
      item.references = t.references;
      r.peculiar.push_back(std::move(item));
    }
  }
  if (has_data && r.peculiar.empty()) {
    auto add = [&](const PortChange& c, bool is_new) {
      PeculiarItem item;
      item.port = c.port;
      item.kind = is_new ? "new" : "rise";
      item.title = fmt::format("Access to the Port {}", c.port);
      if (is_new) {
        item.paragraph = fmt::format(
            "The port {}, never monitored in {}, received {} accesses from {} sources in {}.",
            c.port, MonthName(previous), WithThousands(c.accesses), WithThousands(c.sources), name);
      } else {
        item.paragraph = fmt::format(
            "Accesses to the port {} rose from {} in {} to {} in {} ({}), from {} sources.", c.port,
            WithThousands(c.previous_accesses), MonthName(previous), WithThousands(c.accesses),
            name, ChangeWords(c.accesses, c.previous_accesses), WithThousands(c.sources));
      }
      auto it = ports_daily.accesses.find(c.port);
      item.chart = daily_chart(
          c.port, it == ports_daily.accesses.end() ? std::vector<uint64_t>() : it->second);
      ReportKnowledge::PortText t = port_text(c.port);
      item.description = t.description;
      item.references = t.references;
      r.peculiar.push_back(std::move(item));
    };
    for (const PortChange& c : r.new_ports) add(c, true);
    for (const PortChange& c : r.rises) {
      if (r.peculiar.size() >= 6) break;
      add(c, false);
    }
  }

  // --- Section 3 charts
  {
    const std::string y_acc = "Accesses", y_src = "Sources";
    ChartData c31 =
        DailyStack("3-1", fmt::format("Number of Access/Day in {}", r.period), ports_daily.accesses,
                   ports_daily.total_accesses, options.top_ports, month, r.timezone, y_acc);
    ChartData c32 = DailyStack("3-2", fmt::format("Source Number of Access/Day in {}", r.period),
                               ports_daily.sources, ports_daily.total_sources, options.top_ports,
                               month, r.timezone, y_src);
    ChartData c33 = ShareChart(
        "3-3",
        fmt::format("Ratio in Number of Access Classified by Destination (Port Type) in {}",
                    r.period),
        ports_daily.total_accesses, options.top_ports, "accesses");
    ChartData c34 = ShareChart(
        "3-4",
        fmt::format("Ratio in Source Number of Access Classified by Destination (Port Type) in {}",
                    r.period),
        ports_daily.total_sources, options.top_ports, "sources");
    ChartData c35 = DailyStack(
        "3-5", fmt::format("Number of Access Classified by Source Area/Day in {}", r.period),
        areas_daily.accesses, areas_daily.total_accesses, options.top_areas, month, r.timezone,
        y_acc);
    ChartData c36 = ShareChart(
        "3-6", fmt::format("Ratio in Number of Access Classified by Source Area in {}", r.period),
        areas_daily.total_accesses, options.top_areas, "accesses");
    ChartData c37 = DailyStack(
        "3-7", fmt::format("Source Number of Access Classified by Source Area/Day in {}", r.period),
        areas_daily.sources, areas_daily.total_sources, options.top_areas, month, r.timezone,
        y_src);
    ChartData c38 = ShareChart(
        "3-8",
        fmt::format("Ratio in Source Number of Access Classified by Source Area in {}", r.period),
        areas_daily.total_sources, options.top_areas, "sources");
    for (ChartData* c : {&c31, &c32, &c33, &c34}) {
      if (!has_data) c->empty_note = no_data;
    }
    for (ChartData* c : {&c35, &c36, &c37, &c38}) {
      if (!has_data) {
        c->empty_note = no_data;
      } else if (!have_geo) {
        c->empty_note = no_geo;
      }
    }
    for (ChartData* c : {&c31, &c32, &c33, &c34, &c35, &c36, &c37, &c38}) {
      r.charts.push_back(std::move(*c));
    }
  }
  // --- Section 4 charts
  {
    auto ports_of = [](bool accesses) {
      return [accesses](const TrendMonth& t) {
        std::map<std::string, uint64_t> m;
        for (const NamedFigure& f : t.by_port) m[f.name] = accesses ? f.accesses : f.sources;
        return m;
      };
    };
    auto areas_of = [](bool accesses) {
      return [accesses](const TrendMonth& t) {
        std::map<std::string, uint64_t> m;
        for (const AreaFigure& f : t.by_area) m[f.name] += accesses ? f.accesses : f.sources;
        return m;
      };
    };
    const std::string span =
        fmt::format("from {} to {}", MonthTitle(r.trend.front().month), r.period);
    ChartData c41 = TrendShares(
        "4-1",
        fmt::format("Ratio in Number of Access Classified by Destination (Port Type) {}", span),
        r.trend, ports_of(true), options.top_ports, "accesses");
    ChartData c42 = TrendShares(
        "4-2",
        fmt::format("Ratio in Source Number of Access Classified by Destination (Port Type) {}",
                    span),
        r.trend, ports_of(false), options.top_ports, "sources");
    ChartData c43 = TrendShares(
        "4-3", fmt::format("Ratio in Number of Access Classified by Source Area {}", span), r.trend,
        areas_of(true), options.top_areas, "accesses");
    ChartData c44 = TrendShares(
        "4-4", fmt::format("Ratio in Source Number of Access Classified by Source Area {}", span),
        r.trend, areas_of(false), options.top_areas, "sources");
    for (ChartData* c : {&c41, &c42, &c43, &c44}) {
      if (!has_data) c->empty_note = no_data;
    }
    for (ChartData* c : {&c43, &c44}) {
      if (has_data && !have_geo) c->empty_note = no_geo;
    }
    for (ChartData* c : {&c41, &c42, &c43, &c44}) r.charts.push_back(std::move(*c));
  }

  // --- Section 5: the port types remarkably accessed
  {
    std::vector<std::string> ports;
    auto add = [&](const std::string& p) {
      if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
    };
    int n = 0;
    for (const NamedFigure& f : s.by_port) {
      if (n++ >= options.top_ports) break;
      add(f.name);
    }
    for (const PeculiarItem& p : r.peculiar) add(p.port);
    for (const PortChange& c : r.new_ports) add(c.port);
    for (const std::string& p : ports) {
      ReportKnowledge::PortText t = port_text(p);
      r.supplementary_ports.push_back(p);
      r.supplementary.push_back(std::move(t));
    }
  }

  // --- The text, section by section
  auto chart_index = [&](const std::string& id) {
    for (size_t i = 0; i < r.charts.size(); ++i) {
      if (r.charts[i].id == id) return static_cast<int>(i);
    }
    return -1;
  };
  auto para = [](std::string text) {
    ReportBlock b;
    b.kind = ReportBlock::Kind::kParagraph;
    b.text = std::move(text);
    return b;
  };
  auto heading = [](std::string text) {
    ReportBlock b;
    b.kind = ReportBlock::Kind::kHeading;
    b.text = std::move(text);
    return b;
  };
  auto note = [](std::string text) {
    ReportBlock b;
    b.kind = ReportBlock::Kind::kNote;
    b.text = std::move(text);
    return b;
  };
  auto chart = [&](const std::string& id) {
    ReportBlock b;
    b.kind = ReportBlock::Kind::kChart;
    b.chart = chart_index(id);
    return b;
  };
  const std::string ratio_note =
      "Ratios are rounded to one decimal place, so they may not add up to 100%.";

  {  // 1
    ReportSection sec{"s1", "1. To the General Internet Users", {}};
    if (!has_data) {
      sec.blocks.push_back(para(fmt::format(
          "No unwanted (one-sided) access is stored for {}: either no monitoring point was "
          "running that month or its captures have not been ingested yet. The figures below are "
          "empty for that reason, not because the Internet was quiet.",
          r.period)));
    } else {
      sec.blocks.push_back(para(fmt::format(
          "In the Internet Monitoring (scanscope), unwanted (one-sided) access in {} totaled "
          "**{}** cases for the {} monitoring point{} and the gross number of the sources* was "
          "**{}**: unwanted (one-sided) access captured at one monitoring point was about **{}** "
          "accesses from about **{}** sources per day.",
          name, WithThousands(s.accesses), s.points, s.points == 1 ? "" : "s",
          WithThousands(s.sources), WithThousands(Whole(s.per_point_per_day_accesses_x100)),
          WithThousands(Whole(s.per_point_per_day_sources_x100)))));
      if (s.points == 1) {
        sec.blocks.push_back(note(fmt::format(
            "Only one monitoring point ({}) reported accesses in {}: every figure of this report "
            "is that point's alone.",
            s.by_point.empty() ? "" : s.by_point[0].name, name)));
      }
    }
    sec.blocks.push_back(
        note("Gross number of sources (*): a source is counted once per day, monitoring point and "
             "destination port type; the same source on another day, point or port counts again. "
             "Days are calendar days in " +
             r.timezone + "."));
    sec.blocks.push_back(para(
        "The environment of each monitoring point is nearly equal to a general user's Internet "
        "connection: the same amount of unwanted (one-sided) access may be received by general "
        "Internet users."));
    // Chart 1-1's sentence.
    {
      std::vector<const TrendMonth*> with;
      for (const TrendMonth& t : r.trend)
        if (t.has_data) with.push_back(&t);
      std::string text;
      if (with.empty()) {
        text = "No month of the last six has data in the store.";
      } else if (with.size() == 1) {
        text = fmt::format(
            "Chart 1-1 shows the accesses and sources per monitoring point per day. Only {} has "
            "data in the store, so there is no trend to show yet.",
            MonthTitle(with[0]->month));
      } else {
        const TrendMonth& a = *with[with.size() - 2];
        const TrendMonth& b = *with.back();
        auto dir = [](int64_t now, int64_t before) -> std::string {
          if (before == 0) return "appeared";
          double ch = static_cast<double>(now - before) / static_cast<double>(before);
          if (ch > 0.1) return fmt::format("rose by {:.1f}%", 100 * ch);
          if (ch < -0.1) return fmt::format("fell by {:.1f}%", -100 * ch);
          return "stayed at almost the same level";
        };
        text = fmt::format(
            "Chart 1-1 shows the accesses and sources per monitoring point per day from {} to {}. "
            "Against {}, accesses per point per day {} (about {} against {}) and sources {} "
            "(about {} against {}).",
            MonthTitle(with.front()->month), MonthTitle(b.month), MonthName(a.month),
            dir(b.per_point_per_day_accesses_x100, a.per_point_per_day_accesses_x100),
            WithThousands(Whole(b.per_point_per_day_accesses_x100)),
            WithThousands(Whole(a.per_point_per_day_accesses_x100)),
            dir(b.per_point_per_day_sources_x100, a.per_point_per_day_sources_x100),
            WithThousands(Whole(b.per_point_per_day_sources_x100)),
            WithThousands(Whole(a.per_point_per_day_sources_x100)));
      }
      sec.blocks.push_back(para(text));
    }
    sec.blocks.push_back(chart("1-1"));
    // Chart 1-2's paragraph: what changed.
    {
      std::string text = fmt::format(
          "Chart 1-2 compares the accesses of {} and {} by destination (port type): the {} port "
          "types most accessed in {} and the rest as Others.",
          MonthName(previous), name, options.top_ports, name);
      if (compare) {
        std::vector<std::string> rises, falls, news;
        for (const PortChange& c : r.rises)
          rises.push_back(
              fmt::format("{} ({}, {} to {})", c.port, ChangeWords(c.accesses, c.previous_accesses),
                          WithThousands(c.previous_accesses), WithThousands(c.accesses)));
        for (const PortChange& c : r.falls) {
          falls.push_back(
              c.accesses == 0
                  ? fmt::format("{} ({} in {}, none in {})", c.port,
                                WithThousands(c.previous_accesses), MonthName(previous), name)
                  : fmt::format("{} ({}, {} to {})", c.port,
                                ChangeWords(c.accesses, c.previous_accesses),
                                WithThousands(c.previous_accesses), WithThousands(c.accesses)));
        }
        for (const PortChange& c : r.new_ports)
          news.push_back(fmt::format("{} ({} accesses)", c.port, WithThousands(c.accesses)));
        text += fmt::format(" In all, accesses went from {} in {} to {} ({}).",
                            WithThousands(last->accesses), MonthName(previous),
                            WithThousands(s.accesses), ChangeWords(s.accesses, last->accesses));
        if (rises.empty() && falls.empty()) {
          text += fmt::format(
              " In {}, no significant increase or decrease in the number of access "
              "was monitored.",
              name);
        } else {
          if (!rises.empty()) text += fmt::format(" Significant increase: {}.", JoinWords(rises));
          if (!falls.empty()) text += fmt::format(" Significant decrease: {}.", JoinWords(falls));
        }
        if (!news.empty()) {
          text += fmt::format(" {} {} never monitored in {}, appeared in {}.",
                              news.size() == 1 ? "Access to the port" : "Accesses to the ports",
                              JoinWords(news), MonthName(previous), name);
        }
        text +=
            " (A significant change: a port type with at least 0.5% of the month's accesses "
            "that grew by half or lost a third; new: none the month before and at least 0.2% "
            "of this month.)";
      } else if (has_data) {
        text += fmt::format(" No data is stored for {}, so no change can be measured.",
                            MonthTitle(previous));
      }
      sec.blocks.push_back(para(text));
    }
    sec.blocks.push_back(chart("1-2"));
    r.sections.push_back(std::move(sec));
  }
  {  // 2
    ReportSection sec{"s2", fmt::format("2. Peculiar Access in {}", r.period), {}};
    if (!has_data) {
      sec.blocks.push_back(para(no_data));
    } else if (r.peculiar.empty()) {
      sec.blocks.push_back(para(fmt::format(
          "No peculiar access was found in {}: no port type surged, appeared, concentrated on "
          "one source or point, or fell away{}.",
          name,
          compare ? "" : fmt::format(" (no data for {} to compare with)", MonthName(previous)))));
    } else {
      sec.blocks.push_back(para(
          r.peculiar_from_detector
              ? "The port types below changed this month against their own level in the weeks "
                "before it (scanscope findings: surges, new ports, concentrations and falls)."
              : "The port types below are new this month or rose the most against last month."));
      int n = 0;
      for (const PeculiarItem& p : r.peculiar) {
        sec.blocks.push_back(heading(fmt::format("({}) {}", ++n, p.title)));
        sec.blocks.push_back(
            para(fmt::format("Chart {} shows the daily accesses to the port {} "
                             "at all monitoring points. {}",
                             r.charts[p.chart].id, p.port, p.paragraph)));
        ReportBlock cb;
        cb.kind = ReportBlock::Kind::kChart;
        cb.chart = p.chart;
        sec.blocks.push_back(cb);
        if (!p.top_sources.empty()) {
          // The evidence: the sources that sent most of it.
          sec.blocks.push_back(
              note(fmt::format("The sources that sent the most accesses to {} "
                               "in the period:",
                               p.port)));
          ReportBlock t;
          t.kind = ReportBlock::Kind::kTable;
          t.rows.push_back({"Source address", "Area", "Accesses", "Days", "Monitoring points"});
          if (!have_geo) t.rows[0].erase(t.rows[0].begin() + 1);
          for (const FindingSource& src : p.top_sources) {
            std::vector<std::string> row = {src.source.ToString(), area_name(src.country),
                                            WithThousands(src.accesses), std::to_string(src.days),
                                            JoinWords(src.points)};
            if (!have_geo) row.erase(row.begin() + 1);
            t.rows.push_back(std::move(row));
          }
          sec.blocks.push_back(std::move(t));
        }
        if (!p.description.empty()) {
          sec.blocks.push_back(para(fmt::format("The port {}: {}", p.port, p.description)));
        } else {
          sec.blocks.push_back(
              note(fmt::format("The port knowledge base has no description of {}.", p.port)));
        }
        if (!p.references.empty()) {
          ReportBlock refs;
          refs.kind = ReportBlock::Kind::kReferences;
          refs.references = p.references;
          sec.blocks.push_back(refs);
        }
      }
    }
    r.sections.push_back(std::move(sec));
  }
  {  // 3
    ReportSection sec{
        "s3", fmt::format("3. Status for Unwanted (One-sided) Number of Access in {}", name), {}};
    sec.blocks.push_back(heading("(1) Accessing Status Classified by Destination (Port Type)"));
    sec.blocks.push_back(para(
        "Chart 3-1 shows the unwanted (one-sided) accesses per day and Chart 3-2 the sources per "
        "day, each stacked by destination (the ten port types most accessed in the month and the "
        "rest as Others)."));
    sec.blocks.push_back(chart("3-1"));
    sec.blocks.push_back(chart("3-2"));
    sec.blocks.push_back(heading("(2) Ratio Classified by Destination (Port Type)"));
    sec.blocks.push_back(para(
        "Chart 3-3 shows the ratio of accesses and Chart 3-4 the ratio of sources by destination "
        "(port type). " +
        ratio_note));
    sec.blocks.push_back(chart("3-3"));
    sec.blocks.push_back(chart("3-4"));
    sec.blocks.push_back(heading("(3) Accessing Status Classified by Source Area"));
    std::string area_intro =
        "Chart 3-5 shows the accesses per day and Chart 3-6 the ratio of accesses by source area; "
        "Chart 3-7 and Chart 3-8 show the same for sources. " +
        ratio_note;
    if (have_geo) {
      area_intro += fmt::format(
          " Source areas come from {}{}; addresses it does not place are "
          "counted as Unknown.",
          r.geo_database.empty() ? "the IP-to-country database" : r.geo_database,
          r.geo_attribution.empty() ? "" : " (" + r.geo_attribution + ")");
    }
    sec.blocks.push_back(para(area_intro));
    for (const char* id : {"3-5", "3-6", "3-7", "3-8"}) sec.blocks.push_back(chart(id));
    r.sections.push_back(std::move(sec));
  }
  {  // 4
    ReportSection sec{"s4", "4. Statistical Information", {}};
    const std::string span =
        fmt::format("from {} to {}", MonthTitle(r.trend.front().month), r.period);
    sec.blocks.push_back(heading("(1) Ratio Classified by Destination (Port Type)"));
    sec.blocks.push_back(para(fmt::format(
        "Chart 4-1 shows the ratio of accesses and Chart 4-2 the ratio of sources by destination "
        "(port type) {}: {}'s ten largest port types and the rest as Others. {}",
        span, name, ratio_note)));
    sec.blocks.push_back(chart("4-1"));
    sec.blocks.push_back(chart("4-2"));
    sec.blocks.push_back(heading("(2) Ratio Classified by Source Area"));
    sec.blocks.push_back(para(fmt::format(
        "Chart 4-3 shows the ratio of accesses and Chart 4-4 the ratio of sources by source area "
        "{}. {}",
        span, ratio_note)));
    sec.blocks.push_back(chart("4-3"));
    sec.blocks.push_back(chart("4-4"));
    r.sections.push_back(std::move(sec));
  }
  {  // 5
    ReportSection sec{"s5", "5. Supplementary Descriptions", {}};
    if (r.supplementary_ports.empty()) {
      sec.blocks.push_back(para(no_data));
    } else {
      sec.blocks.push_back(para(fmt::format(
          "Following are the explanations for the destinations (port types) remarkably accessed "
          "in {}: the ten most accessed and those of section 2.",
          r.period)));
      ReportBlock table;
      table.kind = ReportBlock::Kind::kTable;
      table.rows.push_back({"Port type", "Service", "Interpretations/Descriptions"});
      bool any = false;
      for (size_t i = 0; i < r.supplementary_ports.size(); ++i) {
        const auto& t = r.supplementary[i];
        any = any || !t.description.empty();
        table.rows.push_back(
            {r.supplementary_ports[i], t.service,
             t.description.empty() ? "No description in the port knowledge base." : t.description});
      }
      sec.blocks.push_back(table);
      if (!any) {
        sec.blocks.push_back(note(knowledge.port_text
                                      ? "The port knowledge base describes none of these ports."
                                      : "No port knowledge base was loaded."));
      }
    }
    r.sections.push_back(std::move(sec));
  }
  return r;
}

}  // namespace scanscope
