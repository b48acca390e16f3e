#pragma once
// scanscope points --coverage: when each point was watching
// (docs/coverage.md), and an operator's statement of it.

#include <vector>

#include "app/commands.h"
#include "app/config.h"
#include "store/store.h"

namespace scanscope {

// Lists the coverage of `points` (the store's, narrowed by --point), with
// each day's share watched when --month is given; or, with add|remove POINT
// FROM TO, records the operator's interval.
int RunCoverage(const PointsArgs& args, Store* store, const Config& config,
                const std::vector<MonitoringPoint>& points);

}  // namespace scanscope
