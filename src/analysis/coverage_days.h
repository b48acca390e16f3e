#pragma once
// Coverage by local day (docs/coverage.md): for each point and each day of a
// zone, how much of the day the point was watching. What stats, findings and
// the report stand on when they count point-days.
//
// Counted in hours: a point-day's watched time is rounded to the nearest
// whole hour, so a day counts 0/24 .. 24/24 (23 or 25 hours on a day a clock
// changes). A point whose coverage the store never recorded (a store written
// before coverage existed) is taken as watching every day, and `recorded`
// says so.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time_zone.h"
#include "record/coverage.h"
#include "store/store.h"

namespace scanscope {

// A point-day watched for at least this share of its hours counts as
// observed for the analysis (baselines, findings); less is a blind day.
inline constexpr double kObservedDayShare = 0.75;

struct PointCoverageDays {
  bool recorded = false;       // false: no coverage stored; every day watched
  std::vector<int> hours;      // watched hours of day first_day + i
  std::vector<int> day_hours;  // the day's length in hours (24; 23 or 25)
  IntervalSet intervals;       // within the days asked for, UTC
};

struct CoverageDays {
  int32_t first_day = 0;
  int32_t last_day = 0;  // inclusive
  std::map<std::string, PointCoverageDays> points;

  // The share of `day` that `point` watched, in [0, 1]; 1 for a point or a
  // day outside what was loaded, or a point without recorded coverage.
  double Share(const std::string& point, int32_t day) const;
  // Whether the point-day counts as observed (Share >= kObservedDayShare).
  bool Observed(const std::string& point, int32_t day) const {
    return Share(point, day) >= kObservedDayShare;
  }
  // Point-days observed, in days (hours / day_hours summed), over the
  // points given, and the possible ones (points x days).
  double DaysWatched(const std::string& point) const;
  bool complete() const;  // every point watched every hour of every day
};

// Coverage of `points` for local days [first_day, last_day] of `zone`.
Result<CoverageDays> LoadCoverageDays(Store& store, const TimeZone& zone, int32_t first_day,
                                      int32_t last_day, const std::vector<std::string>& points);
// The same from coverage already read (Store::Coverage), for tests and the
// evaluation harness.
CoverageDays CoverageDaysOf(const std::map<std::string, IntervalSet>& coverage,
                            const TimeZone& zone, int32_t first_day, int32_t last_day,
                            const std::vector<std::string>& points);

}  // namespace scanscope
