#include "collector/sensor_coverage.h"

#include <nlohmann/json.hpp>

namespace scanscope {

namespace {

// A sensor clock this far ahead of the collector's is wrong.
constexpr int64_t kMaxClockAheadNs = int64_t{300} * 1'000'000'000;

struct Report {
  std::string spool_id;
  int64_t started_ns = 0;
  int64_t sent_ns = 0;
  uint64_t full_dropped = 0;
};

std::optional<Report> Read(const PointStatus& status) {
  auto j = nlohmann::json::parse(status.status_json, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Report r;
  try {
    r.spool_id = j.value("spool_id", std::string());
    r.started_ns = j.value("started_at_ns", int64_t{0});
    r.sent_ns = j.value("sent_at_ns", int64_t{0});
    r.full_dropped = j.value("spool_full_dropped_this_run", uint64_t{0});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a field of the wrong type
  }
  if (r.spool_id.empty() || r.started_ns <= 0 || r.sent_ns <= r.started_ns) return std::nullopt;
  return r;
}

}  // namespace

std::optional<CoverageEntry> SensorCoverage(const PointStatus* previous, const PointStatus& current,
                                            int64_t received_ns) {
  std::optional<Report> now = Read(current);
  if (!now || now->sent_ns > received_ns + kMaxClockAheadNs) return std::nullopt;
  int64_t from = now->started_ns;
  std::optional<Report> before = previous != nullptr ? Read(*previous) : std::nullopt;
  if (before && before->spool_id == now->spool_id && before->started_ns == now->started_ns) {
    // The same run: from its last report on, unless the spool overflowed.
    if (now->full_dropped > before->full_dropped) return std::nullopt;
    from = std::max(from, before->sent_ns);
  } else if (now->full_dropped > 0) {
    return std::nullopt;  // dropped since the run began: which part is unknown
  }
  if (from >= now->sent_ns) return std::nullopt;
  return CoverageEntry{current.point, CoverageKind::kWatched,    from,
                       now->sent_ns,  "sensor " + now->spool_id, received_ns};
}

}  // namespace scanscope
