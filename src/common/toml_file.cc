#include "common/toml_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace scanscope {

Result<toml::table> ParseTomlFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(path + ": no such file");
  }
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                               e.source().begin.column, e.description()));
  }
}

std::string TomlWhere(const std::string& path, const toml::node& node) {
  return fmt::format("{}:{}", path, node.source().begin.line);
}

Status RejectUnknownTomlKeys(const std::string& path, const toml::table& table,
                             std::string_view what, std::initializer_list<std::string_view> known) {
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    std::string names;
    for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
    return Status::InvalidArgument(fmt::format("{}: unknown key '{}' in {} (known: {})",
                                               TomlWhere(path, node), key.str(), what, names));
  }
  return Status::Ok();
}

}  // namespace scanscope
