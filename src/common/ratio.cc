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

std::string WithThousands(uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out += digits[i];
    if ((n - i - 1) % 3 == 0 && i != n - 1) out += ',';
  }
  return out;
}

}  // namespace scanscope
