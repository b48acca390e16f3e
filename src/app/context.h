#pragma once
// What every subcommand that touches a store needs: the config (if any) and
// the store named by --db or the config.

#include <memory>
#include <string>

#include "app/commands.h"
#include "app/config.h"
#include "store/store.h"

namespace scanscope {

// Loads --config when given, else an empty Config.
Result<Config> LoadConfigFor(const CommonArgs& args);

// Opens the store of --db (or the config's store.db). A new store keeps the
// days of the config's zones, the report zone and `extra_zone` (if any).
Result<std::unique_ptr<Store>> OpenStoreFor(const CommonArgs& args, const Config& config,
                                            const std::string& extra_zone = "");

// The zone of "day": --tz, else the config's report zone, else UTC.
Result<TimeZone> ReportZone(const std::string& tz_flag, const Config& config);

// Prints "scanscope: <message>" on stderr; returns `code`.
int Fail(const std::string& message, int code = 1);

}  // namespace scanscope
