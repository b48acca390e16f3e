#pragma once
// Test support: build packets and capture files byte by byte.
//
// Every function returns a fresh byte vector; layers are composed by passing
// the inner bytes as the payload of the outer one:
//
//   Bytes syn = Ipv4(Ipv4Header{.source = V4("198.51.100.7"), .destination = V4("192.0.2.1"),
//                               .protocol = kTcp},
//                    Tcp(TcpHeader{.source_port = 40000, .destination_port = 445,
//                                  .flags = 0x02}));
//   Bytes frame = Ethernet(kEtherIpv4, syn, {VlanTag{.id = 10}});
//   WriteFile(dir / "x.pcap", PcapFile(1, {{.time_ns = 0, .data = frame}}));
//
// The builders follow the wire formats (RFC 791, 8200, 793, 768, 792, 4443;
// pcap and pcapng from draft-ietf-opsawg-pcap / -pcapng) and write what they
// are told, even when it is malformed: overrides exist for the length and
// version fields so tests can build bad packets. They are written independently
// of src/decode and never call it, so decoder tests compare against them.
// Checksums: IPv4 header and ICMPv4 checksums are always filled; TCP, UDP and
// ICMPv6 checksums are filled by Ipv4()/Ipv6() when the packet is not a
// fragment and the payload is long enough to hold the checksum field.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace scanscope::testing {

using Bytes = std::vector<uint8_t>;
using V4Address = std::array<uint8_t, 4>;
using V6Address = std::array<uint8_t, 16>;

// Text to address bytes; aborts the test program on a typo (test code only).
V4Address V4(std::string_view dotted_quad);
V6Address V6(std::string_view text);

// IP protocol numbers and EtherTypes used in tests.
inline constexpr uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kIcmpV6 = 58, kNoNextHeader = 59,
                         kEsp = 50, kGre = 47;
inline constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD, kEtherArp = 0x0806,
                          kEtherVlan = 0x8100, kEtherQinQ = 0x88A8, kEtherQinQOld = 0x9100;

// Appends `value` big-endian (network order) / little-endian.
void Put16(Bytes* b, uint16_t value);
void Put32(Bytes* b, uint32_t value);
void Put16Le(Bytes* b, uint16_t value);
void Put32Le(Bytes* b, uint32_t value);
// Concatenation.
Bytes Concat(const Bytes& a, const Bytes& b);
// The first `n` bytes (all of them if n >= size).
Bytes FirstBytes(const Bytes& b, size_t n);

// ---- Link layers -----------------------------------------------------------

struct VlanTag {
  uint16_t tpid = kEtherVlan;  // 0x8100, 0x88A8 or 0x9100
  uint16_t id = 0;             // 12-bit VLAN id
  uint8_t priority = 0;        // 3-bit PCP
};

// Ethernet II: dst MAC, src MAC, the tags outermost first, then `ether_type`.
// Pass an 802.3 length (< 0x0600) as ether_type to build an 802.3 frame.
Bytes Ethernet(uint16_t ether_type, const Bytes& payload, const std::vector<VlanTag>& tags = {});
// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16-byte header, protocol at 14.
Bytes LinuxSll(uint16_t protocol, const Bytes& payload, uint16_t packet_type = 0);
// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): 20-byte header, protocol at 0.
Bytes LinuxSll2(uint16_t protocol, const Bytes& payload, uint32_t interface_index = 1);
// BSD loopback (LINKTYPE_NULL, 0): the 4-byte family in the byte order asked for.
Bytes BsdNull(uint32_t family, const Bytes& payload, bool little_endian = true);
// OpenBSD loopback (LINKTYPE_LOOP, 108): the 4-byte family in network order.
Bytes BsdLoop(uint32_t family, const Bytes& payload);

// ---- IPv4 ------------------------------------------------------------------

struct Ipv4Header {
  V4Address source{192, 0, 2, 100};
  V4Address destination{192, 0, 2, 1};
  uint8_t protocol = kTcp;
  uint8_t ttl = 64;
  uint16_t id = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset_units = 0;  // in 8-byte units, as on the wire (13 bits)
  uint8_t tos = 0;
  Bytes options;  // appended after the fixed header, zero-padded to a multiple of 4
  // Overrides for malformed packets: written as given instead of computed.
  std::optional<uint8_t> version;        // default 4
  std::optional<uint8_t> ihl_words;      // default (20 + options) / 4
  std::optional<uint16_t> total_length;  // default header + payload
};
Bytes Ipv4(const Ipv4Header& h, const Bytes& payload);

// ---- IPv6 ------------------------------------------------------------------

// One extension header, whole, as it goes on the wire; its first byte (next
// header) is filled by Ipv6() to chain the headers.
struct Ipv6Extension {
  uint8_t type = 0;
  Bytes bytes;
};
// Hop-by-hop (0), routing (43), destination options (60) or mobility (135):
// `total_length` bytes (a multiple of 8, at least 8), length byte set, the rest
// zero (Pad1 options, routing type 0 with no segments left).
Ipv6Extension Ipv6OptionsHeader(uint8_t type, size_t total_length = 8);
// Fragment header (44): offset in 8-byte units, the M flag, the identification.
Ipv6Extension Ipv6FragmentHeader(uint16_t offset_units, bool more, uint32_t id);
// Authentication header (51): `total_length` bytes (a multiple of 4, at least
// 12), its length byte in 4-byte units minus 2.
Ipv6Extension Ipv6AuthHeader(size_t total_length = 24);

struct Ipv6Header {
  V6Address source = V6("2001:db8::100");
  V6Address destination = V6("2001:db8::1");
  uint8_t next_header = kTcp;  // the upper-layer protocol, after all extension headers
  uint8_t hop_limit = 64;
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;
  std::optional<uint8_t> version;          // default 6
  std::optional<uint16_t> payload_length;  // default extensions + payload (0 = jumbo)
};
Bytes Ipv6(const Ipv6Header& h, const Bytes& payload, const std::vector<Ipv6Extension>& ext = {});

// ---- Transport -------------------------------------------------------------

inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct TcpHeader {
  uint16_t source_port = 40000;
  uint16_t destination_port = 80;
  uint32_t seq = 1;
  uint32_t ack = 0;
  uint8_t flags = kSyn;
  uint16_t window = 65535;
  Bytes options;                       // zero-padded to a multiple of 4
  std::optional<uint8_t> data_offset;  // in 4-byte words; default (20 + options) / 4
};
Bytes Tcp(const TcpHeader& h, const Bytes& payload = {});
// UDP; the length field is 8 + payload unless overridden.
Bytes Udp(uint16_t source_port, uint16_t destination_port, const Bytes& payload = {},
          std::optional<uint16_t> length = std::nullopt);

// ICMPv4 (checksum filled): type, code, the 4 bytes after the checksum, data.
Bytes Icmp(uint8_t type, uint8_t code, uint32_t rest, const Bytes& data = {});
// Echo request (8) or reply (0).
Bytes IcmpEcho(bool request, uint16_t id, uint16_t seq, const Bytes& data = {});
// An error (3, 4, 5, 11, 12) quoting the first `quote_bytes` of `inner` (an IP packet).
Bytes IcmpError(uint8_t type, uint8_t code, const Bytes& inner, size_t quote_bytes = SIZE_MAX);
// ICMPv6 (checksum left 0: Ipv6() fills it, it needs the addresses).
Bytes Icmpv6(uint8_t type, uint8_t code, uint32_t rest, const Bytes& data = {});
// Echo request (128) or reply (129).
Bytes Icmpv6Echo(bool request, uint16_t id, uint16_t seq, const Bytes& data = {});
// An error (1, 2, 3, 4) quoting the first `quote_bytes` of `inner`.
Bytes Icmpv6Error(uint8_t type, uint8_t code, const Bytes& inner, size_t quote_bytes = SIZE_MAX);

// The Internet checksum (RFC 1071) of `data`, starting from `initial` (a partial sum).
uint16_t InternetChecksum(const uint8_t* data, size_t size, uint32_t initial = 0);

// ---- Capture files ---------------------------------------------------------

struct CapturedPacket {
  int64_t time_ns = 0;           // since the epoch, UTC
  Bytes data;                    // the captured bytes
  uint32_t original_length = 0;  // 0: data.size()
  uint32_t interface_id = 0;     // pcapng only: index into the interfaces
};

struct PcapOptions {
  bool big_endian = false;  // byte order of the whole file
  bool nanosecond = false;  // magic 0xA1B23C4D and ns timestamps, else us
  uint32_t snaplen = 262144;
};
// A classic pcap file: 24-byte header, then a 16-byte record header per packet.
// Times are truncated to the file's resolution.
Bytes PcapFile(uint32_t link_type, const std::vector<CapturedPacket>& packets,
               const PcapOptions& options = {});

struct PcapngInterface {
  uint16_t link_type = 1;
  uint32_t snaplen = 262144;
  uint8_t tsresol = 6;  // 10^-tsresol seconds per tick; an if_tsresol option is written unless 6
};
// A pcapng file: one Section Header Block, an Interface Description Block per
// interface, an Enhanced Packet Block per packet (in the order given).
Bytes PcapngFile(const std::vector<PcapngInterface>& interfaces,
                 const std::vector<CapturedPacket>& packets, bool big_endian = false);

// Writes `bytes` to `path` (truncating); false on any I/O error.
bool WriteFile(const std::filesystem::path& path, const Bytes& bytes);

}  // namespace scanscope::testing
