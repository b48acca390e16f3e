// scanscope stats: the month's figures, for people or as JSON.
#include <fmt/format.h>

#include "analysis/month_stats.h"
#include "app/commands.h"
#include "app/context.h"

namespace scanscope {

int RunStats(const StatsArgs& args) {
  auto config = LoadConfigFor(args.common);
  if (!config.ok()) return Fail(config.status().message(), 2);
  auto month = ParseMonth(args.month);
  if (!month.ok()) return Fail(month.status().message(), 2);
  auto zone = ReportZone(args.tz, *config);
  if (!zone.ok()) return Fail(zone.status().message(), 2);
  auto store = OpenStoreFor(args.common, *config);
  if (!store.ok()) return Fail(store.status().message());
  auto stats = ComputeMonthStats(**store, *month, *zone);
  if (!stats.ok()) return Fail(stats.status().message());
  if (args.json) {
    fmt::print("{}\n", MonthStatsToJson(*stats).dump(2));
  } else {
    fmt::print("{}", MonthStatsToText(*stats));
  }
  return 0;
}

}  // namespace scanscope
