#pragma once
// The wall clock, in the unit every stored time uses: nanoseconds since the
// Unix epoch, UTC. Code that must be tested with another clock takes the time
// as an argument instead of calling this.

#include <chrono>
#include <cstdint>

namespace scanscope {

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace scanscope
