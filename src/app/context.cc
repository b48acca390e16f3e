#include "app/context.h"

#include <fmt/format.h>

#include <filesystem>

#include "store/clickhouse/clickhouse_store.h"
#include "store/sqlite/sqlite_store.h"

namespace scanscope {

Result<Config> LoadConfigFor(const CommonArgs& args) {
  if (args.config.empty()) return Config{};
  return LoadConfig(args.config);
}

Result<std::unique_ptr<Store>> OpenStoreFor(const CommonArgs& args, const Config& config,
                                            const std::string& extra_zone, StoreAccess access) {
  std::string db = !args.db.empty() ? args.db : config.db;
  if (db.empty())
    return Status::InvalidArgument("no store given: use --db FILE (or store.db in --config)");
  std::error_code ec;
  if (access == StoreAccess::kMustExist && !IsClickHouseUrl(db) &&
      !std::filesystem::exists(db, ec)) {
    return Status::NotFound(
        fmt::format("no store at {} (ingest into it first, or check --db)", db));
  }
  std::vector<TimeZone> zones;
  auto add = [&](const std::string& name) -> Status {
    auto z = TimeZone::Find(name);
    if (!z.ok()) return z.status();
    for (const TimeZone& have : zones) {
      if (have.name() == z->name()) return Status::Ok();
    }
    zones.push_back(*z);
    return Status::Ok();
  };
  for (const std::string& z : config.store_timezones) SCANSCOPE_RETURN_IF_ERROR(add(z));
  SCANSCOPE_RETURN_IF_ERROR(add(config.report_timezone.empty() ? "UTC" : config.report_timezone));
  if (!extra_zone.empty()) SCANSCOPE_RETURN_IF_ERROR(add(extra_zone));
  if (IsClickHouseUrl(db)) {
    auto options = ParseClickHouseUrl(db);
    if (!options.ok()) return options.status();
    return OpenClickHouseStore(*options, zones);
  }
  return OpenSqliteStore(db, zones);
}

Result<TimeZone> ReportZone(const std::string& tz_flag, const Config& config) {
  if (!tz_flag.empty()) return TimeZone::Find(tz_flag);
  if (!config.report_timezone.empty()) return TimeZone::Find(config.report_timezone);
  return TimeZone::Utc();
}

int OpenMonthQuery(const CommonArgs& common, const std::string& month, const std::string& tz,
                   MonthQuery* query) {
  auto config = LoadConfigFor(common);
  if (!config.ok()) return Fail(config.status().message(), 2);
  auto parsed = ParseMonth(month);
  if (!parsed.ok()) return Fail(parsed.status().message(), 2);
  auto zone = ReportZone(tz, *config);
  if (!zone.ok()) return Fail(zone.status().message(), 2);
  auto store = OpenStoreFor(common, *config, "", StoreAccess::kMustExist);
  if (!store.ok()) return Fail(store.status().message());
  query->config = std::move(*config);
  query->month = *parsed;
  query->zone = *zone;
  query->store = std::move(*store);
  return 0;
}

int Fail(const std::string& message, int code) {
  fmt::print(stderr, "scanscope: {}\n", message);
  return code;
}

}  // namespace scanscope
