#pragma once
// Refusal lines, rate-limited per source address: a client that sends a
// thousand bad requests a second gets a few lines, then one line that says
// how many were left out (docs/collector.md). Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace scanscope {

class RefusalLog {
 public:
  static constexpr int64_t kWindowNs = int64_t{10} * 1'000'000'000;
  static constexpr uint64_t kLinesPerWindow = 20;

  struct Decision {
    bool log = false;         // write this refusal's line
    uint64_t suppressed = 0;  // lines of this source left out since its last written one
  };
  // Whether a refusal of `source` at `now_ns` is logged, and how many before
  // it were not.
  Decision Refused(const std::string& source, int64_t now_ns);

 private:
  struct Window {
    int64_t start_ns = 0;
    uint64_t lines = 0;
    uint64_t suppressed = 0;
  };
  std::mutex mu_;
  std::map<std::string, Window> by_source_;  // guarded by mu_
};

}  // namespace scanscope
