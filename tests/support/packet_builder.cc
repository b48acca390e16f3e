#include "support/packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace scanscope::testing {

namespace {

void Fail(std::string_view what, std::string_view text) {
  std::fprintf(stderr, "packet_builder: bad %.*s '%.*s'\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(text.size()), text.data());
  std::abort();
}

void Set16(Bytes* b, size_t at, uint16_t v) {
  (*b)[at] = static_cast<uint8_t>(v >> 8);
  (*b)[at + 1] = static_cast<uint8_t>(v);
}

void Append(Bytes* b, const Bytes& tail) { b->insert(b->end(), tail.begin(), tail.end()); }

void PadTo4(Bytes* b) {
  while (b->size() % 4 != 0) b->push_back(0);
}

// Sum of the pseudo-header (RFC 793/768 for IPv4, RFC 8200 8.1 for IPv6) for a
// transport checksum.
uint32_t PseudoHeaderSum(const uint8_t* src, const uint8_t* dst, size_t address_size,
                         uint8_t protocol, uint32_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i < address_size; i += 2) {
    sum += static_cast<uint32_t>(src[i] << 8 | src[i + 1]);
    sum += static_cast<uint32_t>(dst[i] << 8 | dst[i + 1]);
  }
  sum += length >> 16;
  sum += length & 0xFFFF;
  sum += protocol;
  return sum;
}

// Fills the TCP/UDP/ICMPv6 checksum of `l4` (a whole transport segment) in place.
void FillTransportChecksum(uint8_t protocol, const uint8_t* src, const uint8_t* dst,
                           size_t address_size, uint8_t* l4, size_t size) {
  size_t at;
  if (protocol == kTcp) {
    at = 16;
  } else if (protocol == kUdp) {
    at = 6;
  } else if (protocol == kIcmpV6) {
    at = 2;
  } else {
    return;
  }
  if (size < at + 2) return;
  l4[at] = 0;
  l4[at + 1] = 0;
  uint16_t c = InternetChecksum(
      l4, size, PseudoHeaderSum(src, dst, address_size, protocol, static_cast<uint32_t>(size)));
  if (protocol == kUdp && c == 0) c = 0xFFFF;
  l4[at] = static_cast<uint8_t>(c >> 8);
  l4[at + 1] = static_cast<uint8_t>(c);
}

Bytes IcmpLike(uint8_t type, uint8_t code, uint32_t rest, const Bytes& data, bool checksum) {
  Bytes b{type, code, 0, 0};
  Put32(&b, rest);
  Append(&b, data);
  if (checksum) Set16(&b, 2, InternetChecksum(b.data(), b.size()));
  return b;
}

}  // namespace

V4Address V4(std::string_view text) {
  std::string s(text);
  V4Address a{};
  if (inet_pton(AF_INET, s.c_str(), a.data()) != 1) Fail("IPv4 address", text);
  return a;
}

V6Address V6(std::string_view text) {
  std::string s(text);
  V6Address a{};
  if (inet_pton(AF_INET6, s.c_str(), a.data()) != 1) Fail("IPv6 address", text);
  return a;
}

void Put16(Bytes* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v >> 8));
  b->push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes* b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
void Put16Le(Bytes* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v));
  b->push_back(static_cast<uint8_t>(v >> 8));
}
void Put32Le(Bytes* b, uint32_t v) {
  Put16Le(b, static_cast<uint16_t>(v));
  Put16Le(b, static_cast<uint16_t>(v >> 16));
}

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes r = a;
  Append(&r, b);
  return r;
}

Bytes FirstBytes(const Bytes& b, size_t n) {
  return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(std::min(n, b.size())));
}

uint16_t InternetChecksum(const uint8_t* data, size_t size, uint32_t initial) {
  uint64_t sum = initial;
  for (size_t i = 0; i + 1 < size; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (size % 2 == 1) sum += static_cast<uint32_t>(data[size - 1] << 8);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// ---- Link layers -----------------------------------------------------------

Bytes Ethernet(uint16_t ether_type, const Bytes& payload, const std::vector<VlanTag>& tags) {
  // Destination 02:00:00:00:00:01, source 02:00:00:00:00:02 (locally administered).
  Bytes b{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
  for (const VlanTag& t : tags) {
    Put16(&b, t.tpid);
    Put16(&b, static_cast<uint16_t>((t.priority & 0x7) << 13 | (t.id & 0x0FFF)));
  }
  Put16(&b, ether_type);
  Append(&b, payload);
  return b;
}

Bytes LinuxSll(uint16_t protocol, const Bytes& payload, uint16_t packet_type) {
  Bytes b;
  Put16(&b, packet_type);                                           // 0: to us
  Put16(&b, 1);                                                     // ARPHRD_ETHER
  Put16(&b, 6);                                                     // link-layer address length
  for (uint8_t x : {0x02, 0, 0, 0, 0, 0x02, 0, 0}) b.push_back(x);  // address, padded to 8
  Put16(&b, protocol);
  Append(&b, payload);
  return b;
}

Bytes LinuxSll2(uint16_t protocol, const Bytes& payload, uint32_t interface_index) {
  Bytes b;
  Put16(&b, protocol);
  Put16(&b, 0);  // reserved
  Put32(&b, interface_index);
  Put16(&b, 1);    // ARPHRD_ETHER
  b.push_back(0);  // packet type: to us
  b.push_back(6);  // link-layer address length
  for (uint8_t x : {0x02, 0, 0, 0, 0, 0x02, 0, 0}) b.push_back(x);
  Append(&b, payload);
  return b;
}

Bytes BsdNull(uint32_t family, const Bytes& payload, bool little_endian) {
  Bytes b;
  if (little_endian) {
    Put32Le(&b, family);
  } else {
    Put32(&b, family);
  }
  Append(&b, payload);
  return b;
}

Bytes BsdLoop(uint32_t family, const Bytes& payload) { return BsdNull(family, payload, false); }

// ---- IPv4 ------------------------------------------------------------------

Bytes Ipv4(const Ipv4Header& h, const Bytes& payload) {
  Bytes options = h.options;
  PadTo4(&options);
  const size_t header = 20 + options.size();
  Bytes b;
  uint8_t ihl = h.ihl_words.value_or(static_cast<uint8_t>(header / 4));
  b.push_back(static_cast<uint8_t>(h.version.value_or(4) << 4 | (ihl & 0x0F)));
  b.push_back(h.tos);
  Put16(&b, h.total_length.value_or(static_cast<uint16_t>(header + payload.size())));
  Put16(&b, h.id);
  Put16(&b, static_cast<uint16_t>((h.dont_fragment ? 0x4000 : 0) | (h.more_fragments ? 0x2000 : 0) |
                                  (h.fragment_offset_units & 0x1FFF)));
  b.push_back(h.ttl);
  b.push_back(h.protocol);
  Put16(&b, 0);  // checksum, below
  b.insert(b.end(), h.source.begin(), h.source.end());
  b.insert(b.end(), h.destination.begin(), h.destination.end());
  Append(&b, options);
  Set16(&b, 10, InternetChecksum(b.data(), b.size()));
  Append(&b, payload);
  if (!h.more_fragments && h.fragment_offset_units == 0) {
    FillTransportChecksum(h.protocol, h.source.data(), h.destination.data(), 4, b.data() + header,
                          payload.size());
  }
  return b;
}

// ---- IPv6 ------------------------------------------------------------------

Ipv6Extension Ipv6OptionsHeader(uint8_t type, size_t total_length) {
  Ipv6Extension e{type, Bytes(total_length, 0)};
  e.bytes[1] = static_cast<uint8_t>(total_length / 8 - 1);
  return e;
}

Ipv6Extension Ipv6FragmentHeader(uint16_t offset_units, bool more, uint32_t id) {
  Ipv6Extension e{44, {0, 0}};
  Put16(&e.bytes, static_cast<uint16_t>((offset_units << 3) | (more ? 1 : 0)));
  Put32(&e.bytes, id);
  return e;
}

Ipv6Extension Ipv6AuthHeader(size_t total_length) {
  Ipv6Extension e{51, Bytes(total_length, 0)};
  e.bytes[1] = static_cast<uint8_t>(total_length / 4 - 2);
  e.bytes[7] = 0x01;  // SPI 1 (0 is reserved)
  return e;
}

Bytes Ipv6(const Ipv6Header& h, const Bytes& payload, const std::vector<Ipv6Extension>& ext) {
  Bytes chain;
  bool fragment = false;
  for (size_t i = 0; i < ext.size(); ++i) {
    Bytes e = ext[i].bytes;
    e[0] = i + 1 < ext.size() ? ext[i + 1].type : h.next_header;
    if (ext[i].type == 44 && (e[3] & 1 || (e[2] << 8 | e[3]) >> 3)) fragment = true;
    Append(&chain, e);
  }
  Bytes b;
  Put32(&b, static_cast<uint32_t>(h.version.value_or(6)) << 28 |
                static_cast<uint32_t>(h.traffic_class) << 20 | (h.flow_label & 0xFFFFF));
  Put16(&b, h.payload_length.value_or(static_cast<uint16_t>(chain.size() + payload.size())));
  b.push_back(ext.empty() ? h.next_header : ext[0].type);
  b.push_back(h.hop_limit);
  b.insert(b.end(), h.source.begin(), h.source.end());
  b.insert(b.end(), h.destination.begin(), h.destination.end());
  Append(&b, chain);
  const size_t l4 = b.size();
  Append(&b, payload);
  if (!fragment) {
    FillTransportChecksum(h.next_header, h.source.data(), h.destination.data(), 16, b.data() + l4,
                          payload.size());
  }
  return b;
}

// ---- Transport -------------------------------------------------------------

Bytes Tcp(const TcpHeader& h, const Bytes& payload) {
  Bytes options = h.options;
  PadTo4(&options);
  Bytes b;
  Put16(&b, h.source_port);
  Put16(&b, h.destination_port);
  Put32(&b, h.seq);
  Put32(&b, h.ack);
  b.push_back(static_cast<uint8_t>(h.data_offset.value_or((20 + options.size()) / 4) << 4));
  b.push_back(h.flags);
  Put16(&b, h.window);
  Put16(&b, 0);  // checksum: Ipv4()/Ipv6() fill it
  Put16(&b, 0);  // urgent pointer
  Append(&b, options);
  Append(&b, payload);
  return b;
}

Bytes Udp(uint16_t source_port, uint16_t destination_port, const Bytes& payload,
          std::optional<uint16_t> length) {
  Bytes b;
  Put16(&b, source_port);
  Put16(&b, destination_port);
  Put16(&b, length.value_or(static_cast<uint16_t>(8 + payload.size())));
  Put16(&b, 0);
  Append(&b, payload);
  return b;
}

Bytes Icmp(uint8_t type, uint8_t code, uint32_t rest, const Bytes& data) {
  return IcmpLike(type, code, rest, data, true);
}

Bytes IcmpEcho(bool request, uint16_t id, uint16_t seq, const Bytes& data) {
  return Icmp(request ? 8 : 0, 0, static_cast<uint32_t>(id) << 16 | seq, data);
}

Bytes IcmpError(uint8_t type, uint8_t code, const Bytes& inner, size_t quote_bytes) {
  return Icmp(type, code, 0, FirstBytes(inner, quote_bytes));
}

Bytes Icmpv6(uint8_t type, uint8_t code, uint32_t rest, const Bytes& data) {
  return IcmpLike(type, code, rest, data, false);
}

Bytes Icmpv6Echo(bool request, uint16_t id, uint16_t seq, const Bytes& data) {
  return Icmpv6(request ? 128 : 129, 0, static_cast<uint32_t>(id) << 16 | seq, data);
}

Bytes Icmpv6Error(uint8_t type, uint8_t code, const Bytes& inner, size_t quote_bytes) {
  // Packet Too Big (2) carries the MTU in the 4 bytes after the checksum.
  return Icmpv6(type, code, type == 2 ? 1280 : 0, FirstBytes(inner, quote_bytes));
}

// ---- Capture files ---------------------------------------------------------

Bytes PcapFile(uint32_t link_type, const std::vector<CapturedPacket>& packets,
               const PcapOptions& o) {
  Bytes b;
  auto put16 = [&](uint16_t v) { o.big_endian ? Put16(&b, v) : Put16Le(&b, v); };
  auto put32 = [&](uint32_t v) { o.big_endian ? Put32(&b, v) : Put32Le(&b, v); };
  put32(o.nanosecond ? 0xA1B23C4D : 0xA1B2C3D4);
  put16(2);  // version 2.4
  put16(4);
  put32(0);  // thiszone
  put32(0);  // sigfigs
  put32(o.snaplen);
  put32(link_type);
  const int64_t per_second = 1'000'000'000;
  const int64_t unit = o.nanosecond ? 1 : 1000;
  for (const CapturedPacket& p : packets) {
    put32(static_cast<uint32_t>(p.time_ns / per_second));
    put32(static_cast<uint32_t>((p.time_ns % per_second) / unit));
    put32(static_cast<uint32_t>(p.data.size()));
    put32(p.original_length != 0 ? p.original_length : static_cast<uint32_t>(p.data.size()));
    Append(&b, p.data);
  }
  return b;
}

Bytes PcapngFile(const std::vector<PcapngInterface>& interfaces,
                 const std::vector<CapturedPacket>& packets, bool big_endian) {
  Bytes b;
  auto put16 = [&](uint16_t v) { big_endian ? Put16(&b, v) : Put16Le(&b, v); };
  auto put32 = [&](uint32_t v) { big_endian ? Put32(&b, v) : Put32Le(&b, v); };
  // Section Header Block.
  put32(0x0A0D0D0A);
  put32(28);
  put32(0x1A2B3C4D);  // byte-order magic
  put16(1);           // version 1.0
  put16(0);
  put32(0xFFFFFFFF);  // section length: unspecified
  put32(0xFFFFFFFF);
  put32(28);
  for (const PcapngInterface& i : interfaces) {
    const bool tsresol = i.tsresol != 6;
    const uint32_t length = 20 + (tsresol ? 12 : 0);
    put32(1);  // Interface Description Block
    put32(length);
    put16(i.link_type);
    put16(0);
    put32(i.snaplen);
    if (tsresol) {
      put16(9);  // if_tsresol
      put16(1);
      b.push_back(i.tsresol);
      b.insert(b.end(), 3, 0);
      put16(0);  // opt_endofopt
      put16(0);
    }
    put32(length);
  }
  for (const CapturedPacket& p : packets) {
    uint8_t resolution =
        p.interface_id < interfaces.size() ? interfaces[p.interface_id].tsresol : 6;
    uint64_t ticks = static_cast<uint64_t>(p.time_ns);
    for (int r = 9; r > resolution; --r) ticks /= 10;
    for (int r = 9; r < resolution; ++r) ticks *= 10;
    const size_t padded = (p.data.size() + 3) / 4 * 4;
    const auto length = static_cast<uint32_t>(32 + padded);
    put32(6);  // Enhanced Packet Block
    put32(length);
    put32(p.interface_id);
    put32(static_cast<uint32_t>(ticks >> 32));
    put32(static_cast<uint32_t>(ticks));
    put32(static_cast<uint32_t>(p.data.size()));
    put32(p.original_length != 0 ? p.original_length : static_cast<uint32_t>(p.data.size()));
    Append(&b, p.data);
    b.insert(b.end(), padded - p.data.size(), 0);
    put32(length);
  }
  return b;
}

bool WriteFile(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return false;
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out.flush());
}

}  // namespace scanscope::testing
