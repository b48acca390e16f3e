#pragma once
// Decode: link layer, IPv4/IPv6 (options, extension headers, fragments),
// TCP/UDP/ICMP/ICMPv6, as views into the buffer. No exceptions and no
// allocation on this path: every outcome that is not a decoded IP packet is a
// DecodeResult, counted by name in DecodeCounters.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "decode/packet_view.h"

namespace scanscope {

// Link types by their pcap LINKTYPE_ numbers (tcpdump.org/linktypes.html).
enum class LinkType : uint16_t {
  kNull = 0,  // BSD loopback, host-order 4-byte family
  kEthernet = 1,
  kRaw = 101,   // raw IPv4/IPv6 (version nibble decides)
  kLoop = 108,  // OpenBSD loopback, network-order 4-byte family
  kLinuxSll = 113,
  kIpv4 = 228,
  kIpv6 = 229,
  kLinuxSll2 = 276,
};

// Every way a frame can fail to become a PacketView. kOk is success; the
// others are counted. "not IP" outcomes (ARP, LLDP...) are not malformed.
enum class DecodeResult : uint8_t {
  kOk = 0,
  kNotIp,  // a valid frame carrying something other than IPv4/IPv6
  kUnsupportedLinkType,
  kTruncatedLinkHeader,
  kTruncatedVlanTag,
  kTooManyVlanTags,
  kTruncatedIpv4Header,
  kBadIpv4Version,       // version nibble not 4 where IPv4 was announced
  kBadIpv4HeaderLength,  // IHL < 5 or past the captured bytes
  kBadIpv4TotalLength,   // total length < header length
  kTruncatedIpv6Header,
  kBadIpv6Version,
  kTruncatedIpv6ExtensionHeader,
  kTooManyIpv6ExtensionHeaders,
  kTruncatedTcpHeader,
  kBadTcpDataOffset,
  kTruncatedUdpHeader,
  kTruncatedIcmpHeader,
  kFragmentTooShortForPorts,  // a first fragment that ends before the ports (ICMP: its 8-byte
                              // header)
  kBadIpVersion,              // raw/DecodeIp: no byte to read, or a version nibble neither 4 nor 6
  kCount,
};

std::string_view DecodeResultName(DecodeResult r);  // "truncated_ipv4_header"

// Counters by result; kOk counts decoded packets.
struct DecodeCounters {
  std::array<uint64_t, static_cast<size_t>(DecodeResult::kCount)> by_result{};
  void Add(DecodeResult r) { ++by_result[static_cast<size_t>(r)]; }
  uint64_t Get(DecodeResult r) const { return by_result[static_cast<size_t>(r)]; }
};

// Decodes one captured frame. *out is reset first. On kOk, *out describes the
// packet and its pointers point into `frame`, valid as long as the frame's
// buffer is. On any other result, the fields decoded before the failure are
// set (e.g. addresses for a truncated TCP header) and the rest hold their
// defaults; callers must not treat them as a packet. Never throws, never
// allocates, reads no byte outside `frame`. Thread-safe (no shared state).
// See docs/decode.md for the exact rules per layer.
DecodeResult DecodeFrame(LinkType link_type, std::span<const uint8_t> frame, PacketView* out);

// Decodes a bare IP packet (version from the first nibble). Same contract.
DecodeResult DecodeIp(std::span<const uint8_t> packet, PacketView* out);

// DecodeFrame, then counts the result in *counters.
inline DecodeResult DecodeFrame(LinkType link_type, std::span<const uint8_t> frame, PacketView* out,
                                DecodeCounters* counters) {
  DecodeResult r = DecodeFrame(link_type, frame, out);
  counters->Add(r);
  return r;
}

}  // namespace scanscope
