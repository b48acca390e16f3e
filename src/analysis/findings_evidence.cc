// The findings' store adapters: the detector's input (each port type's daily
// series) and each finding's evidence (top sources, points, daily chart),
// read from a Store's block totals and source-day rows.

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "analysis/coverage_days.h"
#include "analysis/findings.h"
#include "analysis/findings_english.h"

namespace scanscope {

namespace {

// What the month's rows say about one finding's period.
struct SourceEvidence {
  uint64_t accesses = 0;
  std::set<int32_t> days;
  std::set<std::string> points;
};
struct PeriodEvidence {
  std::unordered_map<IpAddress, SourceEvidence, IpAddressHash> sources;
  std::map<std::string, uint64_t> points;
};

// One ScanBlocks over the month: each finding's daily accesses (the whole
// month) and, within its period, its sources and points.
Status ScanEvidence(Store& store, const TimeZone& zone, const Month& month,
                    std::vector<Finding>* findings, std::vector<PeriodEvidence>* evidence) {
  evidence->assign(findings->size(), {});
  std::unordered_map<uint32_t, std::vector<size_t>> by_port;
  for (size_t i = 0; i < findings->size(); ++i) {
    Finding& x = (*findings)[i];
    x.daily_accesses.assign(static_cast<size_t>(month.days), 0);
    by_port[x.port.Code()].push_back(i);
  }
  const int32_t last = month.first_day + month.days - 1;
  return store.ScanBlocks(
      zone, month.first_day, last, [&](const std::string& point, const SourceDayBlock& block) {
        auto it = by_port.find(block.port.Code());
        if (it == by_port.end()) return Status::Ok();
        for (size_t i : it->second) {
          Finding& x = (*findings)[i];
          x.daily_accesses[static_cast<size_t>(block.day - month.first_day)] += block.Accesses();
          if (block.day < x.first_day || block.day > x.last_day) continue;
          PeriodEvidence& e = (*evidence)[i];
          for (const SourceDayRow& row : block.rows) {
            SourceEvidence& s = e.sources[row.source];
            s.accesses += row.accesses;
            s.days.insert(block.day);
            s.points.insert(point);
            e.points[point] += row.accesses;
          }
        }
        return Status::Ok();
      });
}

// The `top` sources with the most accesses (ties: by address), with their
// countries when the knowledge has them.
std::vector<FindingSource> TopSources(const PeriodEvidence& e, int top,
                                      const FindingKnowledge& knowledge) {
  std::vector<std::pair<IpAddress, const SourceEvidence*>> sources;
  for (const auto& [address, s] : e.sources) sources.emplace_back(address, &s);
  auto by_accesses = [](const auto& a, const auto& b) {
    if (a.second->accesses != b.second->accesses) return a.second->accesses > b.second->accesses;
    return a.first < b.first;
  };
  size_t n = std::min(sources.size(), static_cast<size_t>(std::max(top, 0)));
  std::partial_sort(sources.begin(), sources.begin() + static_cast<ptrdiff_t>(n), sources.end(),
                    by_accesses);
  std::vector<FindingSource> out;
  for (size_t k = 0; k < n; ++k) {
    FindingSource s;
    s.source = sources[k].first;
    s.accesses = sources[k].second->accesses;
    s.days = static_cast<int>(sources[k].second->days.size());
    s.points.assign(sources[k].second->points.begin(), sources[k].second->points.end());
    if (knowledge.country_code) s.country = knowledge.country_code(s.source);
    out.push_back(std::move(s));
  }
  return out;
}

// Every point of the period, most accesses first (ties: by name).
std::vector<FindingPoint> PointsByAccesses(const PeriodEvidence& e) {
  std::vector<FindingPoint> out;
  for (const auto& [point, accesses] : e.points) out.push_back({point, accesses});
  std::sort(out.begin(), out.end(), [](const FindingPoint& a, const FindingPoint& b) {
    if (a.accesses != b.accesses) return a.accesses > b.accesses;
    return a.point < b.point;
  });
  return out;
}

// Each point's observed days over the series [first, last]; the points blind
// on some day become the input's coverage.
Status LoadObserved(Store& store, const TimeZone& zone, int32_t first, int32_t last,
                    const std::set<std::string>& points, FindingInput* input) {
  auto days = LoadCoverageDays(store, zone, first, last, {points.begin(), points.end()});
  if (!days.ok()) return days.status();
  for (const std::string& point : points) {
    PointObserved c{point, {}};
    bool blind = false;
    for (int32_t day = first; day <= last; ++day) {
      c.observed.push_back(days->Observed(point, day));
      blind = blind || !c.observed.back();
    }
    if (blind) input->coverage.push_back(std::move(c));
  }
  return Status::Ok();
}

// Each coverage point's share of each port's, and of all ports', accesses
// over the history days it was observed (without history, the month's).
void WeighPoints(const std::vector<BlockTotal>& totals, int32_t first,
                 const std::unordered_map<uint32_t, size_t>& index, FindingInput* input) {
  const size_t n = input->coverage.size();
  std::map<std::string, size_t> at;
  for (size_t k = 0; k < n; ++k) at[input->coverage[k].point] = k;
  const bool history = input->history_days_with_data > 0;
  std::vector<double> port_total(input->ports.size(), 0), all_at(n, 0);
  std::vector<std::vector<double>> port_at(input->ports.size(), std::vector<double>(n, 0));
  double all_total = 0;
  for (const BlockTotal& t : totals) {
    if ((t.day < input->month.first_day) != history) continue;
    const size_t port = index.at(t.port.Code());
    const double accesses = static_cast<double>(t.accesses);
    port_total[port] += accesses;
    all_total += accesses;
    auto it = at.find(t.point);
    if (it == at.end() ||
        !input->coverage[it->second].observed[static_cast<size_t>(t.day - first)]) {
      continue;
    }
    port_at[port][it->second] += accesses;
    all_at[it->second] += accesses;
  }
  for (size_t port = 0; port < input->ports.size(); ++port) {
    if (port_total[port] == 0) continue;  // weighed with all ports' shares
    for (double a : port_at[port]) input->ports[port].point_shares.push_back(a / port_total[port]);
  }
  if (all_total == 0) return;  // equal shares
  for (double a : all_at) input->point_shares.push_back(a / all_total);
}

}  // namespace

Result<FindingInput> BuildFindingInput(Store& store, const Month& month, const TimeZone& zone,
                                       const FindingOptions& options) {
  SCANSCOPE_RETURN_IF_ERROR(store.EnsureZone(zone));
  const int history_days = options.history_days;
  FindingInput input;
  input.month = month;
  input.history_days = history_days;
  const int32_t first = month.first_day - history_days;
  const int32_t last = month.first_day + month.days - 1;
  const size_t span = static_cast<size_t>(history_days + month.days);
  auto totals = store.Totals(zone, first, last);
  if (!totals.ok()) return totals.status();
  std::unordered_map<uint32_t, size_t> index;  // port type code -> input.ports
  std::set<int32_t> history_days_seen;
  std::set<std::string> points, every_point;
  for (const BlockTotal& t : *totals) {
    auto [it, inserted] = index.emplace(t.port.Code(), input.ports.size());
    if (inserted) input.ports.push_back({t.port, std::vector<DayCell>(span)});
    DayCell& c = input.ports[it->second].days[static_cast<size_t>(t.day - first)];
    c.accesses += t.accesses;
    c.sources += t.sources;
    c.top_point_accesses = std::max(c.top_point_accesses, t.accesses);
    every_point.insert(t.point);
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
  SCANSCOPE_RETURN_IF_ERROR(LoadObserved(store, zone, first, last, every_point, &input));
  if (!input.coverage.empty()) WeighPoints(*totals, first, index, &input);
  // The month's largest source-day row of each (port type, day).
  Status st = store.ScanBlocks(
      zone, month.first_day, last, [&](const std::string&, const SourceDayBlock& block) {
        auto it = index.find(block.port.Code());
        if (it == index.end()) return Status::Ok();
        DayCell& c = input.ports[it->second].days[static_cast<size_t>(block.day - first)];
        for (const SourceDayRow& row : block.rows) {
          if (row.accesses > c.top_source_accesses) {
            c.top_source_accesses = row.accesses;
            c.top_source_id = IpAddressHash()(row.source) | 1;  // never 0 ("none")
          }
        }
        return Status::Ok();
      });
  SCANSCOPE_RETURN_IF_ERROR(st);
  return input;
}

Status GatherEvidence(Store& store, const TimeZone& zone, const Month& month,
                      const FindingKnowledge& knowledge, std::vector<Finding>* findings,
                      const FindingOptions& options) {
  std::vector<PeriodEvidence> evidence;
  SCANSCOPE_RETURN_IF_ERROR(ScanEvidence(store, zone, month, findings, &evidence));
  for (size_t i = 0; i < findings->size(); ++i) {
    Finding& x = (*findings)[i];
    x.top_sources = TopSources(evidence[i], options.top_sources, knowledge);
    x.points = PointsByAccesses(evidence[i]);
  }
  return Status::Ok();
}

Status AddEvidence(Store& store, const TimeZone& zone, const Month& month,
                   const FindingKnowledge& knowledge, std::vector<Finding>* findings,
                   const FindingOptions& options) {
  SCANSCOPE_RETURN_IF_ERROR(GatherEvidence(store, zone, month, knowledge, findings, options));
  for (Finding& x : *findings) x.paragraph = FindingParagraph(x, month, knowledge, options);
  return Status::Ok();
}

}  // namespace scanscope
