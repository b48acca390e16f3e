#include "app/cmd_coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "analysis/coverage_days.h"
#include "app/context.h"
#include "common/clock.h"
#include "common/time_zone.h"

namespace scanscope {

namespace {

// add|remove POINT FROM TO: the operator's interval.
int StateCoverage(const PointsArgs& args, Store* store) {
  const std::vector<std::string>& v = args.coverage;
  std::optional<CoverageKind> kind =
      v.size() == 4 && (v[0] == "add" || v[0] == "remove")
          ? std::optional(v[0] == "add" ? CoverageKind::kAdded : CoverageKind::kRemoved)
          : std::nullopt;
  if (!kind) {
    return Fail("--coverage takes no values (list) or add|remove POINT FROM TO", 2);
  }
  Result<int64_t> from = ParseUtcTime(v[2]);
  if (!from.ok()) return Fail("--coverage FROM " + from.status().message(), 2);
  Result<int64_t> to = ParseUtcTime(v[3]);
  if (!to.ok()) return Fail("--coverage TO " + to.status().message(), 2);
  if (*from >= *to) return Fail("--coverage: FROM must come before TO", 2);
  Status st = store->AddCoverage({{v[1], *kind, *from, *to, "operator", NowNs()}});
  if (st.IsNotFound()) return Fail(fmt::format("no point {} in this store", v[1]), 2);
  if (!st.ok()) return Fail(st.message());
  fmt::print("coverage of {}: {} {} to {} (by the operator)\n", v[1], CoverageKindName(*kind),
             FormatUtcTime(*from), FormatUtcTime(*to));
  return 0;
}

nlohmann::ordered_json IntervalsJson(const IntervalSet& set) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const CoverageInterval& i : set.intervals()) {
    out.push_back({{"from", FormatUtcTime(i.from_ns)}, {"to", FormatUtcTime(i.to_ns)}});
  }
  return out;
}

}  // namespace

int RunCoverage(const PointsArgs& args, Store* store, const Config& config,
                const std::vector<MonitoringPoint>& points) {
  // CLI11 gives a flag used without values one empty value.
  const bool listing = std::all_of(args.coverage.begin(), args.coverage.end(),
                                   [](const std::string& v) { return v.empty(); });
  if (!listing) return StateCoverage(args, store);
  Result<std::map<std::string, IntervalSet>> coverage = store->Coverage();
  if (!coverage.ok()) return Fail(coverage.status().message());
  std::optional<CoverageDays> days;
  if (!args.month.empty()) {
    Result<Month> month = ParseMonth(args.month);
    if (!month.ok()) return Fail(month.status().message(), 2);
    Result<TimeZone> zone = ReportZone(args.tz, config);
    if (!zone.ok()) return Fail(zone.status().message(), 2);
    std::vector<std::string> names;
    for (const MonitoringPoint& p : points) names.push_back(p.name);
    days = CoverageDaysOf(*coverage, *zone, month->first_day, month->first_day + month->days - 1,
                          names);
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const MonitoringPoint& p : points) {
    auto it = coverage->find(p.name);
    nlohmann::ordered_json j = {{"point", p.name}, {"recorded", it != coverage->end()}};
    j["intervals"] = it != coverage->end() ? IntervalsJson(it->second) : IntervalsJson({});
    if (days) {
      const PointCoverageDays& d = days->points.at(p.name);
      nlohmann::ordered_json per_day = nlohmann::ordered_json::array();
      for (int32_t day = days->first_day; day <= days->last_day; ++day) {
        const size_t i = static_cast<size_t>(day - days->first_day);
        per_day.push_back({{"day", FormatDay(day)},
                           {"hours", d.recorded ? d.hours[i] : 24},
                           {"of", d.recorded ? d.day_hours[i] : 24}});
      }
      j["days_watched"] = std::round(days->DaysWatched(p.name) * 100) / 100;
      j["days"] = per_day;
    }
    out.push_back(std::move(j));
  }
  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  for (const auto& j : out) {
    fmt::print("{}: ", j["point"].get<std::string>());
    if (!j["recorded"].get<bool>()) {
      fmt::print("coverage not recorded (taken as watching)\n");
      continue;
    }
    fmt::print(
        "{} interval(s){}\n", j["intervals"].size(),
        days ? fmt::format(", {:.2f} of {} days watched in {}", j["days_watched"].get<double>(),
                           days->last_day - days->first_day + 1, args.month)
             : "");
    for (const auto& i : j["intervals"]) {
      fmt::print("  {} to {}\n", i["from"].get<std::string>(), i["to"].get<std::string>());
    }
    if (!days) continue;
    for (const auto& d : j["days"]) {
      if (d["hours"] == d["of"]) continue;
      fmt::print("  {}: watched {} of {} hours\n", d["day"].get<std::string>(),
                 d["hours"].get<int>(), d["of"].get<int>());
    }
  }
  return 0;
}

}  // namespace scanscope
