#pragma once
// The embedded default store: one SQLite file. Layout and guarantees are
// described in docs/store.md ("The SQLite backend").

#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace scanscope {

// Opens (creating if missing) the SQLite store at `path`. A new store keeps
// the days of `default_zones` from the start.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const std::vector<TimeZone>& default_zones);

}  // namespace scanscope
