#pragma once
// PortType: how an access is classified by destination (docs/design.md):
// "445/tcp", "1026/udp", "ICMP" (ICMP and ICMPv6 alike), or "proto-47".

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace scanscope {

enum class PortKind : uint8_t { kTcp = 0, kUdp = 1, kIcmp = 2, kProtocol = 3 };

class PortType {
 public:
  constexpr PortType() = default;
  static constexpr PortType Tcp(uint16_t port) { return PortType(PortKind::kTcp, 6, port); }
  static constexpr PortType Udp(uint16_t port) { return PortType(PortKind::kUdp, 17, port); }
  static constexpr PortType Icmp() { return PortType(PortKind::kIcmp, 0, 0); }
  // Any IP protocol without ports we classify: "proto-N".
  static constexpr PortType Protocol(uint8_t protocol) {
    return PortType(PortKind::kProtocol, protocol, 0);
  }
  // Parses what ToString writes ("445/tcp", "ICMP", "proto-47"); nullopt otherwise.
  static std::optional<PortType> Parse(std::string_view text);

  // A dense 32-bit code that orders as kind, then port or protocol; stable on
  // disk and on the wire.
  constexpr uint32_t Code() const {
    return (uint32_t{static_cast<uint8_t>(kind_)} << 24) | (uint32_t{protocol_} << 16) | port_;
  }
  static std::optional<PortType> FromCode(uint32_t code);

  PortKind kind() const { return kind_; }
  uint16_t port() const { return port_; }
  uint8_t protocol() const { return protocol_; }
  std::string ToString() const;

  friend constexpr bool operator==(PortType a, PortType b) { return a.Code() == b.Code(); }
  friend constexpr bool operator<(PortType a, PortType b) { return a.Code() < b.Code(); }

 private:
  constexpr PortType(PortKind k, uint8_t proto, uint16_t port)
      : kind_(k), protocol_(proto), port_(port) {}
  PortKind kind_ = PortKind::kProtocol;
  uint8_t protocol_ = 0;
  uint16_t port_ = 0;
};
static_assert(sizeof(PortType) == 4);

}  // namespace scanscope

template <>
struct std::hash<scanscope::PortType> {
  size_t operator()(scanscope::PortType p) const { return std::hash<uint32_t>()(p.Code()); }
};
