#pragma once
// The generator's output path: a packet described by a compact PacketSpec is
// rendered into an Ethernet frame (IPv4/IPv6, TCP/UDP/ICMP/ARP, checksums
// filled in) directly into a large buffer of a pcap file (classic libpcap
// format, microsecond stamps, link type 1 = Ethernet), written with big
// fwrite calls. Not thread-safe; one writer per file.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "generate/port_mix.h"

namespace scanscope::generate {

enum class Shape : uint8_t {
  kTcp,                  // TCP segment; `options` picks the option layout (TcpOptions)
  kUdp,                  // UDP datagram with `payload` bytes of kind `payload_kind`
  kIcmpEcho,             // ICMP / ICMPv6 echo request; seq = id << 16 | sequence
  kIcmpEchoFragment,     // one IPv4 fragment of a large echo request (see fragment fields)
  kIcmpPortUnreachable,  // ICMP type 3 code 3 from src to dst quoting dst's UDP
                         // packet to src:sport from dst:dport (ack = its IP id)
  kArpRequest,           // who-has dst tell src (broadcast)
  kArpReply,             // src is-at (to dst)
  kNeighborSolicit,      // ICMPv6 NS for dst (unicast), from link-local src
  kRouterAdvert,         // ICMPv6 RA from link-local src to ff02::1
};

enum class TcpOptions : uint8_t {
  kNone = 0,     // 20-byte header (raw scanners)
  kWindows = 1,  // MSS, NOP, NOP, SACK-permitted (XP/2003 SYN)
  kLinux = 2,    // MSS, SACK-permitted, timestamps, NOP, window scale
};

enum class LinkDirection : uint8_t {
  kInbound = 0,    // gateway MAC -> host MAC
  kOutbound = 1,   // host MAC -> gateway MAC
  kBroadcast = 2,  // a neighbour's MAC -> broadcast / multicast MAC for dst
};

// One packet to write. Times are UTC microseconds since the epoch.
struct PacketSpec {
  int64_t time_us = 0;
  IpAddress src;
  IpAddress dst;
  uint32_t seq = 0;  // TCP sequence; ICMP id << 16 | sequence
  uint32_t ack = 0;  // TCP acknowledgement; quoted IP id for kIcmpPortUnreachable
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint16_t payload = 0;  // L4 payload bytes (fragment: bytes of the whole echo payload)
  uint16_t ip_id = 0;
  uint16_t window = 0;  // TCP window; fragment index for kIcmpEchoFragment
  Shape shape = Shape::kTcp;
  uint8_t tcp_flags = 0;
  uint8_t ttl = 64;
  uint8_t options = 0;  // TcpOptions for TCP
  Payload payload_kind = Payload::kNone;
  LinkDirection link = LinkDirection::kInbound;
  bool access = false;     // an access by docs/design.md's definition
  uint32_t port_code = 0;  // PortType::Code() of an access (for events and filters)
};

// Ethernet addresses of one monitoring point's link.
struct PointLink {
  uint8_t host_mac[6];
  uint8_t gateway_mac[6];
  uint8_t neighbor_mac[6];
};

// Fragment size used for large echo requests: 1480 payload bytes per fragment.
constexpr int kFragmentData = 1480;
// How many IPv4 fragments an echo with `payload` bytes (plus 8 of ICMP header) needs.
inline int FragmentCount(int payload) { return (payload + 8 + kFragmentData - 1) / kFragmentData; }

class PcapFileWriter {
 public:
  PcapFileWriter() = default;
  ~PcapFileWriter();
  PcapFileWriter(const PcapFileWriter&) = delete;
  PcapFileWriter& operator=(const PcapFileWriter&) = delete;

  // Creates (truncates) `path` and writes the pcap file header.
  Status Open(const std::string& path);
  // Renders and appends one packet.
  Status Write(const PacketSpec& spec, const PointLink& link);
  // Flushes and closes; the file is complete only after an OK Close().
  Status Close();
  uint64_t packets() const { return packets_; }

 private:
  Status Flush();
  FILE* file_ = nullptr;
  std::string path_;
  std::vector<uint8_t> buffer_;
  size_t used_ = 0;
  uint64_t packets_ = 0;
};

// Renders the Ethernet frame of `spec` into `out` (room for 2048 bytes) and
// returns its length. Exposed for tests.
size_t RenderFrame(const PacketSpec& spec, const PointLink& link, uint8_t* out);

}  // namespace scanscope::generate
