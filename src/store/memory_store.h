#pragma once
// An in-memory Store with the same semantics as the SQLite one (ledger,
// merge by addition, zones built from raw records), for tests of other
// stages. Nothing is persisted. Not thread-safe; one IngestWriter at a time,
// which must not outlive the store.

#include <memory>
#include <vector>

#include "store/store.h"

namespace scanscope {

// A new, empty store that keeps the days of `zones` from the start.
std::unique_ptr<Store> NewMemoryStore(std::vector<TimeZone> zones);

}  // namespace scanscope
