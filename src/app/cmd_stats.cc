// scanscope stats: the month's figures, for people or as JSON.
#include <fmt/format.h>

#include "analysis/month_stats.h"
#include "app/commands.h"
#include "app/context.h"

namespace scanscope {

int RunStats(const StatsArgs& args) {
  MonthQuery q;
  if (int rc = OpenMonthQuery(args.common, args.month, args.tz, &q); rc != 0) return rc;
  auto stats = ComputeMonthStats(*q.store, q.month, q.zone);
  if (!stats.ok()) return Fail(stats.status().message());
  if (args.json) {
    fmt::print("{}\n", MonthStatsToJson(*stats).dump(2));
  } else {
    fmt::print("{}", MonthStatsToText(*stats));
  }
  return 0;
}

}  // namespace scanscope
