#pragma once
// PacketView: what decode learned about one IP packet, as values and pointers
// into the capture buffer (no allocation per packet). Filled by DecodeFrame for
// captured frames, and by the netfilter log parser for logged packets, so that
// classify has one input whatever the capture source.

#include <cstdint>

#include "common/ip_address.h"

namespace scanscope {

enum IpProtocol : uint8_t {
  kProtoIcmp = 1,
  kProtoTcp = 6,
  kProtoUdp = 17,
  kProtoIcmpV6 = 58,
};

// The packet an ICMP/ICMPv6 error quotes (its first bytes, as the error carries them).
struct QuotedPacket {
  bool present = false;  // the error carried enough of an IP header to read src/dst
  IpAddress source;
  IpAddress destination;
  uint8_t protocol = 0;
  bool has_ports = false;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
};

struct PacketView {
  uint8_t ip_version = 0;  // 4 or 6
  IpAddress source;
  IpAddress destination;
  uint8_t protocol = 0;    // the upper-layer protocol (after IPv6 extension headers)
  uint8_t ttl = 0;         // TTL or hop limit
  uint16_t ip_length = 0;  // total length from the IP header (IPv6: 40 + payload length,
                           // saturated at 65535; a jumbogram's payload is its captured bytes)

  // Fragments. For IPv4, the header's id/offset/MF; for IPv6, the Fragment header.
  bool is_fragment = false;      // MF set or offset != 0
  bool first_fragment = true;    // offset == 0 (true for unfragmented packets too)
  uint32_t fragment_id = 0;      // IPv4: 16-bit id; IPv6: the Fragment header's 32-bit id
  uint16_t fragment_offset = 0;  // in bytes (the header's 8-byte units times 8)
  bool more_fragments = false;   // the MF (IPv4) or M (IPv6) bit

  // Transport ports (TCP/UDP, first fragment or unfragmented only).
  bool has_ports = false;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint8_t tcp_flags = 0;

  // ICMP / ICMPv6.
  bool is_icmp = false;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;        // echo identifier (echo request/reply only)
  bool icmp_is_error = false;  // destination unreachable, time exceeded, parameter problem, (v4)
                               // source quench/redirect, (v6) packet too big
  QuotedPacket quoted;         // set when icmp_is_error and the quote could be read

  // Pointer into the capture buffer at the transport header, and the bytes
  // captured from there on (may be less than the packet claims).
  const uint8_t* l4 = nullptr;
  uint32_t l4_captured = 0;
};

}  // namespace scanscope
