#include "record/port_type.h"

#include <charconv>

namespace scanscope {

std::optional<PortType> PortType::Parse(std::string_view text) {
  if (text == "ICMP") return Icmp();
  auto number = [](std::string_view digits, unsigned max) -> std::optional<unsigned> {
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || v > max) {
      return std::nullopt;
    }
    return v;
  };
  if (text.starts_with("proto-")) {
    auto v = number(text.substr(6), 255);
    if (!v) return std::nullopt;
    return Protocol(static_cast<uint8_t>(*v));
  }
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto v = number(text.substr(0, slash), 65535);
  if (!v) return std::nullopt;
  std::string_view proto = text.substr(slash + 1);
  if (proto == "tcp") return Tcp(static_cast<uint16_t>(*v));
  if (proto == "udp") return Udp(static_cast<uint16_t>(*v));
  return std::nullopt;
}

std::optional<PortType> PortType::FromCode(uint32_t code) {
  auto kind = static_cast<uint8_t>(code >> 24);
  auto proto = static_cast<uint8_t>(code >> 16);
  auto port = static_cast<uint16_t>(code);
  switch (kind) {
    case 0:
      if (proto == 6) return Tcp(port);
      break;
    case 1:
      if (proto == 17) return Udp(port);
      break;
    case 2:
      if (proto == 0 && port == 0) return Icmp();
      break;
    case 3:
      if (port == 0) return Protocol(proto);
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::string PortType::ToString() const {
  switch (kind_) {
    case PortKind::kTcp:
      return std::to_string(port_) + "/tcp";
    case PortKind::kUdp:
      return std::to_string(port_) + "/udp";
    case PortKind::kIcmp:
      return "ICMP";
    case PortKind::kProtocol:
      return "proto-" + std::to_string(protocol_);
  }
  return "?";
}

}  // namespace scanscope
