#pragma once
// What a live sensor's status reports say of when its point was watching
// (docs/coverage.md). A report carries the sensor's spool id, when its run
// started and when it sent the report (its own clock), and its spool-full
// drops this run. Between two reports of one run the point was watched,
// unless the spool overflowed meanwhile (accesses were dropped: a hole); the
// first report of a run covers the run from its start. A sensor that was
// down sends nothing, and leaves a hole.

#include <optional>

#include "store/store.h"

namespace scanscope {

// The interval `current` adds to its point's coverage, given the point's
// report before it (nullptr if none). nullopt when it adds none (no usable
// times, an overflow since the last report, or nothing new).
// `received_ns`: when the collector received `current`; a sensor time more
// than a few minutes past it is not believed.
std::optional<CoverageEntry> SensorCoverage(const PointStatus* previous, const PointStatus& current,
                                            int64_t received_ns);

}  // namespace scanscope
