// libFuzzer target: ParseNetfilterLine on each line of the input (year 2024,
// UTC). Checks the parser's contracts: no crash, no read outside the line,
// and a packet's fields consistent with each other.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "capture/netfilter_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const scanscope::TimeZone kUtc = scanscope::TimeZone::Utc();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    scanscope::LoggedPacket p;
    scanscope::LogMalformed why = scanscope::LogMalformed::kCount;
    scanscope::LogLineResult r = scanscope::ParseNetfilterLine(line, 2024, kUtc, &p, &why);
    if (r == scanscope::LogLineResult::kMalformed && why >= scanscope::LogMalformed::kCount) {
      std::abort();  // a malformed line must name its reason
    }
    if (r == scanscope::LogLineResult::kPacket) {
      const scanscope::PacketView& v = p.packet;
      if (v.ip_version != 4 && v.ip_version != 6) std::abort();
      if (v.ip_version == 4 && !(v.source.IsV4() && v.destination.IsV4())) std::abort();
      if (v.has_ports && !v.first_fragment) std::abort();
      if (v.quoted.present && !v.icmp_is_error) std::abort();
      if (v.icmp_is_error && !v.is_icmp) std::abort();
    }
  }
  return 0;
}
