#pragma once
// `scanscope generate`: a credible month of unwanted traffic for N monitoring
// points, written as one pcap file per point plus the points' config and the
// ground truth of the peculiar events injected (docs/generate.md).
//
// Contract:
// - Deterministic: the same options give byte-identical files.
// - Exactly `packets` packets are written in total, over all points, access
//   and non-access packets alike; `accesses` of them are accesses by
//   docs/design.md's definition (what an ingest of the files must count).
// - Every timestamp lies inside the month's local days in `zone`, and each
//   file is in time order.
// - The source population and the points' addresses derive from `seed`, not
//   the month: consecutive months share most sources and the same points.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "record/port_type.h"

namespace scanscope {

struct GenerateOptions {
  Month month;
  int points = 10;  // 1..kMaxGeneratedPoints
  // Total over all points, all packets written incl. non-access ones.
  uint64_t packets = 1'000'000;
  uint64_t seed = 1;
  std::string out_dir;              // created if missing
  TimeZone zone = TimeZone::Utc();  // days and the diurnal pattern are in this zone
};

struct GenerateSummary {
  uint64_t packets_written = 0;
  uint64_t accesses = 0;           // what an ingest must find
  std::vector<std::string> files;  // the pcap files, point-01.pcap ...
  std::string config_path;         // scanscope.toml
  std::string events_path;         // events.json
};

// How many points one generation can place in the documentation ranges.
constexpr int kMaxGeneratedPoints = 87;

// Writes the month into options.out_dir. `progress`, if set, is called with
// the fraction done (0..1) from the calling thread.
Result<GenerateSummary> GenerateMonth(const GenerateOptions& options,
                                      const std::function<void(double fraction)>& progress = {});

}  // namespace scanscope
