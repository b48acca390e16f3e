// libFuzzer target: one frame through DecodeFrame. The first input byte picks
// the link type among those decode supports (modulo their count), the rest is
// the frame. Besides memory safety (ASan/UBSan), checks the PacketView
// contract on success: pointers stay inside the frame, and flags agree.
// Seeds: fuzz/corpus/decode/ (first byte = index into kLinkTypes below).

#include <cstddef>
#include <cstdint>
#include <span>

#include "decode/decoder.h"

namespace {

constexpr scanscope::LinkType kLinkTypes[] = {
    scanscope::LinkType::kEthernet, scanscope::LinkType::kLinuxSll, scanscope::LinkType::kLinuxSll2,
    scanscope::LinkType::kRaw,      scanscope::LinkType::kIpv4,     scanscope::LinkType::kIpv6,
    scanscope::LinkType::kNull,     scanscope::LinkType::kLoop,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scanscope;
  if (size == 0) return 0;
  const LinkType link_type = kLinkTypes[data[0] % std::size(kLinkTypes)];
  const std::span<const uint8_t> frame(data + 1, size - 1);
  PacketView view;
  const DecodeResult r = DecodeFrame(link_type, frame, &view);
  if (static_cast<size_t>(r) >= static_cast<size_t>(DecodeResult::kCount)) __builtin_trap();
  if (DecodeResultName(r) == "unknown") __builtin_trap();
  if (r != DecodeResult::kOk) return 0;
  if (view.ip_version != 4 && view.ip_version != 6) __builtin_trap();
  if (view.l4 != nullptr) {
    const uint8_t* end = frame.data() + frame.size();
    if (view.l4 < frame.data() || view.l4 > end) __builtin_trap();
    if (view.l4_captured > static_cast<size_t>(end - view.l4)) __builtin_trap();
  }
  if (view.has_ports && view.protocol != kProtoTcp && view.protocol != kProtoUdp) __builtin_trap();
  if (view.has_ports && !view.first_fragment) __builtin_trap();
  if (view.first_fragment && view.fragment_offset != 0) __builtin_trap();
  if (view.icmp_is_error && !view.is_icmp) __builtin_trap();
  if (view.quoted.present && !view.icmp_is_error) __builtin_trap();
  if (view.quoted.has_ports && !view.quoted.present) __builtin_trap();
  return 0;
}
