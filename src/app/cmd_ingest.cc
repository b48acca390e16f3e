// scanscope ingest: captures or firewall logs of one point into the store,
// one atomic batch per file, with a summary of everything counted.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <map>

#include "analysis/month_stats.h"
#include "app/commands.h"
#include "app/context.h"
#include "ingest/ingest.h"

namespace scanscope {

namespace {

std::string Rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f} M", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.1f} k", per_second / 1e3);
  return fmt::format("{:.0f} ", per_second);
}

// Resolves the point: flags win over the config, the config over the store.
Result<MonitoringPoint> ResolvePoint(const IngestArgs& args, const Config& config, Store& store) {
  MonitoringPoint point;
  point.name = args.point;
  if (const MonitoringPoint* p = config.FindPoint(args.point)) point = *p;
  bool known = !point.watched.empty();
  if (!known) {
    auto stored = store.Points();
    if (!stored.ok()) return stored.status();
    for (const MonitoringPoint& p : *stored) {
      if (p.name == args.point) {
        point = p;
        known = true;
      }
    }
  }
  if (!args.watch.empty()) {
    auto set = PrefixSet::Parse(args.watch);
    if (!set.ok()) return Status::InvalidArgument("--watch: " + set.status().message());
    point.watched = *set;
    known = true;
  }
  if (!args.description.empty()) point.description = args.description;
  if (!known) {
    return Status::InvalidArgument("point '" + args.point +
                                   "' has no watched addresses: give --watch CIDR[,CIDR...] or "
                                   "define it in --config");
  }
  return point;
}

void PrintReport(const FileIngestReport& r) {
  if (r.already_ingested) {
    fmt::print("{}: already ingested for this point (batch {}), nothing changed\n", r.path,
               r.batch_id);
    return;
  }
  double rate = r.seconds > 0 ? r.packets / r.seconds : 0;
  fmt::print("{}: {}, {} {} read, {} accesses, {:.2f} s ({}{}/s)\n", r.path,
             InputFormatName(r.format), WithThousands(r.packets),
             r.format == InputFormat::kNetfilter ? "LOG lines" : "packets",
             WithThousands(r.accesses), r.seconds, Rate(rate),
             r.format == InputFormat::kNetfilter ? "lines" : "packets");
  if (r.format == InputFormat::kNetfilter) {
    fmt::print("  {} lines in the file\n", WithThousands(r.lines));
  }
  std::string counters;
  for (const auto& [name, value] : r.NamedCounters()) {
    if (!counters.empty()) counters += ", ";
    counters += fmt::format("{} {}", name, WithThousands(value));
  }
  if (!counters.empty()) fmt::print("  not counted as accesses: {}\n", counters);
  if (r.classify.fragments_with_port_type_of_first > 0) {
    fmt::print("  counted: {} non-first fragments, with their first fragment's port type\n",
               WithThousands(r.classify.fragments_with_port_type_of_first));
  }
  for (const std::string& w : r.warnings) fmt::print(stderr, "  warning: {}\n", w);
  if (!r.stop_reason.empty()) {
    fmt::print(stderr, "  warning: file ended early: {} (ingested up to there)\n", r.stop_reason);
  }
}

}  // namespace

int RunIngest(const IngestArgs& args) {
  auto config = LoadConfigFor(args.common);
  if (!config.ok()) return Fail(config.status().message(), 2);
  if (!args.tz.empty() && !TimeZone::Find(args.tz).ok()) {
    return Fail(TimeZone::Find(args.tz).status().message(), 2);
  }
  IngestOptions options;
  auto format = ParseInputFormat(args.format);
  if (!format.ok()) return Fail(format.status().message(), 2);
  options.format = *format;
  options.max_silence_ns = int64_t{args.max_silence_minutes} * 60 * 1'000'000'000;
  options.log_year = args.log_year;
  if (!args.log_tz.empty()) {
    auto z = TimeZone::Find(args.log_tz);
    if (!z.ok()) return Fail("--log-tz: " + z.status().message(), 2);
    options.log_zone = *z;
  }
  auto store = OpenStoreFor(args.common, *config, args.tz);
  if (!store.ok()) return Fail(store.status().message());
  auto point = ResolvePoint(args, *config, **store);
  if (!point.ok()) return Fail(point.status().message(), 2);
  if (Status s = (*store)->PutPoint(*point); !s.ok()) return Fail(s.message());
  options.point = point->name;
  options.watched = point->watched;

  bool show_progress = !args.quiet && !args.json && isatty(STDERR_FILENO);
  auto t0 = std::chrono::steady_clock::now();
  uint64_t total_packets = 0, total_accesses = 0, failed = 0, skipped = 0;
  for (const std::string& path : args.files) {
    IngestProgress progress;
    if (show_progress) {
      progress = [&path](uint64_t done, uint64_t total, uint64_t packets) {
        if (total > 0) {
          fmt::print(stderr, "\r  {}: {:3.0f}%  {} packets", path,
                     100.0 * static_cast<double>(done) / static_cast<double>(total),
                     WithThousands(packets));
        } else {
          fmt::print(stderr, "\r  {}: {} packets", path, WithThousands(packets));
        }
      };
    }
    auto report = IngestFile(**store, options, path, progress);
    if (show_progress) fmt::print(stderr, "\r\033[K");
    if (!report.ok()) {
      ++failed;
      // Messages that name the file already are not prefixed with it again.
      const std::string& message = report.status().message();
      fmt::print(stderr, "scanscope: {}\n",
                 message.starts_with(path) ? message : path + ": " + message);
      continue;
    }
    if (report->already_ingested) ++skipped;
    total_packets += report->packets;
    total_accesses += report->accesses;
    if (args.json) {
      fmt::print("{}\n", report->ToJson());
    } else {
      PrintReport(*report);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!args.json) {
    fmt::print(
        "ingested {} file{} for point {}: {} packets, {} accesses in {:.2f} s ({}packets/s){}{}\n",
        args.files.size() - failed - skipped, args.files.size() - failed - skipped == 1 ? "" : "s",
        point->name, WithThousands(total_packets), WithThousands(total_accesses), seconds,
        Rate(seconds > 0 ? total_packets / seconds : 0),
        skipped ? fmt::format(", {} already ingested", skipped) : "",
        failed ? fmt::format(", {} failed", failed) : "");
  }
  return failed ? 1 : 0;
}

}  // namespace scanscope
