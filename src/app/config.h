#pragma once
// The TOML config file: points, store and report settings. Flags on the
// command line win over it.
//
//   [store]
//   db = "scanscope.db"
//   timezones = ["Asia/Tokyo"]   # zones whose days the store keeps from the start
//   [report]
//   timezone = "Asia/Tokyo"      # the zone of "day" in stats and reports
//   [[point]]
//   name = "point-01"
//   watch = ["192.0.2.17/32", "2001:db8:1::/64"]
//   description = "residential DSL"

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace scanscope {

struct Config {
  std::string db;
  std::vector<std::string> store_timezones;
  std::string report_timezone = "UTC";
  std::vector<MonitoringPoint> points;

  const MonitoringPoint* FindPoint(const std::string& name) const;
};

// Reads `path`; errors name the file, line and field.
Result<Config> LoadConfig(const std::string& path);

}  // namespace scanscope
