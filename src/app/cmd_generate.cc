// scanscope generate: a credible month of unwanted traffic for N points, as pcap files.
#include <fmt/format.h>
#include <unistd.h>

#include "analysis/month_stats.h"
#include "app/commands.h"
#include "app/context.h"
#include "generate/traffic_generator.h"

namespace scanscope {

int RunGenerate(const GenerateArgs& args) {
  auto month = ParseMonth(args.month);
  if (!month.ok()) return Fail(month.status().message(), 2);
  GenerateOptions options;
  options.month = *month;
  options.points = args.points;
  options.packets = args.packets;
  options.seed = args.seed;
  options.out_dir = args.out;
  if (!args.tz.empty()) {
    auto z = TimeZone::Find(args.tz);
    if (!z.ok()) return Fail(z.status().message(), 2);
    options.zone = *z;
  }
  bool tty = isatty(STDERR_FILENO);
  auto progress = [tty](double fraction) {
    if (tty) fmt::print(stderr, "\r  generating: {:3.0f}%", 100 * fraction);
  };
  auto summary = GenerateMonth(options, progress);
  if (tty) fmt::print(stderr, "\r\033[K");
  if (!summary.ok()) return Fail(summary.status().message());
  fmt::print("generated {} for {} points: {} packets ({} accesses) in {} files under {}\n",
             month->ToString(), args.points, WithThousands(summary->packets_written),
             WithThousands(summary->accesses), summary->files.size(), args.out);
  fmt::print("points: {}\nevents: {}\n", summary->config_path, summary->events_path);
  return 0;
}

}  // namespace scanscope
