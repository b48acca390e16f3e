#pragma once
// Files that ship with scanscope's source tree (data/ports.toml, the npm
// IP-to-country database under third_party/npm): found without an install
// step, wherever the binary is run from.

#include <optional>
#include <string>
#include <string_view>

namespace scanscope {

// The first regular file `relative` (a path inside the repository) under:
// the binary's directory and up to five of its ancestors, the source tree the
// binary was built from, then the working directory and its ancestors.
// nullopt when there is none.
std::optional<std::string> FindShippedFile(std::string_view relative);

}  // namespace scanscope
