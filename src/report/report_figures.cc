#include "report/report_figures.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace scanscope {

void DailyFigures::Add(const std::string& name, int day_index, int days, uint64_t acc,
                       uint64_t src) {
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

namespace {

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

// A month's accesses and sources per (area, day), from one scan of its
// source-day rows: each source looked up once for all months scanned.
class AreaScanner {
 public:
  explicit AreaScanner(const CountryCodeOf& country_code) : country_code_(country_code) {}

  // Scans `m` (days in `zone`). Fills the month's areas into `by_area`
  // (accesses desc, then code) and, when `daily` is not null, its figures
  // per area code and day into `daily`.
  Status ScanMonth(Store& store, const TimeZone& zone, const Month& m,
                   std::vector<AreaCount>* by_area, DailyFigures* daily) {
    const size_t days = static_cast<size_t>(m.days);
    // [area * days + day index], for every area known so far; a new one grows them.
    std::vector<uint64_t> day_accesses(codes_.size() * days), day_sources(codes_.size() * days);
    Status st = store.ScanBlocks(
        zone, m.first_day, m.first_day + m.days - 1,
        [&](const std::string&, const SourceDayBlock& block) -> Status {
          const size_t day = static_cast<size_t>(block.day - m.first_day);
          for (const SourceDayRow& row : block.rows) {
            const size_t k = AreaOf(row.source, days, &day_accesses, &day_sources) * days + day;
            day_accesses[k] += row.accesses;
            day_sources[k] += 1;
          }
          return Status::Ok();
        });
    if (!st.ok()) return st;
    for (size_t a = 0; a * days < day_sources.size(); ++a) {
      AreaCount f{codes_[a], 0, 0};
      for (size_t d = 0; d < days; ++d) {
        const size_t k = a * days + d;
        if (day_sources[k] == 0) continue;
        f.accesses += day_accesses[k];
        f.sources += day_sources[k];
        if (daily != nullptr) {
          daily->Add(f.code, static_cast<int>(d), m.days, day_accesses[k], day_sources[k]);
        }
      }
      if (f.sources > 0) by_area->push_back(std::move(f));
    }
    std::sort(by_area->begin(), by_area->end(), [](const AreaCount& a, const AreaCount& b) {
      if (a.accesses != b.accesses) return a.accesses > b.accesses;
      return a.code < b.code;
    });
    return Status::Ok();
  }

 private:
  // The area index of `source`, looked up (and the per-day arrays grown)
  // when it is new.
  uint32_t AreaOf(const IpAddress& source, size_t days, std::vector<uint64_t>* day_accesses,
                  std::vector<uint64_t>* day_sources) {
    uint32_t area = area_of_.Find(source);
    if (area != SourceAreas::kNone) return area;
    std::string code = country_code_(source);
    auto [it, fresh] = index_of_code_.emplace(code, static_cast<uint32_t>(codes_.size()));
    if (fresh) {
      codes_.push_back(std::move(code));
      day_accesses->resize(codes_.size() * days);
      day_sources->resize(codes_.size() * days);
    }
    area_of_.Insert(source, it->second);
    return it->second;
  }

  const CountryCodeOf& country_code_;
  SourceAreas area_of_;  // sources recur month to month: one lookup each
  std::unordered_map<std::string, uint32_t> index_of_code_;
  std::vector<std::string> codes_;
};

MonthFigures FiguresOf(const MonthStats& s) {
  MonthFigures t;
  t.month = s.month;
  t.points = s.points;
  t.accesses = s.accesses;
  t.sources = s.sources;
  t.per_point_per_day_accesses_x100 = s.per_point_per_day_accesses_x100;
  t.per_point_per_day_sources_x100 = s.per_point_per_day_sources_x100;
  t.by_port = s.by_port;
  t.has_data = t.accesses > 0;
  return t;
}

// The trend's months, oldest first, ending with `month`; areas by one scan
// of each month's rows.
Status GatherTrend(Store& store, const TimeZone& zone, const CountryCodeOf& country_code,
                   int months, ReportFigures* f) {
  std::vector<Month> list;
  for (Month m = f->month; static_cast<int>(list.size()) < months; m = m.Previous()) {
    list.insert(list.begin(), m);
  }
  AreaScanner scanner(country_code);
  for (const Month& m : list) {
    const bool this_month = m.first_day == f->month.first_day;
    MonthFigures t;
    if (this_month) {
      t = FiguresOf(f->stats);
    } else {
      auto ms = ComputeMonthStats(store, m, zone);
      if (!ms.ok()) return ms.status();
      t = FiguresOf(*ms);
    }
    t.month = m;
    if (country_code && t.has_data) {
      SCANSCOPE_RETURN_IF_ERROR(
          scanner.ScanMonth(store, zone, m, &t.by_area, this_month ? &f->areas_daily : nullptr));
    }
    f->trend.push_back(std::move(t));
  }
  return Status::Ok();
}

// This month per day and port type, from the store's block totals.
Status GatherPortsDaily(Store& store, const TimeZone& zone, const Month& month,
                        DailyFigures* daily) {
  auto totals = store.Totals(zone, month.first_day, month.first_day + month.days - 1);
  if (!totals.ok()) return totals.status();
  std::unordered_map<uint32_t, std::string> names;
  for (const BlockTotal& t : *totals) {
    if (t.accesses == 0) continue;
    auto it = names.find(t.port.Code());
    if (it == names.end()) it = names.emplace(t.port.Code(), t.port.ToString()).first;
    daily->Add(it->second, t.day - month.first_day, month.days, t.accesses, t.sources);
  }
  return Status::Ok();
}

// Every port type of this month or last, accesses desc (then last month's
// accesses desc, then name).
std::vector<PortChange> PortChanges(const MonthStats& now, const MonthFigures* previous) {
  std::map<std::string, PortChange> by_port;
  for (const NamedFigure& f : now.by_port) {
    PortChange& c = by_port[f.name];
    c.port = f.name;
    c.accesses = f.accesses;
    c.sources = f.sources;
  }
  if (previous != nullptr) {
    for (const NamedFigure& f : previous->by_port) {
      PortChange& c = by_port[f.name];
      c.port = f.name;
      c.previous_accesses = f.accesses;
      c.previous_sources = f.sources;
    }
  }
  std::vector<PortChange> out;
  out.reserve(by_port.size());
  for (auto& [port, c] : by_port) out.push_back(c);
  std::sort(out.begin(), out.end(), [](const PortChange& a, const PortChange& b) {
    if (a.accesses != b.accesses) return a.accesses > b.accesses;
    if (a.previous_accesses != b.previous_accesses)
      return a.previous_accesses > b.previous_accesses;
    return a.port < b.port;
  });
  return out;
}

// Sorts `list` by the size of the change, largest first (then by name), and
// keeps at most `n`.
void KeepLargestChanges(std::vector<PortChange>* list, int n) {
  std::sort(list->begin(), list->end(), [](const PortChange& a, const PortChange& b) {
    int64_t da = static_cast<int64_t>(a.accesses) - static_cast<int64_t>(a.previous_accesses);
    int64_t db = static_cast<int64_t>(b.accesses) - static_cast<int64_t>(b.previous_accesses);
    if (da < 0) da = -da;
    if (db < 0) db = -db;
    if (da != db) return da > db;
    return a.port < b.port;
  });
  if (list->size() > static_cast<size_t>(n)) list->resize(static_cast<size_t>(n));
}

// Sorts f->changes into new ports, rises and falls by `rules`.
void ClassifyChanges(const ChangeRules& rules, ReportFigures* f) {
  const double total = static_cast<double>(f->stats.accesses);
  const double last_total = static_cast<double>(f->previous()->accesses);
  for (PortChange& c : f->changes) {
    const double now = static_cast<double>(c.accesses);
    const double before = static_cast<double>(c.previous_accesses);
    if (c.previous_accesses == 0 && now >= rules.new_share * total &&
        c.accesses >= rules.new_accesses) {
      c.is_new = true;
      f->new_ports.push_back(c);
    } else if (c.previous_accesses > 0 && now >= rules.weight_share * total &&
               now >= rules.rise_factor * before && now - before >= rules.step_share * total) {
      f->rises.push_back(c);
    } else if (before >= rules.weight_share * last_total && now <= rules.fall_factor * before &&
               before - now >= rules.step_share * last_total) {
      f->falls.push_back(c);
    }
  }
  KeepLargestChanges(&f->rises, rules.listed);
  KeepLargestChanges(&f->falls, rules.listed);
  KeepLargestChanges(&f->new_ports, rules.listed);
}

// The detector's findings with their evidence, at most options.max_peculiar.
Status GatherFindings(Store& store, const TimeZone& zone, const CountryCodeOf& country_code,
                      const ReportOptions& options, ReportFigures* f) {
  auto input = BuildFindingInput(store, f->month, zone);
  if (!input.ok()) return input.status();
  f->findings = DetectFindings(*input);
  if (f->findings.size() > static_cast<size_t>(options.max_peculiar)) {
    f->findings.resize(static_cast<size_t>(options.max_peculiar));
  }
  FindingKnowledge knowledge;
  knowledge.country_code = country_code;
  FindingOptions evidence;
  evidence.top_sources = options.finding_sources;
  SCANSCOPE_RETURN_IF_ERROR(AddEvidence(store, zone, f->month, knowledge, &f->findings, evidence));
  for (Finding& finding : f->findings) finding.paragraph.clear();  // words come later
  return Status::Ok();
}

// Section 2 without findings: the new ports, then the largest rises.
std::vector<PortChange> Fallback(const ReportFigures& f, int max) {
  std::vector<PortChange> out;
  for (const std::vector<PortChange>* list : {&f.new_ports, &f.rises}) {
    for (const PortChange& c : *list) {
      if (out.size() >= static_cast<size_t>(max)) return out;
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> RemarkablePorts(const ReportFigures& f, int top) {
  std::vector<std::string> ports;
  auto add = [&](const std::string& p) {
    if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
  };
  for (size_t i = 0; i < f.stats.by_port.size() && i < static_cast<size_t>(top); ++i) {
    add(f.stats.by_port[i].name);
  }
  for (const Finding& finding : f.findings) add(finding.port.ToString());
  for (const PortChange& c : f.fallback) add(c.port);
  for (const PortChange& c : f.new_ports) add(c.port);
  return ports;
}

Status CheckOptions(const ReportOptions& o) {
  if (o.trend_months < 1 || o.top_ports < 1 || o.top_areas < 1 || o.max_peculiar < 0 ||
      o.finding_sources < 0 || o.changes.listed < 0) {
    return Status::InvalidArgument(
        "report options: trend_months, top_ports and top_areas must be at least 1, "
        "max_peculiar, finding_sources and changes.listed at least 0");
  }
  return Status::Ok();
}

}  // namespace

Result<ReportFigures> GatherReportFigures(Store& store, const Month& month, const TimeZone& zone,
                                          const CountryCodeOf& country_code,
                                          const ReportOptions& options) {
  SCANSCOPE_RETURN_IF_ERROR(CheckOptions(options));
  ReportFigures f;
  f.month = month;
  f.timezone = zone.name();
  f.has_areas = static_cast<bool>(country_code);
  auto stats = ComputeMonthStats(store, month, zone);
  if (!stats.ok()) return stats.status();
  f.stats = std::move(stats.value());
  f.has_data = f.stats.accesses > 0;

  SCANSCOPE_RETURN_IF_ERROR(GatherTrend(store, zone, country_code, options.trend_months, &f));
  if (f.has_data) SCANSCOPE_RETURN_IF_ERROR(GatherPortsDaily(store, zone, month, &f.ports_daily));

  const MonthFigures* previous = f.previous();
  f.compare = f.has_data && previous != nullptr && previous->has_data;
  f.changes = PortChanges(f.stats, previous);
  if (f.compare) ClassifyChanges(options.changes, &f);

  if (f.has_data && options.detect_findings) {
    SCANSCOPE_RETURN_IF_ERROR(GatherFindings(store, zone, country_code, options, &f));
  }
  if (f.has_data && f.findings.empty()) f.fallback = Fallback(f, options.max_peculiar);
  f.remarkable_ports = RemarkablePorts(f, options.top_ports);
  return f;
}

}  // namespace scanscope
