#pragma once
// Notices a point whose batches come from more than one sensor spool: two
// sensors started for one point, or one restarted with a fresh spool. The
// store counts each access once either way (docs/store.md, "Each access
// once"); the collector says so in its log, once per new spool, so that an
// operator can look. Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace scanscope {

class SpoolWatch {
 public:
  // What a batch from another spool than the point's last one is compared with.
  struct OtherSpool {
    std::string spool;        // the point's spool seen before
    int64_t seconds_ago = 0;  // since its last batch
  };
  // Two spools of one point within this many seconds are worth a warning.
  static constexpr int64_t kWithinSeconds = 24 * 3600;

  // Records that `batch_id` ("<point>/<spool id>/<segment>") was committed at
  // `now_ns`. Returns the other spool when this batch's spool is new for the
  // point and the other sent within kWithinSeconds; nothing otherwise, and
  // nothing for a batch id of another shape.
  std::optional<OtherSpool> Saw(const std::string& batch_id, int64_t now_ns);

 private:
  struct Seen {
    std::string spool;
    int64_t last_ns = 0;
  };
  std::mutex mu_;
  std::map<std::string, Seen> by_point_;  // guarded by mu_
};

}  // namespace scanscope
