#include "decode/decoder.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "support/packet_builder.h"

namespace scanscope {
namespace {

using namespace scanscope::testing;  // NOLINT: test-only builders

IpAddress Ip(const char* text) { return IpAddress::Parse(text).value(); }

// Decodes `frame` from an exactly sized heap copy (so the sanitizer build
// catches any read past the end) and returns the result's name.
std::string_view Decode(LinkType link_type, const Bytes& frame, PacketView* view) {
  std::vector<uint8_t> exact(frame.begin(), frame.end());
  return DecodeResultName(DecodeFrame(link_type, exact, view));
}

std::string_view Decode(LinkType link_type, const Bytes& frame) {
  PacketView view;
  return Decode(link_type, frame, &view);
}

Ipv4Header V4Hdr(uint8_t protocol) {
  Ipv4Header h;
  h.source = V4("198.51.100.7");
  h.destination = V4("192.0.2.1");
  h.protocol = protocol;
  h.ttl = 51;
  h.id = 0x1234;
  return h;
}

Ipv6Header V6Hdr(uint8_t next_header) {
  Ipv6Header h;
  h.source = V6("2001:db8:bad::7");
  h.destination = V6("2001:db8::1");
  h.next_header = next_header;
  h.hop_limit = 57;
  return h;
}

Bytes Syn(uint16_t sport = 40000, uint16_t dport = 445) {
  TcpHeader t;
  t.source_port = sport;
  t.destination_port = dport;
  t.flags = kSyn;
  return Tcp(t);
}

Bytes V4Syn() { return Ipv4(V4Hdr(kTcp), Syn()); }
Bytes V6Udp() { return Ipv6(V6Hdr(kUdp), Udp(5353, 1900, Bytes(12, 0xAB))); }

void ExpectV4Syn(const PacketView& v) {
  EXPECT_EQ(v.ip_version, 4);
  EXPECT_EQ(v.source, Ip("198.51.100.7"));
  EXPECT_EQ(v.destination, Ip("192.0.2.1"));
  EXPECT_EQ(v.protocol, kProtoTcp);
  EXPECT_EQ(v.ttl, 51);
  EXPECT_EQ(v.ip_length, 40);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.source_port, 40000);
  EXPECT_EQ(v.destination_port, 445);
  EXPECT_EQ(v.tcp_flags, kSyn);
  EXPECT_FALSE(v.is_fragment);
  EXPECT_TRUE(v.first_fragment);
  EXPECT_FALSE(v.is_icmp);
}

void ExpectV6Udp(const PacketView& v) {
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(v.source, Ip("2001:db8:bad::7"));
  EXPECT_EQ(v.destination, Ip("2001:db8::1"));
  EXPECT_EQ(v.protocol, kProtoUdp);
  EXPECT_EQ(v.ttl, 57);
  EXPECT_EQ(v.ip_length, 40 + 20);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.source_port, 5353);
  EXPECT_EQ(v.destination_port, 1900);
  EXPECT_EQ(v.tcp_flags, 0);
}

// ---- The builder against bytes typed by hand --------------------------------

TEST(PacketBuilderTest, Ipv4TcpSynMatchesHandWrittenBytes) {
  // 198.51.100.7:40000 -> 192.0.2.1:445 SYN, TTL 51, id 0x1234. Checksums
  // computed separately (Python, RFC 1071) when this test was written.
  const Bytes expected = {
      0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x00, 0x00, 0x33, 0x06, 0x00, 0x00,  // ..checksum
      198,  51,   100,  7,    192,  0,    2,    1,                             // addresses
      0x9C, 0x40, 0x01, 0xBD, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // ports seq ack
      0x50, 0x02, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00};                         // off flags win..
  Bytes built = V4Syn();
  ASSERT_EQ(built.size(), expected.size());
  // Compare all but the two checksum fields, then the checksums by value.
  for (size_t i = 0; i < built.size(); ++i) {
    if (i == 10 || i == 11 || i == 36 || i == 37) continue;
    EXPECT_EQ(built[i], expected[i]) << "byte " << i;
  }
  EXPECT_EQ(built[10] << 8 | built[11], 0x8960);
  EXPECT_EQ(built[36] << 8 | built[37], 0x25A8);
}

TEST(PacketBuilderTest, PcapFileMatchesHandWrittenBytes) {
  const int64_t t = 1'500'250'000;                                      // 1 s + 500,250 us
  const Bytes le_us = {0xD4, 0xC3, 0xB2, 0xA1, 0x02, 0x00, 0x04, 0x00,  // magic, version 2.4
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // thiszone, sigfigs
                       0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,  // snaplen 262144, Ethernet
                       0x01, 0x00, 0x00, 0x00, 0x1A, 0xA2, 0x07, 0x00,  // 1 s, 500250 us
                       0x02, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,  // caplen 2, original 64
                       0xAA, 0xBB};
  EXPECT_EQ(PcapFile(1, {{.time_ns = t, .data = {0xAA, 0xBB}, .original_length = 64}}), le_us);
  const Bytes be_ns = {0xA1, 0xB2, 0x3C, 0x4D, 0x00, 0x02, 0x00, 0x04,  // magic (ns), version 2.4
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // thiszone, sigfigs
                       0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x65,  // snaplen 65535, raw (101)
                       0x00, 0x00, 0x00, 0x01, 0x1D, 0xD1, 0x35, 0x90,  // 1 s, 500250000 ns
                       0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  // caplen 1, original 1
                       0x45};
  EXPECT_EQ(PcapFile(101, {{.time_ns = t, .data = {0x45}}},
                     {.big_endian = true, .nanosecond = true, .snaplen = 65535}),
            be_ns);
}

TEST(PacketBuilderTest, PcapngFileMatchesHandWrittenBytes) {
  const Bytes expected = {
      // Section Header Block: type, length 28, byte-order magic, 1.0, length -1, length.
      0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0x00, 0x00, 0x00, 0x4D, 0x3C, 0x2B, 0x1A, 0x01, 0x00, 0x00,
      0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1C, 0x00, 0x00, 0x00,
      // IDB 0: Ethernet, snaplen 262144, no options.
      0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
      0x00, 0x14, 0x00, 0x00, 0x00,
      // IDB 1: SLL2 (276), snaplen 262144, if_tsresol 9, end of options.
      0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x00, 0x04,
      0x00, 0x09, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
      0x00, 0x00,
      // EPB on interface 1: 1.5e9 ns = 0x59682F00 ticks, caplen 3, original 100, padded data.
      0x06, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x2F, 0x68, 0x59, 0x03, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x01, 0x02,
      0x03, 0x00, 0x24, 0x00, 0x00, 0x00};
  EXPECT_EQ(
      PcapngFile({{.link_type = 1}, {.link_type = 276, .tsresol = 9}}, {{.time_ns = 1'500'000'000,
                                                                         .data = {1, 2, 3},
                                                                         .original_length = 100,
                                                                         .interface_id = 1}}),
      expected);
  // Microsecond interface: ticks are us (1.5 s = 1,500,000 = 0x16E360).
  Bytes us = PcapngFile({{.link_type = 1}}, {{.time_ns = 1'500'000'999, .data = {9}}});
  ASSERT_EQ(us.size(), 28u + 20u + 32u + 4u);
  const Bytes ticks = {0x00, 0x00, 0x00, 0x00, 0x60, 0xE3, 0x16, 0x00};
  EXPECT_EQ(Bytes(us.begin() + 48 + 12, us.begin() + 48 + 20), ticks);
}

TEST(PacketBuilderTest, LinkHeadersMatchHandWrittenBytes) {
  const Bytes payload = {0x45};
  EXPECT_EQ(
      Ethernet(kEtherIpv4, payload, {VlanTag{.tpid = kEtherQinQ, .id = 0x123, .priority = 5}}),
      (Bytes{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xA8, 0xA1, 0x23, 0x08, 0x00, 0x45}));
  EXPECT_EQ(LinuxSll(kEtherIpv6, payload),
            (Bytes{0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 2, 0, 0, 0x86, 0xDD, 0x45}));
  EXPECT_EQ(LinuxSll2(kEtherIpv4, payload, 3),
            (Bytes{0x08, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 2, 0, 0, 0x45}));
  EXPECT_EQ(BsdNull(30, payload, true), (Bytes{30, 0, 0, 0, 0x45}));
  EXPECT_EQ(BsdLoop(2, payload), (Bytes{0, 0, 0, 2, 0x45}));
  EXPECT_EQ(Ipv6FragmentHeader(150, true, 0x01020304).bytes, (Bytes{0, 0, 0x04, 0xB1, 1, 2, 3, 4}));
  EXPECT_EQ(Ipv6AuthHeader(24).bytes[1], 4);
  EXPECT_EQ(Ipv6OptionsHeader(0, 24).bytes[1], 2);
}

// ---- Link layers -------------------------------------------------------------

TEST(DecodeLinkTest, EthernetIpv4) {
  PacketView v;
  Bytes frame = Ethernet(kEtherIpv4, V4Syn());
  ASSERT_EQ(Decode(LinkType::kEthernet, frame, &v), "ok");
  ExpectV4Syn(v);
  // The transport view points into the caller's frame: recheck on the original.
  std::vector<uint8_t> exact(frame);
  ASSERT_EQ(DecodeFrame(LinkType::kEthernet, exact, &v), DecodeResult::kOk);
  EXPECT_EQ(v.l4, exact.data() + 14 + 20);
  EXPECT_EQ(v.l4_captured, 20u);
}

TEST(DecodeLinkTest, EthernetIpv6) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv6, V6Udp()), &v), "ok");
  ExpectV6Udp(v);
  EXPECT_EQ(v.l4_captured, 20u);
}

TEST(DecodeLinkTest, VlanTags) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv4, V4Syn(), {VlanTag{.id = 10}}), &v),
            "ok");
  ExpectV4Syn(v);
  // 802.1ad outer + 802.1Q inner (QinQ), and the old 0x9100 outer tag.
  ASSERT_EQ(Decode(LinkType::kEthernet,
                   Ethernet(kEtherIpv6, V6Udp(),
                            {VlanTag{.tpid = kEtherQinQ, .id = 100}, VlanTag{.id = 20}}),
                   &v),
            "ok");
  ExpectV6Udp(v);
  ASSERT_EQ(Decode(LinkType::kEthernet,
                   Ethernet(kEtherIpv4, V4Syn(),
                            {VlanTag{.tpid = kEtherQinQOld, .id = 7}, VlanTag{.id = 20}}),
                   &v),
            "ok");
  ExpectV4Syn(v);
}

TEST(DecodeLinkTest, VlanDepthBound) {
  std::vector<VlanTag> tags(8, VlanTag{.id = 1});
  PacketView v;
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv4, V4Syn(), tags), &v), "ok");
  ExpectV4Syn(v);
  tags.push_back(VlanTag{.id = 2});
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv4, V4Syn(), tags)), "too_many_vlan_tags");
  // A tag announced but cut: 14-byte header saying 0x8100, then 3 bytes.
  Bytes cut = FirstBytes(Ethernet(kEtherIpv4, V4Syn(), {VlanTag{.id = 3}}), 14 + 3);
  EXPECT_EQ(Decode(LinkType::kEthernet, cut), "truncated_vlan_tag");
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherVlan, {})), "truncated_vlan_tag");
}

TEST(DecodeLinkTest, NotIp) {
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherArp, Bytes(28, 0))), "not_ip");
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(0x88CC, Bytes(30, 0))), "not_ip");  // LLDP
  // 802.3: a length (here 46) where the EtherType would be, then LLC.
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(46, Bytes(46, 0x42))), "not_ip");
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(0x05DC, V4Syn())), "not_ip");
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherArp, Bytes(28, 0), {VlanTag{}})), "not_ip");
  EXPECT_EQ(Decode(LinkType::kLinuxSll, LinuxSll(0x0004, Bytes(20, 0))), "not_ip");
  EXPECT_EQ(Decode(LinkType::kLinuxSll2, LinuxSll2(kEtherArp, Bytes(28, 0))), "not_ip");
}

TEST(DecodeLinkTest, TruncatedLinkHeaders) {
  EXPECT_EQ(Decode(LinkType::kEthernet, Bytes(13, 0)), "truncated_link_header");
  EXPECT_EQ(Decode(LinkType::kEthernet, Bytes()), "truncated_link_header");
  EXPECT_EQ(Decode(LinkType::kLinuxSll, FirstBytes(LinuxSll(kEtherIpv4, V4Syn()), 15)),
            "truncated_link_header");
  EXPECT_EQ(Decode(LinkType::kLinuxSll2, FirstBytes(LinuxSll2(kEtherIpv4, V4Syn()), 19)),
            "truncated_link_header");
  EXPECT_EQ(Decode(LinkType::kNull, Bytes{2, 0, 0}), "truncated_link_header");
  EXPECT_EQ(Decode(LinkType::kLoop, Bytes{0, 0, 0}), "truncated_link_header");
}

TEST(DecodeLinkTest, LinuxCooked) {
  PacketView v;
  Bytes sll = LinuxSll(kEtherIpv4, V4Syn());
  ASSERT_EQ(sll.size(), 16u + 40u);
  ASSERT_EQ(Decode(LinkType::kLinuxSll, sll, &v), "ok");
  ExpectV4Syn(v);
  ASSERT_EQ(Decode(LinkType::kLinuxSll, LinuxSll(kEtherIpv6, V6Udp(), 4), &v), "ok");
  ExpectV6Udp(v);
  Bytes sll2 = LinuxSll2(kEtherIpv6, V6Udp());
  ASSERT_EQ(sll2.size(), 20u + 60u);
  ASSERT_EQ(Decode(LinkType::kLinuxSll2, sll2, &v), "ok");
  ExpectV6Udp(v);
  ASSERT_EQ(Decode(LinkType::kLinuxSll2, LinuxSll2(kEtherIpv4, V4Syn()), &v), "ok");
  ExpectV4Syn(v);
}

TEST(DecodeLinkTest, RawAndIpLinkTypes) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, V4Syn(), &v), "ok");
  ExpectV4Syn(v);
  ASSERT_EQ(Decode(LinkType::kRaw, V6Udp(), &v), "ok");
  ExpectV6Udp(v);
  ASSERT_EQ(Decode(LinkType::kIpv4, V4Syn(), &v), "ok");
  ExpectV4Syn(v);
  ASSERT_EQ(Decode(LinkType::kIpv6, V6Udp(), &v), "ok");
  ExpectV6Udp(v);
  EXPECT_EQ(Decode(LinkType::kIpv4, V6Udp()), "bad_ipv4_version");
  EXPECT_EQ(Decode(LinkType::kIpv6, V6Udp()), "ok");
  Bytes v4_as_v6 = V4Syn();
  v4_as_v6.resize(60, 0);
  EXPECT_EQ(Decode(LinkType::kIpv6, v4_as_v6), "bad_ipv6_version");
  Bytes version5 = V4Syn();
  version5[0] = 0x55;
  EXPECT_EQ(Decode(LinkType::kRaw, version5), "bad_ip_version");
  EXPECT_EQ(Decode(LinkType::kRaw, Bytes()), "bad_ip_version");
  // DecodeIp is the raw decoder without a link type.
  std::vector<uint8_t> exact = V6Udp();
  ASSERT_EQ(DecodeIp(exact, &v), DecodeResult::kOk);
  ExpectV6Udp(v);
}

TEST(DecodeLinkTest, BsdNullEitherByteOrder) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kNull, BsdNull(2, V4Syn(), /*little_endian=*/true), &v), "ok");
  ExpectV4Syn(v);
  ASSERT_EQ(Decode(LinkType::kNull, BsdNull(2, V4Syn(), /*little_endian=*/false), &v), "ok");
  ExpectV4Syn(v);
  for (uint32_t family : {24u, 28u, 30u}) {
    for (bool little : {true, false}) {
      ASSERT_EQ(Decode(LinkType::kNull, BsdNull(family, V6Udp(), little), &v), "ok")
          << family << " " << little;
      ExpectV6Udp(v);
    }
  }
  EXPECT_EQ(Decode(LinkType::kNull, BsdNull(7, V4Syn())), "not_ip");
  EXPECT_EQ(Decode(LinkType::kNull, BsdNull(0x0200, V4Syn())), "not_ip");
}

TEST(DecodeLinkTest, BsdLoopNetworkOrder) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kLoop, BsdLoop(2, V4Syn()), &v), "ok");
  ExpectV4Syn(v);
  ASSERT_EQ(Decode(LinkType::kLoop, BsdLoop(24, V6Udp()), &v), "ok");
  ExpectV6Udp(v);
  // Little-endian 2 is 0x02000000 in network order: not a family.
  EXPECT_EQ(Decode(LinkType::kLoop, BsdNull(2, V4Syn(), /*little_endian=*/true)), "not_ip");
}

TEST(DecodeLinkTest, UnsupportedLinkType) {
  EXPECT_EQ(Decode(static_cast<LinkType>(105), V4Syn()), "unsupported_link_type");  // 802.11
  EXPECT_EQ(Decode(static_cast<LinkType>(127), V4Syn()), "unsupported_link_type");  // radiotap
}

// ---- IPv4 ----------------------------------------------------------------------

TEST(DecodeIpv4Test, OptionsAreSkipped) {
  for (size_t option_bytes : {4u, 12u, 40u}) {
    Ipv4Header h = V4Hdr(kUdp);
    h.options = Bytes(option_bytes, 0x01);  // NOPs
    PacketView v;
    ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, Udp(53, 33434)), &v), "ok") << option_bytes;
    EXPECT_EQ(v.source_port, 53);
    EXPECT_EQ(v.destination_port, 33434);
    EXPECT_EQ(v.ip_length, 20 + option_bytes + 8);
    EXPECT_EQ(v.l4_captured, 8u);
  }
}

TEST(DecodeIpv4Test, MalformedHeaders) {
  Ipv4Header h = V4Hdr(kTcp);
  EXPECT_EQ(Decode(LinkType::kRaw, FirstBytes(V4Syn(), 19)), "truncated_ipv4_header");
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv4, FirstBytes(V4Syn(), 19))),
            "truncated_ipv4_header");
  h.ihl_words = 4;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, Syn())), "bad_ipv4_header_length");
  h.ihl_words = 0;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, Syn())), "bad_ipv4_header_length");
  // IHL 15 (60 bytes) but only 20 + 20 bytes captured.
  h.ihl_words = 15;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, Syn())), "bad_ipv4_header_length");
  h.ihl_words.reset();
  h.total_length = 19;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, Syn())), "bad_ipv4_total_length");
  h.total_length = 0;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, Syn())), "bad_ipv4_total_length");
  h.total_length.reset();
  h.version = 6;
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv4, Ipv4(h, Syn()))), "bad_ipv4_version");
}

TEST(DecodeIpv4Test, TotalLengthBeyondCaptureIsSnaplen) {
  Ipv4Header h = V4Hdr(kTcp);
  h.total_length = 1500;
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv4, Ipv4(h, Syn())), &v), "ok");
  EXPECT_EQ(v.ip_length, 1500);
  EXPECT_EQ(v.destination_port, 445);
  EXPECT_EQ(v.l4_captured, 20u);
}

TEST(DecodeIpv4Test, EthernetPaddingIsNotPayload) {
  Bytes frame = Ethernet(kEtherIpv4, Ipv4(V4Hdr(kUdp), Udp(1, 2)));
  frame.resize(60, 0);  // minimum Ethernet frame
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kEthernet, frame, &v), "ok");
  EXPECT_EQ(v.ip_length, 28);
  EXPECT_EQ(v.l4_captured, 8u);
  // TCP whose total length ends inside the header, padding after it.
  Ipv4Header h = V4Hdr(kTcp);
  h.total_length = 30;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, Syn())), "truncated_tcp_header");
}

TEST(DecodeIpv4Test, Fragments) {
  PacketView v;
  // First fragment: MF, offset 0, the whole TCP header.
  Ipv4Header h = V4Hdr(kTcp);
  h.more_fragments = true;
  h.id = 0xBEEF;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, Concat(Syn(), Bytes(1000, 0))), &v), "ok");
  EXPECT_TRUE(v.is_fragment);
  EXPECT_TRUE(v.first_fragment);
  EXPECT_TRUE(v.more_fragments);
  EXPECT_EQ(v.fragment_offset, 0);
  EXPECT_EQ(v.fragment_id, 0xBEEFu);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.destination_port, 445);
  EXPECT_EQ(v.tcp_flags, kSyn);

  // Middle fragment: MF, offset 185 units (1480 bytes): bytes, not a header.
  h.fragment_offset_units = 185;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, Bytes(1480, 0x55)), &v), "ok");
  EXPECT_TRUE(v.is_fragment);
  EXPECT_FALSE(v.first_fragment);
  EXPECT_FALSE(v.has_ports);
  EXPECT_EQ(v.fragment_offset, 1480);
  EXPECT_EQ(v.protocol, kProtoTcp);
  EXPECT_EQ(v.l4_captured, 1480u);

  // Last fragment: MF clear, offset non-zero. Even a short one decodes.
  h.more_fragments = false;
  h.fragment_offset_units = 370;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, Bytes(3, 0)), &v), "ok");
  EXPECT_TRUE(v.is_fragment);
  EXPECT_FALSE(v.first_fragment);
  EXPECT_FALSE(v.more_fragments);
  EXPECT_FALSE(v.has_ports);

  // DF alone is not a fragment.
  h = V4Hdr(kTcp);
  h.dont_fragment = true;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, Syn()), &v), "ok");
  EXPECT_FALSE(v.is_fragment);
  EXPECT_TRUE(v.first_fragment);
  EXPECT_TRUE(v.has_ports);
}

TEST(DecodeIpv4Test, TinyFirstFragments) {
  PacketView v;
  Ipv4Header h = V4Hdr(kTcp);
  h.more_fragments = true;
  // 2 bytes of TCP: the ports are cut by the fragment's own length.
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, FirstBytes(Syn(), 2)), &v),
            "fragment_too_short_for_ports");
  // 8 bytes: ports, no flags.
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, FirstBytes(Syn(), 8)), &v), "ok");
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.source_port, 40000);
  EXPECT_EQ(v.destination_port, 445);
  EXPECT_EQ(v.tcp_flags, 0);
  // 16 bytes: ports and the flags byte.
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, FirstBytes(Syn(), 16)), &v), "ok");
  EXPECT_EQ(v.tcp_flags, kSyn);
  // UDP: 3 bytes no, 4 bytes yes.
  h.protocol = kUdp;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, FirstBytes(Udp(7, 9), 3))),
            "fragment_too_short_for_ports");
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, FirstBytes(Udp(7, 9), 4)), &v), "ok");
  EXPECT_EQ(v.destination_port, 9);
  // ICMP first fragment shorter than the 8-byte ICMP header.
  h.protocol = kIcmp;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, FirstBytes(IcmpEcho(true, 1, 1), 4))),
            "fragment_too_short_for_ports");
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(h, IcmpEcho(true, 77, 1, Bytes(100, 0))), &v), "ok");
  EXPECT_TRUE(v.is_icmp);
  EXPECT_EQ(v.icmp_id, 77);
  // The same first fragment cut by the capture (total length says 28 bytes of
  // TCP are there) is a truncation, not a short fragment.
  h.protocol = kTcp;
  h.total_length = 20 + 28;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(h, FirstBytes(Syn(), 2))), "truncated_tcp_header");
}

TEST(DecodeIpv4Test, OtherProtocolsHaveNoPorts) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kGre), Bytes(24, 0)), &v), "ok");
  EXPECT_EQ(v.protocol, kGre);
  EXPECT_FALSE(v.has_ports);
  EXPECT_FALSE(v.is_icmp);
  EXPECT_EQ(v.l4_captured, 24u);
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kEsp), Bytes()), &v), "ok");
  EXPECT_EQ(v.protocol, kEsp);
  EXPECT_EQ(v.l4_captured, 0u);
}

// ---- IPv6 ----------------------------------------------------------------------

TEST(DecodeIpv6Test, EachExtensionHeader) {
  const std::vector<Ipv6Extension> cases = {
      Ipv6OptionsHeader(0, 8),    Ipv6OptionsHeader(0, 24), Ipv6OptionsHeader(43, 24),
      Ipv6OptionsHeader(60, 16),  Ipv6AuthHeader(24),       Ipv6AuthHeader(12),
      Ipv6OptionsHeader(135, 16),
  };
  for (const Ipv6Extension& e : cases) {
    PacketView v;
    Bytes packet = Ipv6(V6Hdr(kTcp), Syn(), {e});
    ASSERT_EQ(Decode(LinkType::kRaw, packet, &v), "ok") << int(e.type) << " " << e.bytes.size();
    EXPECT_EQ(v.protocol, kProtoTcp);
    EXPECT_EQ(v.destination_port, 445);
    EXPECT_EQ(v.tcp_flags, kSyn);
    EXPECT_EQ(v.ip_length, 40 + e.bytes.size() + 20);
    EXPECT_FALSE(v.is_fragment);
  }
}

TEST(DecodeIpv6Test, ChainOfExtensionHeaders) {
  PacketView v;
  Bytes packet = Ipv6(V6Hdr(kUdp), Udp(5353, 1900, Bytes(12, 0xAB)),
                      {Ipv6OptionsHeader(0, 8), Ipv6OptionsHeader(60, 16),
                       Ipv6OptionsHeader(43, 24), Ipv6AuthHeader(16), Ipv6OptionsHeader(60, 8)});
  ASSERT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv6, packet), &v), "ok");
  EXPECT_EQ(v.protocol, kProtoUdp);
  EXPECT_EQ(v.source_port, 5353);
  EXPECT_EQ(v.destination_port, 1900);
  EXPECT_EQ(v.ip_length, 40 + 8 + 16 + 24 + 16 + 8 + 20);
  EXPECT_EQ(v.l4_captured, 20u);
}

TEST(DecodeIpv6Test, ExtensionHeaderBound) {
  std::vector<Ipv6Extension> chain(16, Ipv6OptionsHeader(60, 8));
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kTcp), Syn(), chain), &v), "ok");
  EXPECT_EQ(v.destination_port, 445);
  chain.push_back(Ipv6OptionsHeader(60, 8));
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kTcp), Syn(), chain)),
            "too_many_ipv6_extension_headers");
}

TEST(DecodeIpv6Test, TruncatedExtensionHeaders) {
  // The header's own length (24) runs past the capture.
  Bytes packet = Ipv6(V6Hdr(kTcp), Bytes(), {Ipv6OptionsHeader(0, 24)});
  EXPECT_EQ(Decode(LinkType::kRaw, FirstBytes(packet, 40 + 16)), "truncated_ipv6_extension_header");
  // Fewer than 8 bytes where an extension header is announced.
  EXPECT_EQ(Decode(LinkType::kRaw, FirstBytes(packet, 40 + 4)), "truncated_ipv6_extension_header");
  EXPECT_EQ(Decode(LinkType::kRaw, FirstBytes(packet, 40)), "truncated_ipv6_extension_header");
  // Captured in full but past the payload length.
  Ipv6Header h = V6Hdr(kTcp);
  h.payload_length = 16;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv6(h, Syn(), {Ipv6OptionsHeader(60, 24)})),
            "truncated_ipv6_extension_header");
  // AH length in 4-byte units + 2: 0xFF says 1028 bytes.
  Ipv6Extension ah = Ipv6AuthHeader(12);
  ah.bytes[1] = 0xFF;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kTcp), Syn(), {ah})),
            "truncated_ipv6_extension_header");
}

TEST(DecodeIpv6Test, NoNextHeaderAndEsp) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kNoNextHeader), Bytes()), &v), "ok");
  EXPECT_EQ(v.protocol, 59);
  EXPECT_FALSE(v.has_ports);
  ASSERT_EQ(Decode(LinkType::kRaw,
                   Ipv6(V6Hdr(kNoNextHeader), Bytes(8, 0), {Ipv6OptionsHeader(135, 8)}), &v),
            "ok");
  EXPECT_EQ(v.protocol, 59);
  ASSERT_EQ(
      Decode(LinkType::kRaw, Ipv6(V6Hdr(kEsp), Bytes(40, 0x99), {Ipv6OptionsHeader(0, 8)}), &v),
      "ok");
  EXPECT_EQ(v.protocol, kEsp);
  EXPECT_FALSE(v.has_ports);
  EXPECT_EQ(v.l4_captured, 40u);
}

TEST(DecodeIpv6Test, Fragments) {
  PacketView v;
  // First fragment: offset 0, M set, UDP header inside.
  Bytes first =
      Ipv6(V6Hdr(kUdp), Udp(5353, 1900, Bytes(1000, 0)), {Ipv6FragmentHeader(0, true, 0xDEADBEEF)});
  ASSERT_EQ(Decode(LinkType::kRaw, first, &v), "ok");
  EXPECT_TRUE(v.is_fragment);
  EXPECT_TRUE(v.first_fragment);
  EXPECT_TRUE(v.more_fragments);
  EXPECT_EQ(v.fragment_id, 0xDEADBEEFu);
  EXPECT_EQ(v.protocol, kProtoUdp);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.destination_port, 1900);

  // Later fragment: the next header names the upper protocol; no ports.
  Bytes later = Ipv6(V6Hdr(kTcp), Bytes(64, 0x11),
                     {Ipv6OptionsHeader(0, 8), Ipv6FragmentHeader(150, false, 7)});
  ASSERT_EQ(Decode(LinkType::kRaw, later, &v), "ok");
  EXPECT_TRUE(v.is_fragment);
  EXPECT_FALSE(v.first_fragment);
  EXPECT_FALSE(v.more_fragments);
  EXPECT_EQ(v.fragment_offset, 1200);
  EXPECT_EQ(v.fragment_id, 7u);
  EXPECT_EQ(v.protocol, kProtoTcp);
  EXPECT_FALSE(v.has_ports);
  EXPECT_EQ(v.l4_captured, 64u);

  // Bytes after a later fragment's header that look like extension headers are data.
  Bytes later_dst = Ipv6(V6Hdr(kIcmpV6), Bytes(8, 0xFF),
                         {Ipv6FragmentHeader(3, true, 9), Ipv6OptionsHeader(60, 8)});
  ASSERT_EQ(Decode(LinkType::kRaw, later_dst, &v), "ok");
  EXPECT_EQ(v.protocol, 60);
  EXPECT_FALSE(v.is_icmp);

  // Atomic fragment (offset 0, M clear, RFC 6946): a whole packet.
  Bytes atomic = Ipv6(V6Hdr(kTcp), Syn(), {Ipv6FragmentHeader(0, false, 5)});
  ASSERT_EQ(Decode(LinkType::kRaw, atomic, &v), "ok");
  EXPECT_FALSE(v.is_fragment);
  EXPECT_TRUE(v.first_fragment);
  EXPECT_EQ(v.destination_port, 445);

  // A first fragment whose payload length ends inside the UDP ports.
  Bytes tiny = Ipv6(V6Hdr(kUdp), FirstBytes(Udp(1, 2), 2), {Ipv6FragmentHeader(0, true, 1)});
  EXPECT_EQ(Decode(LinkType::kRaw, tiny), "fragment_too_short_for_ports");
}

TEST(DecodeIpv6Test, JumboAndLengths) {
  PacketView v;
  Ipv6Header h = V6Hdr(kTcp);
  h.payload_length = 0;  // jumbogram: the payload is what was captured
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(h, Concat(Syn(), Bytes(100, 0))), &v), "ok");
  EXPECT_EQ(v.ip_length, 40 + 120);
  EXPECT_EQ(v.l4_captured, 120u);
  // Payload length larger than captured: snaplen, fine.
  h.payload_length = 1460;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(h, Syn()), &v), "ok");
  EXPECT_EQ(v.ip_length, 1500);
  EXPECT_EQ(v.l4_captured, 20u);
  // 40 + 65535 does not fit: saturated.
  h.payload_length = 65535;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(h, Syn()), &v), "ok");
  EXPECT_EQ(v.ip_length, 65535);
  // Payload length shorter than the TCP header.
  h.payload_length = 12;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv6(h, Syn())), "truncated_tcp_header");
}

TEST(DecodeIpv6Test, MalformedFixedHeader) {
  EXPECT_EQ(Decode(LinkType::kRaw, FirstBytes(V6Udp(), 39)), "truncated_ipv6_header");
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv6, FirstBytes(V6Udp(), 39))),
            "truncated_ipv6_header");
  Ipv6Header h = V6Hdr(kUdp);
  h.version = 4;
  EXPECT_EQ(Decode(LinkType::kEthernet, Ethernet(kEtherIpv6, Ipv6(h, Udp(1, 2)))),
            "bad_ipv6_version");
}

// ---- Transport ------------------------------------------------------------------

TEST(DecodeTransportTest, TcpOptionsAndFlags) {
  TcpHeader t;
  t.destination_port = 22;
  t.flags = kSyn | kAck;
  t.options = {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0,
               0, 1, 0,    0,    0, 0, 1, 3,  3, 7};  // MSS SACK TS WS
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kTcp), Tcp(t, Bytes(10, 'x'))), &v), "ok");
  EXPECT_EQ(v.tcp_flags, kSyn | kAck);
  EXPECT_EQ(v.destination_port, 22);
  EXPECT_EQ(v.l4_captured, 20u + 20u + 10u);
}

TEST(DecodeTransportTest, MalformedTransportHeaders) {
  TcpHeader t;
  t.data_offset = 4;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kTcp), Tcp(t))), "bad_tcp_data_offset");
  t.data_offset = 0;
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kTcp), Tcp(t))), "bad_tcp_data_offset");
  t.data_offset = 15;  // 60 bytes of header in a 20-byte segment
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kTcp), Tcp(t))), "bad_tcp_data_offset");
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kTcp), FirstBytes(Syn(), 19))),
            "truncated_tcp_header");
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kTcp), Bytes())), "truncated_tcp_header");
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kUdp), FirstBytes(Udp(1, 2), 7))),
            "truncated_udp_header");
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kUdp), Bytes())), "truncated_udp_header");
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kIcmp), FirstBytes(IcmpEcho(true, 1, 1), 7))),
            "truncated_icmp_header");
  EXPECT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), FirstBytes(Icmpv6Echo(true, 1, 1), 7))),
            "truncated_icmp_header");
  // Snaplen cutting TCP options is not an error: the fixed header is there.
  TcpHeader with_options;
  with_options.options = Bytes(20, 1);
  Bytes cut = FirstBytes(Ipv4(V4Hdr(kTcp), Tcp(with_options)), 20 + 24);
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, cut, &v), "ok");
  EXPECT_EQ(v.l4_captured, 24u);
}

TEST(DecodeTransportTest, IcmpEcho) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kIcmp), IcmpEcho(true, 0x4242, 3, Bytes(56, 0))), &v),
            "ok");
  EXPECT_TRUE(v.is_icmp);
  EXPECT_EQ(v.icmp_type, 8);
  EXPECT_EQ(v.icmp_code, 0);
  EXPECT_EQ(v.icmp_id, 0x4242);
  EXPECT_FALSE(v.icmp_is_error);
  EXPECT_FALSE(v.has_ports);
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kIcmp), IcmpEcho(false, 9, 3)), &v), "ok");
  EXPECT_EQ(v.icmp_type, 0);
  EXPECT_EQ(v.icmp_id, 9);
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), Icmpv6Echo(true, 0x1111, 1)), &v), "ok");
  EXPECT_TRUE(v.is_icmp);
  EXPECT_EQ(v.icmp_type, 128);
  EXPECT_EQ(v.icmp_id, 0x1111);
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), Icmpv6Echo(false, 0x2222, 1)), &v), "ok");
  EXPECT_EQ(v.icmp_type, 129);
  EXPECT_EQ(v.icmp_id, 0x2222);
  // Timestamp request (13) and neighbour solicitation (135): no id, no error.
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kIcmp), Icmp(13, 0, 0xAAAABBBB, Bytes(12, 0))), &v),
            "ok");
  EXPECT_EQ(v.icmp_type, 13);
  EXPECT_EQ(v.icmp_id, 0);
  EXPECT_FALSE(v.icmp_is_error);
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), Icmpv6(135, 0, 0, Bytes(16, 0))), &v),
            "ok");
  EXPECT_EQ(v.icmp_type, 135);
  EXPECT_FALSE(v.icmp_is_error);
  EXPECT_FALSE(v.quoted.present);
}

// ---- ICMP errors and their quotes ----------------------------------------------

// What our watched host 192.0.2.1 sent: a SYN to 203.0.113.9:8080.
Bytes OwnV4Syn() {
  Ipv4Header h = V4Hdr(kTcp);
  h.source = V4("192.0.2.1");
  h.destination = V4("203.0.113.9");
  TcpHeader t;
  t.source_port = 51000;
  t.destination_port = 8080;
  return Ipv4(h, Tcp(t));
}

Bytes OwnV6Udp() {
  Ipv6Header h = V6Hdr(kUdp);
  h.source = V6("2001:db8::1");
  h.destination = V6("2001:db8:ffff::53");
  return Ipv6(h, Udp(50000, 53, Bytes(30, 0)));
}

TEST(DecodeIcmpErrorTest, Ipv4QuotesIpv4) {
  for (uint8_t type : {3, 4, 5, 11, 12}) {
    Ipv4Header outer = V4Hdr(kIcmp);
    outer.source = V4("203.0.113.254");
    PacketView v;
    ASSERT_EQ(Decode(LinkType::kEthernet,
                     Ethernet(kEtherIpv4, Ipv4(outer, IcmpError(type, 1, OwnV4Syn(), 28))), &v),
              "ok");
    EXPECT_TRUE(v.is_icmp);
    EXPECT_TRUE(v.icmp_is_error) << int(type);
    EXPECT_EQ(v.icmp_type, type);
    EXPECT_EQ(v.icmp_code, 1);
    EXPECT_EQ(v.source, Ip("203.0.113.254"));
    ASSERT_TRUE(v.quoted.present);
    EXPECT_EQ(v.quoted.source, Ip("192.0.2.1"));
    EXPECT_EQ(v.quoted.destination, Ip("203.0.113.9"));
    EXPECT_EQ(v.quoted.protocol, kProtoTcp);
    ASSERT_TRUE(v.quoted.has_ports);
    EXPECT_EQ(v.quoted.source_port, 51000);
    EXPECT_EQ(v.quoted.destination_port, 8080);
  }
}

TEST(DecodeIcmpErrorTest, ShortQuotes) {
  PacketView v;
  auto decode_quote = [&](const Bytes& inner, size_t quote_bytes) {
    return Decode(LinkType::kRaw, Ipv4(V4Hdr(kIcmp), IcmpError(3, 3, inner, quote_bytes)), &v);
  };
  // 20 bytes: addresses, no ports.
  ASSERT_EQ(decode_quote(OwnV4Syn(), 20), "ok");
  EXPECT_TRUE(v.quoted.present);
  EXPECT_EQ(v.quoted.source, Ip("192.0.2.1"));
  EXPECT_FALSE(v.quoted.has_ports);
  // 23 bytes: still no ports; 24: ports.
  ASSERT_EQ(decode_quote(OwnV4Syn(), 23), "ok");
  EXPECT_FALSE(v.quoted.has_ports);
  ASSERT_EQ(decode_quote(OwnV4Syn(), 24), "ok");
  EXPECT_TRUE(v.quoted.has_ports);
  EXPECT_EQ(v.quoted.destination_port, 8080);
  // 19 bytes or none: the error stands, the quote is absent.
  for (size_t n : {19u, 1u, 0u}) {
    ASSERT_EQ(decode_quote(OwnV4Syn(), n), "ok");
    EXPECT_TRUE(v.icmp_is_error);
    EXPECT_FALSE(v.quoted.present) << n;
  }
  // A quoted header with options: ports come after them.
  Ipv4Header with_options = V4Hdr(kUdp);
  with_options.options = Bytes(8, 1);
  Bytes inner = Ipv4(with_options, Udp(123, 456));
  ASSERT_EQ(decode_quote(inner, 31), "ok");
  EXPECT_FALSE(v.quoted.has_ports);
  ASSERT_EQ(decode_quote(inner, 32), "ok");
  EXPECT_TRUE(v.quoted.has_ports);
  EXPECT_EQ(v.quoted.source_port, 123);
  EXPECT_EQ(v.quoted.destination_port, 456);
  // A quoted non-first fragment has no ports to read.
  Ipv4Header fragment = V4Hdr(kUdp);
  fragment.fragment_offset_units = 10;
  ASSERT_EQ(decode_quote(Ipv4(fragment, Udp(1, 2)), 28), "ok");
  EXPECT_TRUE(v.quoted.present);
  EXPECT_FALSE(v.quoted.has_ports);
  // Garbage quote (version 0): absent.
  ASSERT_EQ(decode_quote(Bytes(28, 0), 28), "ok");
  EXPECT_FALSE(v.quoted.present);
}

TEST(DecodeIcmpErrorTest, Ipv6QuotesIpv6) {
  for (uint8_t type : {1, 2, 3, 4}) {
    PacketView v;
    ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), Icmpv6Error(type, 0, OwnV6Udp())), &v),
              "ok");
    EXPECT_TRUE(v.icmp_is_error) << int(type);
    ASSERT_TRUE(v.quoted.present);
    EXPECT_EQ(v.quoted.source, Ip("2001:db8::1"));
    EXPECT_EQ(v.quoted.destination, Ip("2001:db8:ffff::53"));
    EXPECT_EQ(v.quoted.protocol, kProtoUdp);
    ASSERT_TRUE(v.quoted.has_ports);
    EXPECT_EQ(v.quoted.source_port, 50000);
    EXPECT_EQ(v.quoted.destination_port, 53);
  }
}

TEST(DecodeIcmpErrorTest, Ipv6QuoteWithExtensionHeaders) {
  Ipv6Header h = V6Hdr(kTcp);
  h.source = V6("2001:db8::1");
  Bytes inner = Ipv6(h, Syn(1234, 443), {Ipv6OptionsHeader(0, 8), Ipv6OptionsHeader(60, 16)});
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), Icmpv6Error(1, 4, inner)), &v), "ok");
  ASSERT_TRUE(v.quoted.present);
  EXPECT_EQ(v.quoted.protocol, kProtoTcp);
  EXPECT_TRUE(v.quoted.has_ports);
  EXPECT_EQ(v.quoted.source_port, 1234);
  EXPECT_EQ(v.quoted.destination_port, 443);
  // Quote cut inside the extension headers: addresses, protocol unknown beyond.
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), Icmpv6Error(1, 4, inner, 40 + 8 + 10)), &v),
            "ok");
  EXPECT_TRUE(v.quoted.present);
  EXPECT_EQ(v.quoted.source, Ip("2001:db8::1"));
  EXPECT_FALSE(v.quoted.has_ports);
  // 39 bytes: absent.
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), Icmpv6Error(3, 0, inner, 39)), &v), "ok");
  EXPECT_TRUE(v.icmp_is_error);
  EXPECT_FALSE(v.quoted.present);
}

TEST(DecodeIcmpErrorTest, QuoteOfTheOtherVersion) {
  // An ICMPv6 error quoting IPv4 (a translator's doing) and the reverse.
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv6(V6Hdr(kIcmpV6), Icmpv6Error(1, 0, OwnV4Syn())), &v), "ok");
  ASSERT_TRUE(v.quoted.present);
  EXPECT_EQ(v.quoted.source, Ip("192.0.2.1"));
  EXPECT_EQ(v.quoted.destination_port, 8080);
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kIcmp), IcmpError(3, 0, OwnV6Udp())), &v), "ok");
  ASSERT_TRUE(v.quoted.present);
  EXPECT_EQ(v.quoted.source, Ip("2001:db8::1"));
  EXPECT_EQ(v.quoted.destination_port, 53);
}

// ---- Names, counters, state ----------------------------------------------------

TEST(DecodeResultTest, EveryResultHasASnakeCaseName) {
  std::set<std::string_view> names;
  // snake_case: lower-case letters and digits in words joined by single '_'.
  auto snake = [](std::string_view n) {
    if (n.empty() || !(n.front() >= 'a' && n.front() <= 'z') || n.back() == '_') return false;
    for (size_t i = 0; i < n.size(); ++i) {
      const char c = n[i];
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '_' && n[i - 1] != '_');
      if (!ok) return false;
    }
    return true;
  };
  for (size_t i = 0; i < static_cast<size_t>(DecodeResult::kCount); ++i) {
    std::string_view name = DecodeResultName(static_cast<DecodeResult>(i));
    EXPECT_TRUE(snake(name)) << name;
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(DecodeResult::kCount));
  EXPECT_EQ(DecodeResultName(DecodeResult::kOk), "ok");
  EXPECT_EQ(DecodeResultName(DecodeResult::kTruncatedIpv4Header), "truncated_ipv4_header");
  EXPECT_EQ(DecodeResultName(DecodeResult::kFragmentTooShortForPorts),
            "fragment_too_short_for_ports");
}

TEST(DecodeResultTest, CountersCountByResult) {
  DecodeCounters counters;
  PacketView v;
  const std::vector<Bytes> frames = {Ethernet(kEtherIpv4, V4Syn()), Ethernet(kEtherIpv6, V6Udp()),
                                     Ethernet(kEtherArp, Bytes(28, 0)), Bytes(5, 0)};
  for (const Bytes& f : frames) DecodeFrame(LinkType::kEthernet, f, &v, &counters);
  EXPECT_EQ(counters.Get(DecodeResult::kOk), 2u);
  EXPECT_EQ(counters.Get(DecodeResult::kNotIp), 1u);
  EXPECT_EQ(counters.Get(DecodeResult::kTruncatedLinkHeader), 1u);
  EXPECT_EQ(counters.Get(DecodeResult::kBadTcpDataOffset), 0u);
}

TEST(DecodeResultTest, ViewIsResetBetweenPackets) {
  PacketView v;
  ASSERT_EQ(Decode(LinkType::kRaw, Ipv4(V4Hdr(kIcmp), IcmpError(3, 0, OwnV4Syn())), &v), "ok");
  ASSERT_TRUE(v.quoted.present);
  ASSERT_EQ(Decode(LinkType::kRaw, V6Udp(), &v), "ok");
  EXPECT_FALSE(v.is_icmp);
  EXPECT_FALSE(v.icmp_is_error);
  EXPECT_FALSE(v.quoted.present);
  EXPECT_EQ(v.tcp_flags, 0);
  ASSERT_EQ(Decode(LinkType::kEthernet, Bytes(3, 0), &v), "truncated_link_header");
  EXPECT_EQ(v.ip_version, 0);
  EXPECT_FALSE(v.has_ports);
}

// ---- Truncation at every byte ---------------------------------------------------

// Every prefix of `frame` decodes to a defined result without reading past it
// (the sanitizer build checks the reads); returns the results by prefix length.
std::vector<DecodeResult> EveryPrefix(LinkType link_type, const Bytes& frame) {
  std::vector<DecodeResult> results;
  for (size_t n = 0; n <= frame.size(); ++n) {
    std::vector<uint8_t> exact(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
    PacketView v;
    DecodeResult r = DecodeFrame(link_type, exact, &v);
    EXPECT_LT(static_cast<size_t>(r), static_cast<size_t>(DecodeResult::kCount));
    results.push_back(r);
  }
  return results;
}

TEST(DecodeTruncationTest, EthernetIpv4TcpAtEveryByte) {
  const Bytes frame = Ethernet(kEtherIpv4, V4Syn());  // 14 + 20 + 20
  std::vector<DecodeResult> r = EveryPrefix(LinkType::kEthernet, frame);
  for (size_t n = 0; n <= frame.size(); ++n) {
    DecodeResult expected = n < 14   ? DecodeResult::kTruncatedLinkHeader
                            : n < 34 ? DecodeResult::kTruncatedIpv4Header
                            : n < 54 ? DecodeResult::kTruncatedTcpHeader
                                     : DecodeResult::kOk;
    EXPECT_EQ(DecodeResultName(r[n]), DecodeResultName(expected)) << "at " << n;
  }
}

TEST(DecodeTruncationTest, VlanIpv6ExtensionsUdpAtEveryByte) {
  const Bytes frame = Ethernet(
      kEtherIpv6,
      Ipv6(V6Hdr(kUdp), Udp(1, 2, Bytes(4, 0)), {Ipv6OptionsHeader(0, 8), Ipv6AuthHeader(16)}),
      {VlanTag{.tpid = kEtherQinQ}, VlanTag{}});
  // 14 + 8 tags, 40 IPv6, 8 hop-by-hop, 16 AH, 8 UDP, 4 data.
  std::vector<DecodeResult> r = EveryPrefix(LinkType::kEthernet, frame);
  for (size_t n = 0; n <= frame.size(); ++n) {
    DecodeResult expected = n < 14            ? DecodeResult::kTruncatedLinkHeader
                            : n < 22          ? DecodeResult::kTruncatedVlanTag
                            : n < 62          ? DecodeResult::kTruncatedIpv6Header
                            : n < 62 + 8 + 16 ? DecodeResult::kTruncatedIpv6ExtensionHeader
                            : n < 62 + 24 + 8 ? DecodeResult::kTruncatedUdpHeader
                                              : DecodeResult::kOk;
    EXPECT_EQ(DecodeResultName(r[n]), DecodeResultName(expected)) << "at " << n;
  }
}

TEST(DecodeTruncationTest, IcmpErrorAtEveryByte) {
  const Bytes packet = Ipv4(V4Hdr(kIcmp), IcmpError(11, 0, OwnV4Syn(), 28));
  std::vector<DecodeResult> r = EveryPrefix(LinkType::kRaw, packet);
  for (size_t n = 0; n <= packet.size(); ++n) {
    DecodeResult expected = n == 0   ? DecodeResult::kBadIpVersion
                            : n < 20 ? DecodeResult::kTruncatedIpv4Header
                            : n < 28 ? DecodeResult::kTruncatedIcmpHeader
                                     : DecodeResult::kOk;
    EXPECT_EQ(DecodeResultName(r[n]), DecodeResultName(expected)) << "at " << n;
    if (n >= 28) {
      PacketView v;
      std::vector<uint8_t> exact(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(n));
      ASSERT_EQ(DecodeFrame(LinkType::kRaw, exact, &v), DecodeResult::kOk);
      EXPECT_EQ(v.quoted.present, n >= 28 + 20) << n;
      EXPECT_EQ(v.quoted.has_ports, n >= 28 + 24) << n;
    }
  }
}

TEST(DecodeTruncationTest, OtherLinkTypesAtEveryByte) {
  const Bytes v6_fragment = Ipv6(V6Hdr(kIcmpV6), Icmpv6Error(1, 0, OwnV6Udp()),
                                 {Ipv6FragmentHeader(0, true, 1), Ipv6OptionsHeader(60, 8)});
  EveryPrefix(LinkType::kLinuxSll2, LinuxSll2(kEtherIpv6, v6_fragment));
  EveryPrefix(LinkType::kLinuxSll, LinuxSll(kEtherIpv4, OwnV4Syn()));
  EveryPrefix(LinkType::kNull, BsdNull(30, v6_fragment));
  EveryPrefix(LinkType::kLoop, BsdLoop(2, OwnV4Syn()));
  EveryPrefix(LinkType::kIpv6, v6_fragment);
  Ipv4Header with_options = V4Hdr(kUdp);
  with_options.options = Bytes(12, 1);
  EveryPrefix(LinkType::kIpv4, Ipv4(with_options, Udp(1, 2, Bytes(3, 0))));
}

}  // namespace
}  // namespace scanscope
