#include "app/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "common/toml_file.h"

namespace scanscope {

const MonitoringPoint* Config::FindPoint(const std::string& name) const {
  for (const MonitoringPoint& p : points) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Result<Config> LoadConfig(const std::string& path) {
  Result<toml::table> parsed = ParseTomlFile(path);
  if (!parsed.ok()) return parsed.status();
  const toml::table& root = *parsed;
  Config config;
  auto where = [&](const toml::node& n) { return TomlWhere(path, n); };
  SCANSCOPE_RETURN_IF_ERROR(
      RejectUnknownTomlKeys(path, root, "the settings file", {"store", "report", "point"}));
  if (const toml::table* store = root["store"].as_table()) {
    SCANSCOPE_RETURN_IF_ERROR(RejectUnknownTomlKeys(path, *store, "[store]", {"db", "timezones"}));
  }
  if (const toml::table* report = root["report"].as_table()) {
    SCANSCOPE_RETURN_IF_ERROR(RejectUnknownTomlKeys(path, *report, "[report]", {"timezone"}));
  }
  if (auto db = root["store"]["db"].value<std::string>()) config.db = *db;
  if (auto zones = root["store"]["timezones"].as_array()) {
    for (const toml::node& z : *zones) {
      auto v = z.value<std::string>();
      if (!v) return Status::InvalidArgument(where(z) + ": store.timezones must be strings");
      config.store_timezones.push_back(*v);
    }
  }
  if (auto tz = root["report"]["timezone"].value<std::string>()) config.report_timezone = *tz;
  if (const toml::node* points = root.get("point")) {
    const toml::array* arr = points->as_array();
    if (arr == nullptr)
      return Status::InvalidArgument(where(*points) + ": 'point' must be [[point]] tables");
    for (const toml::node& n : *arr) {
      const toml::table* t = n.as_table();
      if (t == nullptr)
        return Status::InvalidArgument(where(n) + ": 'point' must be [[point]] tables");
      SCANSCOPE_RETURN_IF_ERROR(
          RejectUnknownTomlKeys(path, *t, "a [[point]] table", {"name", "watch", "description"}));
      MonitoringPoint p;
      auto name = (*t)["name"].value<std::string>();
      if (!name || name->empty())
        return Status::InvalidArgument(where(n) + ": point without a name");
      p.name = *name;
      if (auto d = (*t)["description"].value<std::string>()) p.description = *d;
      std::string watch_text;
      if (auto w = (*t)["watch"].as_array()) {
        for (const toml::node& item : *w) {
          auto s = item.value<std::string>();
          if (!s) return Status::InvalidArgument(where(item) + ": watch entries must be strings");
          if (!watch_text.empty()) watch_text += ',';
          watch_text += *s;
        }
      } else if (auto s = (*t)["watch"].value<std::string>()) {
        watch_text = *s;
      }
      auto set = PrefixSet::Parse(watch_text);
      if (!set.ok()) {
        return Status::InvalidArgument(where(n) + ": point '" + p.name +
                                       "': " + set.status().message());
      }
      p.watched = *set;
      if (config.FindPoint(p.name)) {
        return Status::InvalidArgument(where(n) + ": point '" + p.name + "' defined twice");
      }
      config.points.push_back(std::move(p));
    }
  }
  return config;
}

}  // namespace scanscope
