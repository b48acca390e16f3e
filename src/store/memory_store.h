#pragma once
// The in-memory store: a full backend (every storage primitive of store.h),
// run beside SQLite and ClickHouse by tests/store_backends_test.cc, and the
// store that tests of other stages use. Nothing is persisted. Not
// thread-safe; an IngestWriter must not outlive its store.

#include <memory>
#include <vector>

#include "store/store.h"

namespace scanscope {

// A new, empty store that keeps the days of `zones` from the start.
std::unique_ptr<Store> NewMemoryStore(std::vector<TimeZone> zones);

}  // namespace scanscope
