// scanscope points: the monitoring points a store knows, with what was ingested for each.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "analysis/month_stats.h"
#include "app/commands.h"
#include "app/context.h"

namespace scanscope {

int RunPoints(const PointsArgs& args) {
  auto config = LoadConfigFor(args.common);
  if (!config.ok()) return Fail(config.status().message(), 2);
  auto store = OpenStoreFor(args.common, *config);
  if (!store.ok()) return Fail(store.status().message());
  auto points = (*store)->Points();
  if (!points.ok()) return Fail(points.status().message());
  auto ledger = (*store)->Ledger();
  if (!ledger.ok()) return Fail(ledger.status().message());
  struct Ingested {
    uint64_t batches = 0, accesses = 0;
    int64_t last_ns = 0;
  };
  std::map<std::string, Ingested> by_point;
  for (const LedgerEntry& e : *ledger) {
    Ingested& in = by_point[e.point];
    ++in.batches;
    in.accesses += e.accesses;
    in.last_ns = std::max(in.last_ns, e.ingested_at_ns);
  }
  if (args.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const MonitoringPoint& p : *points) {
      const Ingested& in = by_point[p.name];
      out.push_back({{"point", p.name},
                     {"watch", p.watched.ToString()},
                     {"description", p.description},
                     {"batches", in.batches},
                     {"accesses", in.accesses}});
    }
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  if (points->empty()) {
    fmt::print(
        "no monitoring points in this store yet (scanscope ingest --point NAME ... adds one)\n");
    return 0;
  }
  fmt::print("{:<16} {:>8} {:>14}  {:<36} {}\n", "point", "batches", "accesses", "watch",
             "description");
  for (const MonitoringPoint& p : *points) {
    const Ingested& in = by_point[p.name];
    fmt::print("{:<16} {:>8} {:>14}  {:<36} {}\n", p.name, WithThousands(in.batches),
               WithThousands(in.accesses), p.watched.ToString(), p.description);
  }
  return 0;
}

}  // namespace scanscope
