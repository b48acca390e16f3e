#include "collector/spool_watch.h"

namespace scanscope {

std::optional<SpoolWatch::OtherSpool> SpoolWatch::Saw(const std::string& batch_id, int64_t now_ns) {
  size_t a = batch_id.find('/');
  size_t b = a == std::string::npos ? a : batch_id.find('/', a + 1);
  if (b == std::string::npos) return std::nullopt;
  const std::string point = batch_id.substr(0, a), spool = batch_id.substr(a + 1, b - a - 1);
  std::lock_guard lock(mu_);
  auto [it, inserted] = by_point_.try_emplace(point, Seen{spool, now_ns});
  if (inserted) return std::nullopt;
  Seen& seen = it->second;
  std::optional<OtherSpool> other;
  if (seen.spool != spool) {
    const int64_t ago = (now_ns - seen.last_ns) / 1'000'000'000;
    if (ago <= kWithinSeconds) other = OtherSpool{seen.spool, ago};
    seen.spool = spool;
  }
  seen.last_ns = now_ns;
  return other;
}

}  // namespace scanscope
