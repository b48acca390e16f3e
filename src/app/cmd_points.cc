// scanscope points: the monitoring points a store knows, with what was ingested for each.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "analysis/month_stats.h"
#include "app/cmd_coverage.h"
#include "app/commands.h"
#include "app/context.h"
#include "common/clock.h"
#include "common/time_zone.h"

namespace scanscope {

namespace {

// "42 s", "7 min", "3 h", "2 d": how long ago (or how far behind).
std::string Age(int64_t ns) {
  if (ns < 0) ns = 0;
  int64_t s = ns / 1'000'000'000;
  if (s < 120) return fmt::format("{} s", s);
  if (s < 7200) return fmt::format("{} min", s / 60);
  if (s < 172800) return fmt::format("{} h", s / 3600);
  return fmt::format("{} d", s / 86400);
}

uint64_t Counter(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->is_number_unsigned()  ? it->get<uint64_t>()
         : it->is_number_integer() ? static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()))
                                   : static_cast<uint64_t>(std::max(0.0, it->get<double>()));
}

// scanscope points --status: each point's last sensor report beside what the
// store holds for today (in the report zone).
int PrintStatus(const PointsArgs& args, const Config& config, Store* store,
                const std::vector<MonitoringPoint>& points) {
  auto statuses = store->PointStatuses();
  if (!statuses.ok()) return Fail(statuses.status().message());
  std::map<std::string, PointStatus> by_point;
  for (PointStatus& s : *statuses) by_point[s.point] = std::move(s);
  auto zone = ReportZone("", config);
  if (!zone.ok()) return Fail(zone.status().message(), 2);
  const int64_t now = NowNs();
  DayFinder finder(*zone);
  const int32_t today = finder.Day(now);
  std::map<std::string, uint64_t> today_accesses;
  if (store->EnsureZone(*zone).ok()) {
    auto totals = store->Totals(*zone, today, today);
    if (!totals.ok()) return Fail(totals.status().message());
    for (const BlockTotal& t : *totals) today_accesses[t.point] += t.accesses;
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  if (!args.json) {
    fmt::print("{:<16} {:>10} {:>10} {:>14} {:>9} {:>14} {:>14} {:>12}\n", "point", "reported",
               "lag", "spool bytes", "segments", "today", "capture drops", "own drops");
  }
  for (const MonitoringPoint& p : points) {
    auto it = by_point.find(p.name);
    nlohmann::json status = nlohmann::json::object();
    if (it != by_point.end()) {
      status = nlohmann::json::parse(it->second.status_json, nullptr, false);
      if (!status.is_object()) status = nlohmann::json::object();
    }
    const bool reported = it != by_point.end();
    const uint64_t newest = Counter(status, "newest_access_ns");
    const uint64_t capture_drops =
        Counter(status, "capture_drops") + Counter(status, "interface_drops");
    const uint64_t own_drops = Counter(status, "spool_full_dropped");
    if (args.json) {
      nlohmann::ordered_json row = {{"point", p.name}, {"accesses_today", today_accesses[p.name]}};
      if (reported) {
        row["reported_at_ns"] = it->second.reported_at_ns;
        row["report_age_s"] = (now - it->second.reported_at_ns) / 1'000'000'000;
        if (newest > 0) row["lag_s"] = (now - static_cast<int64_t>(newest)) / 1'000'000'000;
        row["spool_bytes"] = Counter(status, "spool_bytes");
        row["spool_segments"] = Counter(status, "spool_segments");
        row["capture_drops"] = capture_drops;
        row["own_drops"] = own_drops;
        row["rejected_batches"] = Counter(status, "rejected_batches");
        row["status"] = status;
      }
      out.push_back(std::move(row));
      continue;
    }
    if (!reported) {
      fmt::print("{:<16} {:>10} {:>10} {:>14} {:>9} {:>14} {:>14} {:>12}\n", p.name, "never", "-",
                 "-", "-", WithThousands(today_accesses[p.name]), "-", "-");
      continue;
    }
    fmt::print("{:<16} {:>10} {:>10} {:>14} {:>9} {:>14} {:>14} {:>12}\n", p.name,
               Age(now - it->second.reported_at_ns) + " ago",
               newest > 0 ? Age(now - static_cast<int64_t>(newest)) : "-",
               WithThousands(Counter(status, "spool_bytes")),
               WithThousands(Counter(status, "spool_segments")),
               WithThousands(today_accesses[p.name]), WithThousands(capture_drops),
               WithThousands(own_drops));
    if (uint64_t rejected = Counter(status, "rejected_batches"); rejected > 0) {
      fmt::print(
          "  {} batch(es) refused for good by the collector, set aside in the spool's "
          "rejected/\n",
          WithThousands(rejected));
    }
  }
  if (args.json) fmt::print("{}\n", out.dump(2));
  return 0;
}

// scanscope points --batches: the ledger, one committed batch a line,
// oldest first. An operator asks it whether a sensor's batch arrived; the
// id is the sensor's <point>/<spool id>/<segment> or an ingest's file name.
int PrintBatches(const PointsArgs& args, Store* store) {
  auto ledger = store->Ledger();
  if (!ledger.ok()) return Fail(ledger.status().message());
  std::vector<const LedgerEntry*> rows;
  for (const LedgerEntry& e : *ledger) {
    if (args.point.empty() || e.point == args.point) rows.push_back(&e);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const LedgerEntry* a, const LedgerEntry* b) {
    return a->ingested_at_ns < b->ingested_at_ns;
  });
  if (args.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const LedgerEntry* e : rows) {
      out.push_back({{"batch", e->batch_id},
                     {"point", e->point},
                     {"origin", e->origin},
                     {"ingested_at", FormatUtcTime(e->ingested_at_ns)},
                     {"accesses", e->accesses}});
    }
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  fmt::print("{:<20} {:<16} {:>14}  {:<40} {}\n", "ingested (UTC)", "point", "accesses", "batch",
             "origin");
  for (const LedgerEntry* e : rows) {
    fmt::print("{:<20} {:<16} {:>14}  {:<40} {}\n", FormatUtcTime(e->ingested_at_ns), e->point,
               WithThousands(e->accesses), e->batch_id, e->origin);
  }
  return 0;
}

// scanscope points --forget ID / --forget-file PATH / --forget-point: each
// batch taken back atomically, one line each; exit 1 when any failed.
int ForgetBatches(const PointsArgs& args, Store* store) {
  std::vector<std::string> ids = args.forget;
  if (!args.forget_file.empty() || args.forget_point) {
    if (args.forget_point && args.point.empty()) return Fail("--forget-point needs --point", 2);
    int64_t from = INT64_MIN, to = INT64_MAX;
    if (!args.ingested_from.empty()) {
      auto t = ParseUtcTime(args.ingested_from);
      if (!t.ok()) return Fail("--ingested-from " + t.status().message(), 2);
      from = *t;
    }
    if (!args.ingested_to.empty()) {
      auto t = ParseUtcTime(args.ingested_to);
      if (!t.ok()) return Fail("--ingested-to " + t.status().message(), 2);
      to = *t;
    }
    auto ledger = store->Ledger();
    if (!ledger.ok()) return Fail(ledger.status().message());
    for (const LedgerEntry& e : *ledger) {
      if (!args.forget_file.empty() && e.origin != args.forget_file) continue;
      if (args.forget_point &&
          (e.point != args.point || e.ingested_at_ns < from || e.ingested_at_ns >= to)) {
        continue;
      }
      ids.push_back(e.batch_id);
    }
    if (ids.empty()) return Fail("no batch in the ledger matches", 1);
  }
  int failed = 0;
  for (const std::string& id : ids) {
    Result<LedgerEntry> gone = store->Forget(id);
    if (!gone.ok()) {
      ++failed;
      Fail(gone.status().message());
      continue;
    }
    fmt::print("forgot batch {} (point {}, {} accesses, from {})\n", gone->batch_id, gone->point,
               WithThousands(gone->accesses), gone->origin);
  }
  return failed ? 1 : 0;
}

// scanscope points --forgotten: the ledger's history of batches taken back.
int PrintForgotten(const PointsArgs& args, Store* store) {
  auto forgotten = store->Forgotten();
  if (!forgotten.ok()) return Fail(forgotten.status().message());
  if (args.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const ForgottenBatch& f : *forgotten) {
      if (!args.point.empty() && f.batch.point != args.point) continue;
      out.push_back({{"batch", f.batch.batch_id},
                     {"point", f.batch.point},
                     {"origin", f.batch.origin},
                     {"ingested_at", FormatUtcTime(f.batch.ingested_at_ns)},
                     {"forgotten_at", FormatUtcTime(f.forgotten_at_ns)},
                     {"accesses", f.batch.accesses}});
    }
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  fmt::print("{:<20} {:<20} {:<16} {:>14}  {:<40} {}\n", "ingested (UTC)", "forgotten (UTC)",
             "point", "accesses", "batch", "origin");
  for (const ForgottenBatch& f : *forgotten) {
    if (!args.point.empty() && f.batch.point != args.point) continue;
    fmt::print("{:<20} {:<20} {:<16} {:>14}  {:<40} {}\n", FormatUtcTime(f.batch.ingested_at_ns),
               FormatUtcTime(f.forgotten_at_ns), f.batch.point, WithThousands(f.batch.accesses),
               f.batch.batch_id, f.batch.origin);
  }
  return 0;
}

}  // namespace

int RunPoints(const PointsArgs& args) {
  auto config = LoadConfigFor(args.common);
  if (!config.ok()) return Fail(config.status().message(), 2);
  auto store = OpenStoreFor(args.common, *config, "", StoreAccess::kMustExist);
  if (!store.ok()) return Fail(store.status().message());
  auto points = (*store)->Points();
  if (!points.ok()) return Fail(points.status().message());
  if (!args.point.empty()) {  // --point narrows every listing to that point
    auto it = std::find_if(points->begin(), points->end(),
                           [&](const MonitoringPoint& p) { return p.name == args.point; });
    if (it == points->end()) return Fail(fmt::format("no point {} in this store", args.point), 2);
    *points = {*it};
  }
  if (!args.forget.empty() || !args.forget_file.empty() || args.forget_point) {
    return ForgetBatches(args, store->get());
  }
  if (args.forgotten) return PrintForgotten(args, store->get());
  if (args.coverage_given) return RunCoverage(args, store->get(), *config, *points);
  if (args.status) return PrintStatus(args, *config, store->get(), *points);
  if (args.batches) return PrintBatches(args, store->get());
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
