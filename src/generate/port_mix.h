#pragma once
// What generated sources knock on: the destination port mix of the TALOT2
// reference (445/tcp dominant, then 135/tcp, ICMP echo, 22/tcp, 1433/tcp,
// 139/tcp, 80/tcp, 1026/udp and 1027/udp, then a long tail), and how each
// kind of prober behaves on the wire.

#include <cstdint>
#include <span>

#include "record/port_type.h"

namespace scanscope::generate {

// How a prober of this port behaves.
enum class Behavior : uint8_t {
  kWorm,        // connect() from an infected host: SYN, retransmits at +3 s and +9 s
  kBrute,       // password guessing: several attempts, retransmits
  kScan,        // service scan: one SYN, sometimes retransmitted
  kPing,        // ICMP echo requests
  kMessenger,   // Windows Messenger spam (1026/1027 udp): one large datagram
  kUdpProbe,    // a small UDP probe (NBNS status, DNS, SIP OPTIONS, Slammer)
  kRandomHigh,  // a random high port, TCP or UDP, chosen per session
};

// What a UDP payload looks like (also used by the packet builder).
enum class Payload : uint8_t {
  kNone = 0,
  kMessenger,    // DCE/RPC messenger pop-up, ~450-800 bytes
  kNbnsStatus,   // NetBIOS node status query, 50 bytes
  kSlammer,      // 376 bytes, as W32.SQLExp
  kSipOptions,   // SIP OPTIONS text
  kDnsQuery,     // a DNS query
  kNtp,          // an NTP client request, 48 bytes
  kPattern,      // filler bytes
  kWindowsPing,  // "abcdefghijklmnopqrstuvwabcdefghi"
  kWelchiaPing,  // 64 bytes of 0xAA
  kTls,          // TLS records (opaque)
};

struct PortEntry {
  PortType port;  // for kRandomHigh: Tcp(0) or Udp(0), port drawn per session
  double weight;  // share of base sessions whose prober picks this port
  Behavior behavior;
  Payload payload;  // for UDP
};

// The base mix, in the order of the reference's ranking.
std::span<const PortEntry> BasePortMix();

// The entry of the base mix that a uniform u in [0, 1) falls on, given the
// cumulative weights of this month (BasePortMix().size() entries; the
// generator lets each weight drift slowly from month to month).
const PortEntry& PickPort(std::span<const double> cumulative_weights, double u);

// Ports that events use as "new this month"; never drawn by the base mix or
// the random high-port tail, so that they are new in every month they occur.
std::span<const uint16_t> NewPortCandidates();

// A random high port for the tail (1025..65535), avoiding every port of the
// base mix and of NewPortCandidates().
uint16_t RandomHighPort(uint64_t bits);

}  // namespace scanscope::generate
