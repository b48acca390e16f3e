#include "common/log_safe.h"

#include <fmt/format.h>

namespace scanscope {

std::string LogSafe(std::string_view text, size_t max_bytes) {
  std::string out;
  const size_t n = std::min(text.size(), max_bytes);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x20 || b == 0x7f || b == '\\') {
      out += fmt::format("\\x{:02x}", b);
    } else {
      out += static_cast<char>(b);
    }
  }
  if (text.size() > n) out += fmt::format("...({} more bytes)", text.size() - n);
  return out;
}

}  // namespace scanscope
