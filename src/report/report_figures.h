#pragma once
// The month's figures behind the report, in no language: totals, breakdowns
// by port type, area code, day and point, the months of the trend, the port
// types that changed against last month and the detector's findings. The
// English report (report_model.h) words them; a report in another language
// or the console can word the same figures in its own.
//
// Figures are sums and counts over source-day rows (docs/design.md):
// accesses = sum(accesses), sources = count of (source, day, point, port
// type) rows, so a breakdown by port type, area or day adds up to the
// month's totals.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "analysis/findings.h"
#include "analysis/month_stats.h"
#include "common/ip_address.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "report/report_options.h"
#include "store/store.h"

namespace scanscope {

// The ISO 3166-1 code of a source's area ("" when it has none).
using CountryCodeOf = std::function<std::string(const IpAddress&)>;

// One area's figures in a month.
struct AreaCount {
  std::string code;  // ISO code, "" for an address the database does not place
  uint64_t accesses = 0;
  uint64_t sources = 0;
};

// One month of the trend (section 1's Chart 1-1, section 4).
struct MonthFigures {
  Month month;
  bool has_data = false;
  int points = 0;
  uint64_t accesses = 0;
  uint64_t sources = 0;
  int64_t per_point_per_day_accesses_x100 = 0;
  int64_t per_point_per_day_sources_x100 = 0;
  std::vector<NamedFigure> by_port;  // as MonthStats
  std::vector<AreaCount> by_area;    // accesses desc, then code; empty without areas
};

// One port type this month and last.
struct PortChange {
  std::string port;
  uint64_t accesses = 0;
  uint64_t previous_accesses = 0;
  uint64_t sources = 0;
  uint64_t previous_sources = 0;
  bool is_new = false;  // none last month (which has data), substantial now
};

// Per-day figures of named things (port types or area codes) over a month.
struct DailyFigures {
  std::map<std::string, std::vector<uint64_t>> accesses;  // one value per day of the month
  std::map<std::string, std::vector<uint64_t>> sources;
  std::map<std::string, uint64_t> total_accesses;
  std::map<std::string, uint64_t> total_sources;

  // Adds to `name` on day `day_index` (0-based) of a month of `days` days.
  void Add(const std::string& name, int day_index, int days, uint64_t accesses, uint64_t sources);
};

struct ReportFigures {
  Month month;
  std::string timezone;
  bool has_areas = false;  // a country lookup was given
  MonthStats stats;        // this month, as `scanscope stats`
  bool has_data = false;   // this month has accesses

  std::vector<MonthFigures> trend;  // oldest first; the last one is this month
  DailyFigures ports_daily;         // this month, by port type
  DailyFigures areas_daily;         // this month, by area code (empty without areas)

  // This month against last, by port type (ReportOptions::changes).
  bool compare = false;             // this month and last both have data
  std::vector<PortChange> changes;  // every port type of either month, accesses desc
  std::vector<PortChange> rises, falls, new_ports;  // the significant ones, largest change first

  // Section 2: the detector's findings (ranked, with their evidence; their
  // paragraphs are left to the words) or, when there are none, `fallback`:
  // the new ports, then the largest rises.
  std::vector<Finding> findings;
  std::vector<PortChange> fallback;
  // Section 5: the port types remarkably accessed (the top ones, section
  // 2's and the new ones), in that order, each once.
  std::vector<std::string> remarkable_ports;

  // Last month's figures (the trend's month before this one), or nullptr
  // when the trend has one month.
  const MonthFigures* previous() const {
    return trend.size() >= 2 ? &trend[trend.size() - 2] : nullptr;
  }
};

// Gathers the figures of `month` (days in `zone`) and the trend's months
// before it from the store. `country_code` may be empty: no areas.
// InvalidArgument for options out of range (trend_months < 1, top_ports or
// top_areas < 1); the store's error otherwise.
Result<ReportFigures> GatherReportFigures(Store& store, const Month& month, const TimeZone& zone,
                                          const CountryCodeOf& country_code,
                                          const ReportOptions& options);

}  // namespace scanscope
