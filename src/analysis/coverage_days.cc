#include "analysis/coverage_days.h"

#include <cmath>

namespace scanscope {

namespace {
constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;
}  // namespace

double CoverageDays::Share(const std::string& point, int32_t day) const {
  auto it = points.find(point);
  if (it == points.end() || !it->second.recorded || day < first_day || day > last_day) return 1.0;
  const size_t i = static_cast<size_t>(day - first_day);
  return static_cast<double>(it->second.hours[i]) / it->second.day_hours[i];
}

double CoverageDays::DaysWatched(const std::string& point) const {
  auto it = points.find(point);
  const double days = last_day - first_day + 1;
  if (it == points.end() || !it->second.recorded) return days;
  double sum = 0;
  for (size_t i = 0; i < it->second.hours.size(); ++i) {
    sum += static_cast<double>(it->second.hours[i]) / it->second.day_hours[i];
  }
  return sum;
}

bool CoverageDays::complete() const {
  for (const auto& [name, p] : points) {
    if (!p.recorded) continue;
    for (size_t i = 0; i < p.hours.size(); ++i) {
      if (p.hours[i] < p.day_hours[i]) return false;
    }
  }
  return true;
}

CoverageDays CoverageDaysOf(const std::map<std::string, IntervalSet>& coverage,
                            const TimeZone& zone, int32_t first_day, int32_t last_day,
                            const std::vector<std::string>& points) {
  CoverageDays out;
  out.first_day = first_day;
  out.last_day = last_day;
  const int64_t from = zone.DayStartUtcNs(first_day), to = zone.DayStartUtcNs(last_day + 1);
  for (const std::string& point : points) {
    PointCoverageDays& p = out.points[point];
    auto it = coverage.find(point);
    p.recorded = it != coverage.end();
    if (!p.recorded) continue;
    p.intervals = it->second.Within(from, to);
    for (int32_t day = first_day; day <= last_day; ++day) {
      const int64_t start = zone.DayStartUtcNs(day), end = zone.DayStartUtcNs(day + 1);
      const int64_t watched = p.intervals.CoveredNs(start, end);
      p.day_hours.push_back(static_cast<int>((end - start + kHourNs / 2) / kHourNs));
      p.hours.push_back(static_cast<int>((watched + kHourNs / 2) / kHourNs));
    }
  }
  return out;
}

Result<CoverageDays> LoadCoverageDays(Store& store, const TimeZone& zone, int32_t first_day,
                                      int32_t last_day, const std::vector<std::string>& points) {
  Result<std::map<std::string, IntervalSet>> coverage = store.Coverage();
  if (!coverage.ok()) return coverage.status();
  return CoverageDaysOf(*coverage, zone, first_day, last_day, points);
}

}  // namespace scanscope
