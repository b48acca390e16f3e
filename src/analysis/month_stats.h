#pragma once
// The month's figures (the reference report's section 1 and the basis of
// every chart): accesses, gross sources, points, per point per day, and the
// breakdowns by port type, day and point. All are sums over source-day
// blocks (docs/design.md): accesses = sum(accesses), sources = count of
// (source, day, point, port type) rows, so every breakdown adds up exactly.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/ratio.h"  // WithThousands, FormatRatio: callers of these figures print with them
#include "common/status.h"
#include "common/time_zone.h"
#include "store/store.h"

namespace scanscope {

struct NamedFigure {
  std::string name;  // port type, day "YYYY-MM-DD", or point name
  uint64_t accesses = 0;
  uint64_t sources = 0;
};

struct MonthStats {
  Month month;
  std::string timezone;
  int points = 0;  // points with at least one access in the month
  int days = 0;    // days in the month
  uint64_t accesses = 0;
  uint64_t sources = 0;  // gross number of sources
  // Per point per day, rounded half up to 2 decimals, as hundredths.
  int64_t per_point_per_day_accesses_x100 = 0;
  int64_t per_point_per_day_sources_x100 = 0;
  std::vector<NamedFigure> by_port;   // accesses desc, then name
  std::vector<NamedFigure> by_day;    // by date; days with accesses
  std::vector<NamedFigure> by_point;  // accesses desc, then name
  // Coverage of the counted points (docs/coverage.md), in days counted in
  // hours (a day's watched hours over its length; a point whose coverage was
  // never recorded counts every day).
  struct PointCoverage {
    std::string point;
    double days_observed = 0;
    bool recorded = false;
  };
  double point_days_observed = 0;
  double point_days_possible = 0;                // points x days
  std::vector<PointCoverage> coverage_by_point;  // as by_point
  // Per point per day over the observed point-days only, as hundredths
  // (equal to the above when coverage is complete).
  int64_t per_observed_point_day_accesses_x100 = 0;
  int64_t per_observed_point_day_sources_x100 = 0;
  bool coverage_complete() const { return point_days_observed >= point_days_possible; }
};

// Reads the month's block totals in `zone` (building that zone's days from
// the raw records first if the store does not keep them yet).
Result<MonthStats> ComputeMonthStats(Store& store, const Month& month, const TimeZone& zone);

// Exact rounding of numerator/denominator to hundredths, half up (the
// reference's rounding); 0 when denominator is 0.
int64_t RoundedHundredths(uint64_t numerator, uint64_t denominator);

// `stats --json`'s shape: month, timezone, points, days,
// accesses, sources, per_point_per_day{accesses,sources}, by_port, by_day, by_point,
// coverage{point_days_observed, point_days_possible, by_point[{point, days_observed,
// recorded}], per_observed_point_day{accesses, sources}}.
nlohmann::ordered_json MonthStatsToJson(const MonthStats& stats);
// Human text that reads like the reference's first paragraph, then tables.
std::string MonthStatsToText(const MonthStats& stats);

}  // namespace scanscope
