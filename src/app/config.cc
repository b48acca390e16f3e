#include "app/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

namespace scanscope {

const MonitoringPoint* Config::FindPoint(const std::string& name) const {
  for (const MonitoringPoint& p : points) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Result<Config> LoadConfig(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                               e.source().begin.column, e.description()));
  }
  Config config;
  auto where = [&](const toml::node& n) {
    return fmt::format("{}:{}", path, n.source().begin.line);
  };
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
      std::string error;
      auto set = PrefixSet::Parse(watch_text, &error);
      if (!set) return Status::InvalidArgument(where(n) + ": point '" + p.name + "': " + error);
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
