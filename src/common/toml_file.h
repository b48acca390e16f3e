#pragma once
// Reading a TOML settings file: one error format for every file scanscope
// reads ("PATH:LINE:COLUMN: what is wrong"), and unknown keys refused rather
// than ignored, so that a misspelt setting is never silently the default.

#include <toml++/toml.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "common/status.h"

namespace scanscope {

// Parses `path`. NotFound when the file does not exist; InvalidArgument with
// "PATH:LINE:COLUMN: description" when it is not valid TOML.
Result<toml::table> ParseTomlFile(const std::string& path);

// "PATH:LINE" of a node, for messages about a value.
std::string TomlWhere(const std::string& path, const toml::node& node);

// InvalidArgument "PATH:LINE: unknown key 'K' in WHAT (known: a, b, c)" for the
// first key of `table` that is not in `known`.
Status RejectUnknownTomlKeys(const std::string& path, const toml::table& table,
                             std::string_view what, std::initializer_list<std::string_view> known);

}  // namespace scanscope
