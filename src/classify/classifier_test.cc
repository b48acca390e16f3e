#include "classify/classifier.h"

#include <gtest/gtest.h>

#include <string>

namespace scanscope {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSecond;  // 2023-11-14, any fixed time

IpAddress Ip(const char* text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress());
}

ClassifyOptions Watching(const char* prefixes) {
  ClassifyOptions o;
  auto set = PrefixSet::Parse(prefixes);
  EXPECT_TRUE(set.ok()) << set.status().message();
  if (set.ok()) o.watched = *set;
  return o;
}

PacketView Base(const char* src, const char* dst, uint8_t protocol) {
  PacketView p;
  p.source = Ip(src);
  p.destination = Ip(dst);
  p.ip_version = p.source.IsV4() ? 4 : 6;
  p.protocol = protocol;
  p.ttl = 64;
  p.ip_length = 40;
  return p;
}

PacketView Tcp(const char* src, uint16_t sport, const char* dst, uint16_t dport, uint8_t flags) {
  PacketView p = Base(src, dst, kProtoTcp);
  p.has_ports = true;
  p.source_port = sport;
  p.destination_port = dport;
  p.tcp_flags = flags;
  return p;
}

PacketView Udp(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  PacketView p = Base(src, dst, kProtoUdp);
  p.has_ports = true;
  p.source_port = sport;
  p.destination_port = dport;
  return p;
}

PacketView Icmp(const char* src, const char* dst, uint8_t type, uint16_t id = 0) {
  PacketView p = Base(src, dst, Ip(src).IsV4() ? kProtoIcmp : kProtoIcmpV6);
  p.is_icmp = true;
  p.icmp_type = type;
  p.icmp_id = id;
  return p;
}

// An ICMP destination unreachable (v4 3/3) carrying a quote of a UDP packet
// from `quoted_src` to `quoted_dst`, or no quote when quoted_src is null.
PacketView IcmpError(const char* src, const char* dst, const char* quoted_src,
                     const char* quoted_dst) {
  PacketView p = Icmp(src, dst, 3);
  p.icmp_code = 3;
  p.icmp_is_error = true;
  if (quoted_src != nullptr) {
    p.quoted.present = true;
    p.quoted.source = Ip(quoted_src);
    p.quoted.destination = Ip(quoted_dst);
    p.quoted.protocol = kProtoUdp;
    p.quoted.has_ports = true;
    p.quoted.source_port = 33434;
    p.quoted.destination_port = 53;
  }
  return p;
}

PacketView Fragment(PacketView p, uint32_t id, bool first) {
  p.is_fragment = true;
  p.first_fragment = first;
  p.fragment_id = id;
  if (!first) {  // later fragments carry no transport header
    p.has_ports = false;
    p.source_port = p.destination_port = 0;
    p.tcp_flags = 0;
    p.is_icmp = false;
    p.icmp_type = 0;
  }
  return p;
}

TEST(ClassifyResultNameTest, SnakeCaseNames) {
  EXPECT_EQ(ClassifyResultName(ClassifyResult::kAccess), "access");
  EXPECT_EQ(ClassifyResultName(ClassifyResult::kReply), "reply");
  EXPECT_EQ(ClassifyResultName(ClassifyResult::kIcmpErrorAboutOwnTraffic),
            "icmp_error_about_own_traffic");
  EXPECT_EQ(ClassifyResultName(ClassifyResult::kOutbound), "outbound");
  EXPECT_EQ(ClassifyResultName(ClassifyResult::kNotWatched), "not_watched");
  EXPECT_EQ(ClassifyResultName(ClassifyResult::kInternal), "internal");
  EXPECT_EQ(ClassifyResultName(ClassifyResult::kNeighborDiscovery), "neighbor_discovery");
}

TEST(PortTypeOfTest, ByProtocol) {
  EXPECT_EQ(PortTypeOf(Tcp("198.51.100.7", 40000, "192.0.2.10", 445, kTcpSyn)).ToString(),
            "445/tcp");
  EXPECT_EQ(PortTypeOf(Udp("198.51.100.7", 40000, "192.0.2.10", 1026)).ToString(), "1026/udp");
  EXPECT_EQ(PortTypeOf(Icmp("198.51.100.7", "192.0.2.10", 8)).ToString(), "ICMP");
  EXPECT_EQ(PortTypeOf(Icmp("2001:db8::7", "2001:db8:1::1", 128)).ToString(), "ICMP");
  EXPECT_EQ(PortTypeOf(Base("198.51.100.7", "192.0.2.10", 47)).ToString(), "proto-47");
  EXPECT_EQ(PortTypeOf(Base("198.51.100.7", "192.0.2.10", 50)).ToString(), "proto-50");
  PacketView sctp = Base("198.51.100.7", "192.0.2.10", 132);
  sctp.has_ports = true;  // even if a decoder read SCTP ports: no port type with ports
  sctp.destination_port = 80;
  EXPECT_EQ(PortTypeOf(sctp).ToString(), "proto-132");
  PacketView tcp_without_ports = Base("198.51.100.7", "192.0.2.10", kProtoTcp);
  EXPECT_EQ(PortTypeOf(tcp_without_ports).ToString(), "proto-6");
}

TEST(ClassifierTest, InboundSynToWatched32) {
  Classifier c(Watching("192.0.2.10"));
  PacketView syn = Tcp("198.51.100.7", 40000, "192.0.2.10", 445, kTcpSyn);
  syn.ttl = 113;
  syn.ip_length = 52;
  AccessRecord r;
  ASSERT_EQ(c.Classify(kT0 + 5, syn, &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.time_ns, kT0 + 5);
  EXPECT_EQ(r.source.ToString(), "198.51.100.7");
  EXPECT_EQ(r.destination.ToString(), "192.0.2.10");
  EXPECT_EQ(r.port_type, PortType::Tcp(445));
  EXPECT_EQ(r.tcp_flags, 0x02);
  EXPECT_EQ(r.ttl, 113);
  EXPECT_EQ(r.length, 52);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 1u);
  // The neighbour address is not watched by a /32.
  EXPECT_EQ(c.Classify(kT0, Tcp("198.51.100.7", 40000, "192.0.2.11", 445, kTcpSyn), &r),
            ClassifyResult::kNotWatched);
}

TEST(ClassifierTest, InboundSynToWatched24) {
  Classifier c(Watching("192.0.2.0/24"));
  AccessRecord r;
  EXPECT_EQ(c.Classify(kT0, Tcp("198.51.100.7", 40000, "192.0.2.0", 22, kTcpSyn), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(c.Classify(kT0, Tcp("198.51.100.7", 40000, "192.0.2.255", 23, kTcpSyn), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "23/tcp");
  EXPECT_EQ(c.Classify(kT0, Tcp("198.51.100.7", 40000, "192.0.3.0", 23, kTcpSyn), &r),
            ClassifyResult::kNotWatched);
  EXPECT_EQ(c.Classify(kT0, Tcp("198.51.100.7", 40000, "192.0.1.255", 23, kTcpSyn), &r),
            ClassifyResult::kNotWatched);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 2u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kNotWatched), 2u);
}

TEST(ClassifierTest, InboundSynToWatchedIpv6Slash64) {
  Classifier c(Watching("2001:db8:1:2::/64"));
  AccessRecord r;
  PacketView syn = Tcp("2001:db8:ffff::9", 51000, "2001:db8:1:2:ffff:ffff:ffff:ffff", 3389,
                       kTcpSyn | kTcpEce | kTcpCwr);
  syn.ttl = 50;
  syn.ip_length = 80;
  ASSERT_EQ(c.Classify(kT0, syn, &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "3389/tcp");
  EXPECT_EQ(r.tcp_flags, 0xC2);
  EXPECT_EQ(r.ttl, 50);
  EXPECT_EQ(r.length, 80);
  EXPECT_EQ(r.destination.ToString(), "2001:db8:1:2:ffff:ffff:ffff:ffff");
  EXPECT_EQ(c.Classify(kT0, Tcp("2001:db8:ffff::9", 51000, "2001:db8:1:3::", 3389, kTcpSyn), &r),
            ClassifyResult::kNotWatched);
  // An IPv4-mapped form of nothing in the /64 is not watched either.
  EXPECT_EQ(c.Classify(kT0, Tcp("198.51.100.7", 1, "192.0.2.10", 3389, kTcpSyn), &r),
            ClassifyResult::kNotWatched);
}

TEST(ClassifierTest, DirectionNotWatchedInternalOutbound) {
  Classifier c(Watching("192.0.2.0/24,2001:db8:1::/48"));
  AccessRecord r;
  r.port_type = PortType::Icmp();
  EXPECT_EQ(c.Classify(kT0, Tcp("198.51.100.7", 1, "203.0.113.1", 80, kTcpSyn), &r),
            ClassifyResult::kNotWatched);
  EXPECT_EQ(c.Classify(kT0, Tcp("192.0.2.1", 1, "192.0.2.2", 80, kTcpSyn), &r),
            ClassifyResult::kInternal);
  EXPECT_EQ(c.Classify(kT0, Udp("2001:db8:1::1", 1, "2001:db8:1:ff::2", 53), &r),
            ClassifyResult::kInternal);
  EXPECT_EQ(c.Classify(kT0, Tcp("192.0.2.1", 1, "203.0.113.1", 80, kTcpSyn), &r),
            ClassifyResult::kOutbound);
  // Only accesses fill the record.
  EXPECT_EQ(r.port_type, PortType::Icmp());
  EXPECT_EQ(c.counters().Get(ClassifyResult::kNotWatched), 1u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kInternal), 2u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kOutbound), 1u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 0u);
}

TEST(ClassifierTest, ReplyWithinWindowAndAfter) {
  ClassifyOptions o = Watching("192.0.2.10");
  o.reply_window_ns = 300 * kSecond;
  Classifier c(o);
  AccessRecord r;
  ASSERT_EQ(c.Classify(kT0, Tcp("192.0.2.10", 50000, "203.0.113.5", 443, kTcpSyn), &r),
            ClassifyResult::kOutbound);
  EXPECT_EQ(c.reply_table_size(), 1u);
  PacketView synack = Tcp("203.0.113.5", 443, "192.0.2.10", 50000, kTcpSyn | kTcpAck);
  EXPECT_EQ(c.Classify(kT0 + 50'000'000, synack, &r), ClassifyResult::kReply);
  // Exactly at the window's end it is still a reply (the window is inclusive).
  PacketView fin = Tcp("203.0.113.5", 443, "192.0.2.10", 50000, kTcpFin | kTcpAck);
  EXPECT_EQ(c.Classify(kT0 + 300 * kSecond, fin, &r), ClassifyResult::kReply);
  // One nanosecond later the host's last packet is too old: an access.
  PacketView rst = Tcp("203.0.113.5", 443, "192.0.2.10", 50000, kTcpRst);
  ASSERT_EQ(c.Classify(kT0 + 300 * kSecond + 1, rst, &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "50000/tcp");
  EXPECT_EQ(r.tcp_flags, kTcpRst);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kReply), 2u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 1u);

  // The window runs from the host's LAST packet of the flow.
  ASSERT_EQ(
      c.Classify(kT0 + 400 * kSecond, Tcp("192.0.2.10", 50000, "203.0.113.5", 443, kTcpAck), &r),
      ClassifyResult::kOutbound);
  EXPECT_EQ(c.Classify(kT0 + 650 * kSecond, synack, &r), ClassifyResult::kReply);
}

TEST(ClassifierTest, SameRemoteOtherPortIsAnAccess) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  c.Classify(kT0, Tcp("192.0.2.10", 50000, "203.0.113.5", 443, kTcpSyn), &r);
  // Another local port, another remote port, another protocol, another remote.
  EXPECT_EQ(c.Classify(kT0 + 1, Tcp("203.0.113.5", 443, "192.0.2.10", 50001, kTcpAck), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(c.Classify(kT0 + 1, Tcp("203.0.113.5", 22, "192.0.2.10", 50000, kTcpSyn), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "50000/tcp");
  EXPECT_EQ(c.Classify(kT0 + 1, Udp("203.0.113.5", 443, "192.0.2.10", 50000), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "50000/udp");
  EXPECT_EQ(c.Classify(kT0 + 1, Tcp("203.0.113.6", 443, "192.0.2.10", 50000, kTcpAck), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(c.Classify(kT0 + 1, Tcp("203.0.113.5", 443, "192.0.2.10", 50000, kTcpAck), &r),
            ClassifyResult::kReply);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 4u);
}

TEST(ClassifierTest, UdpAndOtherProtocolFlows) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  c.Classify(kT0, Udp("192.0.2.10", 33000, "198.51.100.53", 53), &r);
  EXPECT_EQ(c.Classify(kT0 + 1, Udp("198.51.100.53", 53, "192.0.2.10", 33000), &r),
            ClassifyResult::kReply);
  // GRE has no ports: the flow is (watched, remote, protocol).
  c.Classify(kT0, Base("192.0.2.10", "198.51.100.99", 47), &r);
  EXPECT_EQ(c.Classify(kT0 + 1, Base("198.51.100.99", "192.0.2.10", 47), &r),
            ClassifyResult::kReply);
  ASSERT_EQ(c.Classify(kT0 + 1, Base("198.51.100.98", "192.0.2.10", 47), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "proto-47");
  ASSERT_EQ(c.Classify(kT0 + 1, Base("198.51.100.99", "192.0.2.10", 50), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "proto-50");
}

TEST(ClassifierTest, Proto47Access) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  PacketView gre = Base("198.51.100.7", "192.0.2.10", 47);
  gre.tcp_flags = 0x12;  // garbage a decoder would never set: not copied for non-TCP
  gre.ip_length = 1476;
  ASSERT_EQ(c.Classify(kT0, gre, &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type, PortType::Protocol(47));
  EXPECT_EQ(r.tcp_flags, 0);
  EXPECT_EQ(r.length, 1476);
}

TEST(ClassifierTest, EchoRequestOutAndReplyIn) {
  Classifier c(Watching("192.0.2.10,2001:db8:1::10"));
  AccessRecord r;
  ASSERT_EQ(c.Classify(kT0, Icmp("192.0.2.10", "203.0.113.5", 8, 0x1234), &r),
            ClassifyResult::kOutbound);
  EXPECT_EQ(c.Classify(kT0 + 1, Icmp("203.0.113.5", "192.0.2.10", 0, 0x1234), &r),
            ClassifyResult::kReply);
  ASSERT_EQ(c.Classify(kT0 + 1, Icmp("203.0.113.5", "192.0.2.10", 0, 0x1235), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "ICMP");
  // The remote pinging us back is not a reply, even with the same id.
  EXPECT_EQ(c.Classify(kT0 + 1, Icmp("203.0.113.5", "192.0.2.10", 8, 0x1234), &r),
            ClassifyResult::kAccess);
  // ICMPv6: 128 out, 129 in.
  c.Classify(kT0, Icmp("2001:db8:1::10", "2001:db8:ffff::1", 128, 7), &r);
  EXPECT_EQ(c.Classify(kT0 + 1, Icmp("2001:db8:ffff::1", "2001:db8:1::10", 129, 7), &r),
            ClassifyResult::kReply);
  EXPECT_EQ(c.Classify(kT0 + 1, Icmp("2001:db8:ffff::1", "2001:db8:1::10", 129, 8), &r),
            ClassifyResult::kAccess);
  // An ICMP echo reply OUT (answering someone's ping) opens no flow.
  c.Classify(kT0, Icmp("192.0.2.10", "203.0.113.77", 0, 99), &r);
  EXPECT_EQ(c.Classify(kT0 + 1, Icmp("203.0.113.77", "192.0.2.10", 0, 99), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kReply), 2u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 4u);
}

TEST(ClassifierTest, IcmpErrorQuotingOwnPacketIsExcluded) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  // Our UDP probe to 203.0.113.5 came back as port unreachable.
  EXPECT_EQ(
      c.Classify(kT0, IcmpError("203.0.113.5", "192.0.2.10", "192.0.2.10", "203.0.113.5"), &r),
      ClassifyResult::kIcmpErrorAboutOwnTraffic);
  // Backscatter: an error about a packet someone forged with another source.
  ASSERT_EQ(
      c.Classify(kT0, IcmpError("203.0.113.5", "192.0.2.10", "192.0.2.99", "203.0.113.5"), &r),
      ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "ICMP");
  // No readable quote: an access.
  ASSERT_EQ(c.Classify(kT0, IcmpError("203.0.113.5", "192.0.2.10", nullptr, nullptr), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "ICMP");
  // ICMPv6 time exceeded quoting our own packet.
  Classifier c6(Watching("2001:db8:1::/64"));
  PacketView te = Icmp("2001:db8:ff::1", "2001:db8:1::5", 3);
  te.icmp_is_error = true;
  te.quoted.present = true;
  te.quoted.source = Ip("2001:db8:1::5");
  te.quoted.destination = Ip("2001:db8:77::1");
  EXPECT_EQ(c6.Classify(kT0, te, &r), ClassifyResult::kIcmpErrorAboutOwnTraffic);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kIcmpErrorAboutOwnTraffic), 1u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 2u);
}

TEST(ClassifierTest, NeighborDiscoveryExcluded) {
  Classifier c(Watching("2001:db8:1::/64"));
  AccessRecord r;
  for (uint8_t type : {130, 131, 132, 133, 134, 135, 136, 137, 143}) {
    EXPECT_EQ(c.Classify(kT0, Icmp("fe80::1", "2001:db8:1::5", type), &r),
              ClassifyResult::kNeighborDiscovery)
        << int{type};
  }
  EXPECT_EQ(c.counters().Get(ClassifyResult::kNeighborDiscovery), 9u);
  // Other informational ICMPv6 (echo request, router renumbering 138) are accesses.
  EXPECT_EQ(c.Classify(kT0, Icmp("2001:db8:ff::1", "2001:db8:1::5", 128, 1), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(c.Classify(kT0, Icmp("2001:db8:ff::1", "2001:db8:1::5", 138), &r),
            ClassifyResult::kAccess);
  // Type 135 in IPv4 ICMP means nothing special.
  Classifier c4(Watching("192.0.2.10"));
  EXPECT_EQ(c4.Classify(kT0, Icmp("198.51.100.7", "192.0.2.10", 135), &r), ClassifyResult::kAccess);
}

TEST(ClassifierTest, FragmentsTakeFirstFragmentPortType) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  PacketView udp = Udp("198.51.100.7", 1234, "192.0.2.10", 1434);
  ASSERT_EQ(c.Classify(kT0, Fragment(udp, 77, true), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "1434/udp");
  PacketView second = Fragment(udp, 77, false);
  second.ip_length = 420;
  ASSERT_EQ(c.Classify(kT0 + kSecond, second, &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "1434/udp");
  EXPECT_EQ(r.length, 420);
  ASSERT_EQ(c.Classify(kT0 + 2 * kSecond, Fragment(udp, 77, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "1434/udp");
  EXPECT_EQ(c.counters().fragments_with_port_type_of_first, 2u);
  EXPECT_EQ(c.counters().fragments_without_first, 0u);

  // Another id, another source: no first fragment seen.
  ASSERT_EQ(c.Classify(kT0, Fragment(udp, 78, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "proto-17");
  PacketView other_source = Udp("198.51.100.8", 1234, "192.0.2.10", 1434);
  ASSERT_EQ(c.Classify(kT0, Fragment(other_source, 77, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "proto-17");
  EXPECT_EQ(c.counters().fragments_without_first, 2u);
  // Each fragment is one access.
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 5u);
}

TEST(ClassifierTest, FragmentsForgottenAfterWindow) {
  ClassifyOptions o = Watching("192.0.2.10");
  o.fragment_window_ns = 60 * kSecond;
  Classifier c(o);
  AccessRecord r;
  PacketView tcp = Tcp("198.51.100.7", 1234, "192.0.2.10", 445, kTcpAck | kTcpPsh);
  c.Classify(kT0, Fragment(tcp, 9, true), &r);
  ASSERT_EQ(c.Classify(kT0 + 60 * kSecond, Fragment(tcp, 9, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "445/tcp");
  EXPECT_EQ(r.tcp_flags, 0);  // a later fragment has no TCP header
  ASSERT_EQ(c.Classify(kT0 + 121 * kSecond, Fragment(tcp, 9, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "proto-6");
  EXPECT_EQ(c.counters().fragments_with_port_type_of_first, 1u);
  EXPECT_EQ(c.counters().fragments_without_first, 1u);
}

TEST(ClassifierTest, IcmpFragmentsAreIcmp) {
  Classifier c(Watching("192.0.2.10,2001:db8:1::/64"));
  AccessRecord r;
  // With and without their first fragment, ICMP and ICMPv6 fragments are "ICMP".
  PacketView ping = Icmp("198.51.100.7", "192.0.2.10", 8, 1);
  ping.ip_length = 1500;
  ASSERT_EQ(c.Classify(kT0, Fragment(ping, 5, true), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "ICMP");
  ASSERT_EQ(c.Classify(kT0, Fragment(ping, 5, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "ICMP");
  ASSERT_EQ(c.Classify(kT0, Fragment(ping, 6, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "ICMP");
  PacketView ping6 = Icmp("2001:db8:ff::1", "2001:db8:1::5", 128, 1);
  ASSERT_EQ(c.Classify(kT0, Fragment(ping6, 0x10000, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "ICMP");
  EXPECT_EQ(c.counters().fragments_with_port_type_of_first, 1u);
  EXPECT_EQ(c.counters().fragments_without_first, 2u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 4u);
}

TEST(ClassifierTest, FragmentsOfAReplyAreReplies) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  c.Classify(kT0, Udp("192.0.2.10", 33000, "198.51.100.53", 53), &r);
  PacketView answer = Udp("198.51.100.53", 53, "192.0.2.10", 33000);
  EXPECT_EQ(c.Classify(kT0 + 1, Fragment(answer, 300, true), &r), ClassifyResult::kReply);
  EXPECT_EQ(c.Classify(kT0 + 2, Fragment(answer, 300, false), &r), ClassifyResult::kReply);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kReply), 2u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 0u);
}

TEST(ClassifierTest, SmallBackwardTimeStepsTolerated) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  c.Classify(kT0 + 100 * kSecond, Tcp("192.0.2.10", 50000, "203.0.113.5", 443, kTcpSyn), &r);
  // The answer stamped 2 ms before the request (another interface's clock).
  EXPECT_EQ(c.Classify(kT0 + 100 * kSecond - 2'000'000,
                       Tcp("203.0.113.5", 443, "192.0.2.10", 50000, kTcpSyn | kTcpAck), &r),
            ClassifyResult::kReply);
  // An outbound packet stamped earlier still records its flow.
  c.Classify(kT0 + 99 * kSecond, Udp("192.0.2.10", 5353, "203.0.113.9", 53), &r);
  EXPECT_EQ(c.Classify(kT0 + 100 * kSecond, Udp("203.0.113.9", 53, "192.0.2.10", 5353), &r),
            ClassifyResult::kReply);
}

TEST(ClassifierTest, ReplyTableExpiresOldFlows) {
  ClassifyOptions o = Watching("192.0.2.10");
  o.reply_window_ns = 10 * kSecond;
  Classifier c(o);
  AccessRecord r;
  for (uint16_t port = 1; port <= 100; ++port) {
    c.Classify(kT0, Udp("192.0.2.10", port, "203.0.113.5", 53), &r);
  }
  EXPECT_EQ(c.reply_table_size(), 100u);
  // A window later the 100 flows move to the previous generation...
  c.Classify(kT0 + 10 * kSecond, Udp("192.0.2.10", 1000, "203.0.113.5", 53), &r);
  EXPECT_EQ(c.reply_table_size(), 101u);
  // ...and another window later they are dropped.
  c.Classify(kT0 + 20 * kSecond, Udp("192.0.2.10", 1001, "203.0.113.5", 53), &r);
  EXPECT_EQ(c.reply_table_size(), 2u);
  // After a long silence everything older goes at once.
  c.Classify(kT0 + 1000 * kSecond, Udp("192.0.2.10", 1002, "203.0.113.5", 53), &r);
  EXPECT_EQ(c.reply_table_size(), 1u);
  EXPECT_EQ(c.counters().reply_flows_evicted, 0u);  // expiry is not eviction
}

TEST(ClassifierTest, ReplyTableMemoryBound) {
  ClassifyOptions o = Watching("192.0.2.0/24");
  o.max_reply_flows = 1000;
  Classifier c(o);
  AccessRecord r;
  // 10,000 distinct flows within one window: 10 hosts x 1,000 ports.
  const int kFlows = 10'000;
  for (int i = 0; i < kFlows; ++i) {
    std::string local = "192.0.2." + std::to_string(i % 10);
    c.Classify(
        kT0 + i,
        Tcp(local.c_str(), static_cast<uint16_t>(10000 + i / 10), "203.0.113.5", 443, kTcpSyn), &r);
    ASSERT_LE(c.reply_table_size(), 1000u);
  }
  // Two generations of 500: the last 1,000 flows are held; every earlier one
  // was evicted while still inside the window, and counted.
  EXPECT_EQ(c.reply_table_size(), 1000u);
  EXPECT_EQ(c.counters().reply_flows_evicted, uint64_t{kFlows - 1000});
  // The newest flow is still recognised; the oldest was evicted.
  EXPECT_EQ(
      c.Classify(kT0 + kFlows,
                 Tcp("203.0.113.5", 443, "192.0.2.9", 10000 + (kFlows - 1) / 10, kTcpAck), &r),
      ClassifyResult::kReply);
  EXPECT_EQ(c.Classify(kT0 + kFlows, Tcp("203.0.113.5", 443, "192.0.2.0", 10000, kTcpAck), &r),
            ClassifyResult::kAccess);
}

TEST(ClassifierTest, FragmentTableMemoryBound) {
  ClassifyOptions o = Watching("192.0.2.10");
  o.max_fragments = 100;
  Classifier c(o);
  AccessRecord r;
  PacketView udp = Udp("198.51.100.7", 1234, "192.0.2.10", 500);
  for (uint32_t id = 0; id < 1000; ++id) c.Classify(kT0, Fragment(udp, id, true), &r);
  EXPECT_EQ(c.fragment_table_size(), 100u);
  EXPECT_EQ(c.counters().fragments_evicted, 900u);
  ASSERT_EQ(c.Classify(kT0, Fragment(udp, 999, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "500/udp");
  ASSERT_EQ(c.Classify(kT0, Fragment(udp, 0, false), &r), ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "proto-17");
}

LoggedPacket Logged(LogDirection d, PacketView p, int64_t time_ns = kT0) {
  LoggedPacket l;
  l.direction = d;
  l.packet = p;
  l.time_ns = time_ns;
  return l;
}

TEST(ClassifierLoggedTest, Directions) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  PacketView syn = Tcp("198.51.100.7", 40000, "192.0.2.10", 23, kTcpSyn);
  syn.ttl = 49;
  syn.ip_length = 60;
  ASSERT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, syn, kT0 + 7), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.time_ns, kT0 + 7);
  EXPECT_EQ(r.port_type.ToString(), "23/tcp");
  EXPECT_EQ(r.ttl, 49);
  EXPECT_EQ(r.length, 60);
  EXPECT_EQ(r.tcp_flags, kTcpSyn);
  // FORWARD to a watched destination counts as inbound.
  ASSERT_EQ(c.ClassifyLogged(Logged(LogDirection::kForward, syn), &r), ClassifyResult::kAccess);
  PacketView elsewhere = Tcp("198.51.100.7", 40000, "192.0.2.11", 23, kTcpSyn);
  EXPECT_EQ(c.ClassifyLogged(Logged(LogDirection::kForward, elsewhere), &r),
            ClassifyResult::kNotWatched);
  EXPECT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, elsewhere), &r),
            ClassifyResult::kNotWatched);
  // OUTPUT: outbound, and it feeds no reply table.
  PacketView out = Tcp("192.0.2.10", 50000, "203.0.113.5", 443, kTcpSyn);
  EXPECT_EQ(c.ClassifyLogged(Logged(LogDirection::kOutbound, out), &r), ClassifyResult::kOutbound);
  EXPECT_EQ(c.reply_table_size(), 0u);
  PacketView back = Tcp("203.0.113.5", 443, "192.0.2.10", 50000, kTcpSyn | kTcpAck);
  EXPECT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, back), &r), ClassifyResult::kAccess);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 3u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kNotWatched), 2u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kOutbound), 1u);
}

TEST(ClassifierLoggedTest, LogsIgnoreTheCaptureReplyTable) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  c.Classify(kT0, Tcp("192.0.2.10", 50000, "203.0.113.5", 443, kTcpSyn), &r);
  PacketView back = Tcp("203.0.113.5", 443, "192.0.2.10", 50000, kTcpSyn | kTcpAck);
  // A firewall logged it as a drop: that is an access whatever a capture saw.
  EXPECT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, back, kT0 + 1), &r),
            ClassifyResult::kAccess);
}

TEST(ClassifierLoggedTest, IcmpErrorAndFragmentsInLogs) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  EXPECT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, IcmpError("203.0.113.5", "192.0.2.10",
                                                                      "192.0.2.10", "203.0.113.5")),
                             &r),
            ClassifyResult::kIcmpErrorAboutOwnTraffic);
  ASSERT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, IcmpError("203.0.113.5", "192.0.2.10",
                                                                      "10.0.0.1", "203.0.113.5")),
                             &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "ICMP");
  PacketView udp = Udp("198.51.100.7", 1234, "192.0.2.10", 161);
  ASSERT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, Fragment(udp, 42, true)), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "161/udp");
  ASSERT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, Fragment(udp, 42, false)), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "161/udp");
  ASSERT_EQ(c.ClassifyLogged(Logged(LogDirection::kInbound, Fragment(udp, 43, false)), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "proto-17");
  EXPECT_EQ(c.counters().fragments_with_port_type_of_first, 1u);
  EXPECT_EQ(c.counters().fragments_without_first, 1u);
  PacketView ns = Icmp("fe80::1", "2001:db8::1", 135);
  Classifier c6(Watching("2001:db8::/64"));
  EXPECT_EQ(c6.ClassifyLogged(Logged(LogDirection::kInbound, ns), &r),
            ClassifyResult::kNeighborDiscovery);
}

}  // namespace
}  // namespace scanscope

namespace scanscope {
namespace {

// A honeypot answers: its SYN-ACK answers the remote's SYN, so everything
// the remote sends on that connection stays an access; and a closed port's
// RST does not turn the scanner's retried SYN into a reply.
TEST(ClassifierInitiatorTest, AnswersToRemoteConnectionsStartNoFlow) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  const char* host = "192.0.2.10";
  const char* scanner = "198.51.100.77";
  EXPECT_EQ(c.Classify(kT0, Tcp(scanner, 40000, host, 22, kTcpSyn), &r), ClassifyResult::kAccess);
  EXPECT_EQ(c.Classify(kT0 + 1, Tcp(host, 22, scanner, 40000, kTcpSyn | kTcpAck), &r),
            ClassifyResult::kOutbound);
  EXPECT_EQ(c.Classify(kT0 + 2, Tcp(scanner, 40000, host, 22, kTcpAck), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(c.Classify(kT0 + 3, Tcp(host, 22, scanner, 40000, kTcpAck | kTcpPsh), &r),
            ClassifyResult::kOutbound);
  EXPECT_EQ(c.Classify(kT0 + 4, Tcp(scanner, 40000, host, 22, kTcpAck | kTcpPsh), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(r.port_type.ToString(), "22/tcp");
  // A closed port: RST, then the scanner retries the same SYN.
  EXPECT_EQ(c.Classify(kT0 + 5, Tcp(scanner, 40001, host, 445, kTcpSyn), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(c.Classify(kT0 + 6, Tcp(host, 445, scanner, 40001, kTcpRst | kTcpAck), &r),
            ClassifyResult::kOutbound);
  EXPECT_EQ(c.Classify(kT0 + 3 * kSecond, Tcp(scanner, 40001, host, 445, kTcpSyn), &r),
            ClassifyResult::kAccess);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kAccess), 5u);
  EXPECT_EQ(c.counters().Get(ClassifyResult::kReply), 0u);

  // The host's own connection is still recognised.
  EXPECT_EQ(c.Classify(kT0 + 10, Tcp(host, 50000, scanner, 443, kTcpSyn), &r),
            ClassifyResult::kOutbound);
  EXPECT_EQ(c.Classify(kT0 + 11, Tcp(scanner, 443, host, 50000, kTcpSyn | kTcpAck), &r),
            ClassifyResult::kReply);
}

TEST(ClassifierInitiatorTest, UdpAnswersToRemoteQueriesStartNoFlow) {
  Classifier c(Watching("192.0.2.10"));
  AccessRecord r;
  const char* host = "192.0.2.10";
  const char* remote = "198.51.100.9";
  // A remote asks the host's DNS server twice; the host answers in between.
  EXPECT_EQ(c.Classify(kT0, Udp(remote, 5353, host, 53), &r), ClassifyResult::kAccess);
  EXPECT_EQ(c.Classify(kT0 + 1, Udp(host, 53, remote, 5353), &r), ClassifyResult::kOutbound);
  EXPECT_EQ(c.Classify(kT0 + kSecond, Udp(remote, 5353, host, 53), &r), ClassifyResult::kAccess);
  // The host asks a remote resolver: the answer is a reply.
  EXPECT_EQ(c.Classify(kT0 + 2 * kSecond, Udp(host, 33000, remote, 53), &r),
            ClassifyResult::kOutbound);
  EXPECT_EQ(c.Classify(kT0 + 2 * kSecond + 5, Udp(remote, 53, host, 33000), &r),
            ClassifyResult::kReply);
}

}  // namespace
}  // namespace scanscope
