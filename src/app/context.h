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

// Whether opening a store may create it: commands that write (ingest, the
// collector) create a missing store; commands that only read refuse one.
enum class StoreAccess { kCreateIfMissing, kMustExist };

// Opens the store of --db (or the config's store.db). A new store keeps the
// days of the config's zones, the report zone and `extra_zone` (if any).
// With kMustExist, a SQLite file that does not exist is NotFound
// "no store at PATH (ingest into it first, or check --db)", and nothing is
// created.
Result<std::unique_ptr<Store>> OpenStoreFor(const CommonArgs& args, const Config& config,
                                            const std::string& extra_zone = "",
                                            StoreAccess access = StoreAccess::kCreateIfMissing);

// The zone of "day": --tz, else the config's report zone, else UTC.
Result<TimeZone> ReportZone(const std::string& tz_flag, const Config& config);

// What stats, findings and report start from: the config, the month, the
// zone of its days and the open store.
struct MonthQuery {
  Config config;
  Month month;
  TimeZone zone = TimeZone::Utc();
  std::unique_ptr<Store> store;
};

// Fills *query from the flags (--config, --db, --month, --tz). Returns 0, or
// after printing the one-line message the exit code: 2 for bad flags or
// config, 1 for a store that cannot be opened or does not exist.
int OpenMonthQuery(const CommonArgs& common, const std::string& month, const std::string& tz,
                   MonthQuery* query);

// Prints "scanscope: <message>" on stderr; returns `code`.
int Fail(const std::string& message, int code = 1);

}  // namespace scanscope
