#include "common/ratio.h"

#include <fmt/format.h>

namespace scanscope {

uint64_t RatioTenths(uint64_t part, uint64_t total) {
  if (total == 0) return 0;
  // (2000 part + total) / (2 total), in 128 bits so that nothing overflows.
  __uint128_t num = static_cast<__uint128_t>(part) * 2000 + total;
  return static_cast<uint64_t>(num / (static_cast<__uint128_t>(total) * 2));
}

double RatioPercent(uint64_t part, uint64_t total) {
  return static_cast<double>(RatioTenths(part, total)) / 10.0;
}

std::string FormatRatio(uint64_t part, uint64_t total) {
  uint64_t tenths = RatioTenths(part, total);
  return fmt::format("{}.{}", tenths / 10, tenths % 10);
}

}  // namespace scanscope
