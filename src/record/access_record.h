#pragma once
// AccessRecord: one access (docs/design.md): an inbound packet to a watched address
// that the watched host did not ask for. The point it was seen at is carried
// by the batch, not by each record.

#include <cstdint>

#include "common/ip_address.h"
#include "record/port_type.h"

namespace scanscope {

// TCP flag bits as on the wire (byte 13 of the TCP header).
enum TcpFlag : uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
  kTcpEce = 0x40,
  kTcpCwr = 0x80,
};

struct AccessRecord {
  int64_t time_ns = 0;    // UTC, nanoseconds since the epoch
  IpAddress source;       // who sent it
  IpAddress destination;  // the watched address it hit
  PortType port_type;     // how it is classified by destination
  uint8_t tcp_flags = 0;  // TcpFlag bits; 0 for non-TCP
  uint8_t ttl = 0;        // IPv4 TTL or IPv6 hop limit
  uint16_t length = 0;    // IP datagram length in bytes (header included), as the header says
};

}  // namespace scanscope
