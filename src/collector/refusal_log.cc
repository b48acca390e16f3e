#include "collector/refusal_log.h"

namespace scanscope {

RefusalLog::Decision RefusalLog::Refused(const std::string& source, int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  if (by_source_.size() > 10000) {
    // Old windows of many sources (a scan from everywhere): forget those past.
    std::erase_if(by_source_,
                  [&](const auto& kv) { return now_ns - kv.second.start_ns > kWindowNs; });
  }
  Window& w = by_source_[source];
  if (now_ns - w.start_ns >= kWindowNs) {
    w.start_ns = now_ns;
    w.lines = 0;
  }
  Decision d;
  if (w.lines < kLinesPerWindow) {
    ++w.lines;
    d.log = true;
    d.suppressed = w.suppressed;
    w.suppressed = 0;
  } else {
    ++w.suppressed;
  }
  return d;
}

}  // namespace scanscope
