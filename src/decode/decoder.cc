#include "decode/decoder.h"

#include <algorithm>

// Decoding reads fields with explicit big-endian loads from byte pointers (no
// wire structs, so no alignment or packing questions) after checking, once per
// header, that the header's bytes are inside the frame. Lengths are uint32_t:
// a frame is far below 4 GiB. The rules are written out in docs/decode.md.

namespace scanscope {

namespace {

inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Load32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}
inline uint32_t Load32Le(const uint8_t* p) {
  return (static_cast<uint32_t>(p[3]) << 24) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[1]) << 8) | p[0];
}

constexpr int kMaxVlanTags = 8;
constexpr int kMaxIpv6ExtensionHeaders = 16;

constexpr uint32_t kEthernetHeader = 14;
constexpr uint32_t kVlanTag = 4;
constexpr uint32_t kSllHeader = 16;
constexpr uint32_t kSll2Header = 20;
constexpr uint32_t kNullHeader = 4;
constexpr uint32_t kIpv4MinHeader = 20;
constexpr uint32_t kIpv6Header = 40;
constexpr uint32_t kTcpMinHeader = 20;
constexpr uint32_t kUdpHeader = 8;
constexpr uint32_t kIcmpHeader = 8;
constexpr uint32_t kPortBytes = 4;

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88A8;
constexpr uint16_t kEtherTypeQinQOld = 0x9100;

// ICMP types that quote the offending packet.
constexpr uint32_t kIcmpV4ErrorMask = (1u << 3) | (1u << 4) | (1u << 5) | (1u << 11) | (1u << 12);
constexpr uint32_t kIcmpV6ErrorMask = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4);

inline bool IsIcmpError(uint8_t protocol, uint8_t type) {
  uint32_t mask = protocol == kProtoIcmp ? kIcmpV4ErrorMask : kIcmpV6ErrorMask;
  return type < 32 && ((mask >> type) & 1u) != 0;
}

inline bool IsIcmpEcho(uint8_t protocol, uint8_t type) {
  return protocol == kProtoIcmp ? (type == 0 || type == 8) : (type == 128 || type == 129);
}

inline bool HasPorts(uint8_t protocol) { return protocol == kProtoTcp || protocol == kProtoUdp; }

inline bool IsIpv6ExtensionHeader(uint8_t next) {
  switch (next) {
    case 0:    // hop-by-hop options
    case 43:   // routing
    case 44:   // fragment
    case 51:   // authentication header
    case 60:   // destination options
    case 135:  // mobility
      return true;
    default:
      return false;
  }
}

// The IPv6 extension header chain from p[40] up to p[end).
struct Ipv6Chain {
  uint8_t protocol = 0;    // the first next-header value that is not an extension header
  uint32_t l4_offset = 0;  // from the start of the IPv6 header
  bool has_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;  // bytes
  uint32_t fragment_id = 0;
};

// Walks the chain. Stops at a non-first fragment (what follows is not a
// header). On an error, out->protocol is the header that could not be read.
DecodeResult WalkIpv6Chain(const uint8_t* p, uint32_t end, Ipv6Chain* out) {
  uint8_t next = p[6];
  uint32_t off = kIpv6Header;
  for (int i = 0; IsIpv6ExtensionHeader(next); ++i) {
    out->protocol = next;
    if (i == kMaxIpv6ExtensionHeaders) return DecodeResult::kTooManyIpv6ExtensionHeaders;
    // Every extension header is at least 8 bytes long.
    if (end - off < 8) return DecodeResult::kTruncatedIpv6ExtensionHeader;
    const uint8_t* h = p + off;
    uint32_t length;
    bool non_first_fragment = false;
    if (next == 44) {
      length = 8;
      uint16_t offset_flags = Load16(h + 2);
      out->has_fragment = true;
      out->fragment_offset = static_cast<uint16_t>(offset_flags & 0xFFF8);
      out->more_fragments = (offset_flags & 1) != 0;
      out->fragment_id = Load32(h + 4);
      non_first_fragment = out->fragment_offset != 0;
    } else if (next == 51) {
      length = (static_cast<uint32_t>(h[1]) + 2) * 4;
    } else {
      length = (static_cast<uint32_t>(h[1]) + 1) * 8;
    }
    if (length > end - off) return DecodeResult::kTruncatedIpv6ExtensionHeader;
    next = h[0];
    off += length;
    if (non_first_fragment) break;
  }
  out->protocol = next;
  out->l4_offset = off;
  return DecodeResult::kOk;
}

// The packet an ICMP error quotes: `n` bytes at `p`. Best effort: reads what
// is there and never fails (a short quote leaves q->present false).
void DecodeQuote(const uint8_t* p, uint32_t n, QuotedPacket* q) {
  if (n == 0) return;
  const uint8_t version = p[0] >> 4;
  uint32_t l4 = 0;
  bool first_fragment = true;
  if (version == 4) {
    if (n < kIpv4MinHeader) return;
    q->present = true;
    q->source = IpAddress::FromV4Bytes(p + 12);
    q->destination = IpAddress::FromV4Bytes(p + 16);
    q->protocol = p[9];
    l4 = (p[0] & 0x0Fu) * 4;
    first_fragment = (Load16(p + 6) & 0x1FFF) == 0;
    if (l4 < kIpv4MinHeader) return;
  } else if (version == 6) {
    if (n < kIpv6Header) return;
    q->present = true;
    q->source = IpAddress::FromV6Bytes(p + 8);
    q->destination = IpAddress::FromV6Bytes(p + 24);
    Ipv6Chain chain;
    DecodeResult r = WalkIpv6Chain(p, n, &chain);
    q->protocol = chain.protocol;
    if (r != DecodeResult::kOk) return;
    l4 = chain.l4_offset;
    first_fragment = chain.fragment_offset == 0;
  } else {
    return;
  }
  if (first_fragment && HasPorts(q->protocol) && l4 <= n && n - l4 >= kPortBytes) {
    q->has_ports = true;
    q->source_port = Load16(p + l4);
    q->destination_port = Load16(p + l4 + 2);
  }
}

// The transport header at `l4`: `captured` bytes are in the frame (and inside
// the IP packet), `claimed` bytes are what the IP header says the packet holds
// from here on (>= captured). `first_of_several` marks a first fragment with
// more to come, whose own length may legitimately end inside the header.
DecodeResult DecodeTransport(const uint8_t* l4, uint32_t captured, uint32_t claimed,
                             bool first_of_several, PacketView* out) {
  out->l4 = l4;
  out->l4_captured = captured;
  const uint8_t protocol = out->protocol;
  if (HasPorts(protocol)) {
    const bool tcp = protocol == kProtoTcp;
    const uint32_t header = tcp ? kTcpMinHeader : kUdpHeader;
    const DecodeResult truncated =
        tcp ? DecodeResult::kTruncatedTcpHeader : DecodeResult::kTruncatedUdpHeader;
    if (first_of_several && claimed < header) {
      // A tiny first fragment: ports (and TCP flags) if its own length has them.
      if (claimed < kPortBytes) return DecodeResult::kFragmentTooShortForPorts;
      if (captured < claimed) return truncated;
      out->has_ports = true;
      out->source_port = Load16(l4);
      out->destination_port = Load16(l4 + 2);
      if (tcp && captured > 13) out->tcp_flags = l4[13];
      return DecodeResult::kOk;
    }
    if (captured < header) return truncated;
    if (tcp) {
      const uint32_t data_offset = (l4[12] >> 4) * 4u;
      if (data_offset < kTcpMinHeader || (!first_of_several && data_offset > claimed)) {
        return DecodeResult::kBadTcpDataOffset;
      }
      out->tcp_flags = l4[13];
    }
    out->has_ports = true;
    out->source_port = Load16(l4);
    out->destination_port = Load16(l4 + 2);
    return DecodeResult::kOk;
  }
  if (protocol == kProtoIcmp || protocol == kProtoIcmpV6) {
    if (first_of_several && claimed < kIcmpHeader) return DecodeResult::kFragmentTooShortForPorts;
    if (captured < kIcmpHeader) return DecodeResult::kTruncatedIcmpHeader;
    const uint8_t type = l4[0];
    out->is_icmp = true;
    out->icmp_type = type;
    out->icmp_code = l4[1];
    if (IsIcmpEcho(protocol, type)) {
      out->icmp_id = Load16(l4 + 4);
    } else if (IsIcmpError(protocol, type)) {
      out->icmp_is_error = true;
      DecodeQuote(l4 + kIcmpHeader, captured - kIcmpHeader, &out->quoted);
    }
    return DecodeResult::kOk;
  }
  // Any other protocol (ESP, GRE, SCTP, no-next-header...): no L4 fields.
  return DecodeResult::kOk;
}

DecodeResult DecodeIpv4(const uint8_t* p, uint32_t n, PacketView* out) {
  if (n < kIpv4MinHeader) return DecodeResult::kTruncatedIpv4Header;
  if ((p[0] >> 4) != 4) return DecodeResult::kBadIpv4Version;
  const uint32_t header = (p[0] & 0x0Fu) * 4;
  if (header < kIpv4MinHeader || header > n) return DecodeResult::kBadIpv4HeaderLength;
  const uint32_t total = Load16(p + 2);
  if (total < header) return DecodeResult::kBadIpv4TotalLength;
  const uint16_t fragment = Load16(p + 6);
  out->ip_version = 4;
  out->ip_length = static_cast<uint16_t>(total);
  out->ttl = p[8];
  out->protocol = p[9];
  out->source = IpAddress::FromV4Bytes(p + 12);
  out->destination = IpAddress::FromV4Bytes(p + 16);
  out->fragment_id = Load16(p + 4);
  out->more_fragments = (fragment & 0x2000) != 0;
  out->fragment_offset = static_cast<uint16_t>((fragment & 0x1FFF) << 3);
  out->is_fragment = out->more_fragments || out->fragment_offset != 0;
  out->first_fragment = out->fragment_offset == 0;
  const uint32_t end = std::min(n, total);
  if (!out->first_fragment) {
    // The rest of a fragmented datagram: bytes, not a header.
    out->l4 = p + header;
    out->l4_captured = end - header;
    return DecodeResult::kOk;
  }
  return DecodeTransport(p + header, end - header, total - header, out->more_fragments, out);
}

DecodeResult DecodeIpv6(const uint8_t* p, uint32_t n, PacketView* out) {
  if (n < kIpv6Header) return DecodeResult::kTruncatedIpv6Header;
  if ((p[0] >> 4) != 6) return DecodeResult::kBadIpv6Version;
  const uint32_t payload = Load16(p + 4);
  // Payload length 0 is a jumbogram (RFC 2675): the payload is what was captured.
  const uint32_t claimed_end = payload == 0 ? n : kIpv6Header + payload;
  const uint32_t end = std::min(n, claimed_end);
  out->ip_version = 6;
  out->ip_length = static_cast<uint16_t>(std::min<uint32_t>(claimed_end, 0xFFFF));
  out->ttl = p[7];
  out->source = IpAddress::FromV6Bytes(p + 8);
  out->destination = IpAddress::FromV6Bytes(p + 24);
  Ipv6Chain chain;
  const DecodeResult r = WalkIpv6Chain(p, end, &chain);
  out->protocol = chain.protocol;
  if (r != DecodeResult::kOk) return r;
  out->fragment_id = chain.fragment_id;
  out->more_fragments = chain.more_fragments;
  out->fragment_offset = chain.fragment_offset;
  // A Fragment header with offset 0 and M clear is an atomic fragment (RFC 6946): whole.
  out->is_fragment = chain.more_fragments || chain.fragment_offset != 0;
  out->first_fragment = chain.fragment_offset == 0;
  const uint32_t off = chain.l4_offset;
  if (!out->first_fragment) {
    out->l4 = p + off;
    out->l4_captured = end - off;
    return DecodeResult::kOk;
  }
  return DecodeTransport(p + off, end - off, claimed_end - off, chain.more_fragments, out);
}

DecodeResult DecodeIpByVersion(const uint8_t* p, uint32_t n, PacketView* out) {
  if (n == 0) return DecodeResult::kBadIpVersion;
  switch (p[0] >> 4) {
    case 4:
      return DecodeIpv4(p, n, out);
    case 6:
      return DecodeIpv6(p, n, out);
    default:
      return DecodeResult::kBadIpVersion;
  }
}

// `ether_type` announces what starts at p; VLAN tags (4 bytes: TCI, then the
// next EtherType) are skipped, at most kMaxVlanTags of them.
DecodeResult DecodeEtherType(uint16_t ether_type, const uint8_t* p, uint32_t n, PacketView* out) {
  for (int tags = 0; ether_type == kEtherTypeVlan || ether_type == kEtherTypeQinQ ||
                     ether_type == kEtherTypeQinQOld;
       ++tags) {
    if (tags == kMaxVlanTags) return DecodeResult::kTooManyVlanTags;
    if (n < kVlanTag) return DecodeResult::kTruncatedVlanTag;
    ether_type = Load16(p + 2);
    p += kVlanTag;
    n -= kVlanTag;
  }
  if (ether_type == kEtherTypeIpv4) return DecodeIpv4(p, n, out);
  if (ether_type == kEtherTypeIpv6) return DecodeIpv6(p, n, out);
  return DecodeResult::kNotIp;  // ARP, LLDP, 802.3 length fields (< 0x0600)...
}

// BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 is 24
// (NetBSD, OpenBSD), 28 (FreeBSD, DragonFly) or 30 (macOS).
DecodeResult DecodeFamily(uint32_t family, const uint8_t* p, uint32_t n, PacketView* out) {
  if (family == 2) return DecodeIpv4(p, n, out);
  if (family == 24 || family == 28 || family == 30) return DecodeIpv6(p, n, out);
  return DecodeResult::kNotIp;
}

}  // namespace

std::string_view DecodeResultName(DecodeResult r) {
  static constexpr std::string_view kNames[] = {
      "ok",
      "not_ip",
      "unsupported_link_type",
      "truncated_link_header",
      "truncated_vlan_tag",
      "too_many_vlan_tags",
      "truncated_ipv4_header",
      "bad_ipv4_version",
      "bad_ipv4_header_length",
      "bad_ipv4_total_length",
      "truncated_ipv6_header",
      "bad_ipv6_version",
      "truncated_ipv6_extension_header",
      "too_many_ipv6_extension_headers",
      "truncated_tcp_header",
      "bad_tcp_data_offset",
      "truncated_udp_header",
      "truncated_icmp_header",
      "fragment_too_short_for_ports",
      "bad_ip_version",
  };
  static_assert(std::size(kNames) == static_cast<size_t>(DecodeResult::kCount));
  const auto i = static_cast<size_t>(r);
  return i < std::size(kNames) ? kNames[i] : std::string_view("unknown");
}

DecodeResult DecodeFrame(LinkType link_type, std::span<const uint8_t> frame, PacketView* out) {
  *out = PacketView{};
  const uint8_t* p = frame.data();
  const auto n = static_cast<uint32_t>(std::min<size_t>(frame.size(), UINT32_MAX));
  switch (link_type) {
    case LinkType::kEthernet: {
      if (n < kEthernetHeader) return DecodeResult::kTruncatedLinkHeader;
      return DecodeEtherType(Load16(p + 12), p + kEthernetHeader, n - kEthernetHeader, out);
    }
    case LinkType::kLinuxSll:
      if (n < kSllHeader) return DecodeResult::kTruncatedLinkHeader;
      return DecodeEtherType(Load16(p + 14), p + kSllHeader, n - kSllHeader, out);
    case LinkType::kLinuxSll2:
      if (n < kSll2Header) return DecodeResult::kTruncatedLinkHeader;
      return DecodeEtherType(Load16(p), p + kSll2Header, n - kSll2Header, out);
    case LinkType::kRaw:
      return DecodeIpByVersion(p, n, out);
    case LinkType::kIpv4:
      return DecodeIpv4(p, n, out);
    case LinkType::kIpv6:
      return DecodeIpv6(p, n, out);
    case LinkType::kNull: {
      if (n < kNullHeader) return DecodeResult::kTruncatedLinkHeader;
      // Host order of the capturing machine, which the file does not say:
      // the family is a small number, so the order with it in the low byte wins.
      const uint32_t le = Load32Le(p);
      const uint32_t family = le <= 0xFF ? le : Load32(p);
      return DecodeFamily(family, p + kNullHeader, n - kNullHeader, out);
    }
    case LinkType::kLoop:
      if (n < kNullHeader) return DecodeResult::kTruncatedLinkHeader;
      return DecodeFamily(Load32(p), p + kNullHeader, n - kNullHeader, out);
  }
  return DecodeResult::kUnsupportedLinkType;
}

DecodeResult DecodeIp(std::span<const uint8_t> packet, PacketView* out) {
  *out = PacketView{};
  return DecodeIpByVersion(packet.data(),
                           static_cast<uint32_t>(std::min<size_t>(packet.size(), UINT32_MAX)), out);
}

}  // namespace scanscope
