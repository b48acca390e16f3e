#include "capture/netfilter_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace scanscope {
namespace {

// Every expected value below is written by hand from the line it belongs to;
// epoch seconds were worked out independently (calendar.timegm) and are noted.
constexpr int64_t kS = 1'000'000'000;
constexpr int64_t k20240503_140211 = 1714744931;  // 2024-05-03 14:02:11 UTC
constexpr int64_t k20240503_050211 = 1714712531;  // 2024-05-03 05:02:11 UTC

IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return IpAddress::FromV4((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d);
}

IpAddress V6(std::initializer_list<uint16_t> groups_then_zero_fill_last) {
  // Groups given first-to-last; the last group lands in the final position
  // and everything between is zero ("2001:db8:1::5" = {0x2001, 0xdb8, 0x1, 0x5}).
  std::array<uint8_t, 16> b{};
  std::vector<uint16_t> g(groups_then_zero_fill_last);
  for (size_t i = 0; i + 1 < g.size(); ++i) {
    b[2 * i] = static_cast<uint8_t>(g[i] >> 8);
    b[2 * i + 1] = static_cast<uint8_t>(g[i]);
  }
  b[14] = static_cast<uint8_t>(g.back() >> 8);
  b[15] = static_cast<uint8_t>(g.back());
  return IpAddress::FromBytes(b);
}

TimeZone Zone(const char* name) {
  Result<TimeZone> z = TimeZone::Find(name);
  EXPECT_TRUE(z.ok()) << name;
  return z.ok() ? *z : TimeZone::Utc();
}

LoggedPacket MustParse(std::string_view line, int year = 2024, TimeZone zone = TimeZone::Utc()) {
  LoggedPacket p;
  LogMalformed why = LogMalformed::kCount;
  LogLineResult r = ParseNetfilterLine(line, year, zone, &p, &why);
  EXPECT_EQ(r, LogLineResult::kPacket)
      << line << "\n -> reason "
      << (r == LogLineResult::kMalformed ? LogMalformedName(why) : "not netfilter");
  return p;
}

LogMalformed MustFail(std::string_view line) {
  LoggedPacket p;
  LogMalformed why = LogMalformed::kCount;
  EXPECT_EQ(ParseNetfilterLine(line, 2024, TimeZone::Utc(), &p, &why), LogLineResult::kMalformed)
      << line;
  return why;
}

constexpr std::string_view kUfw =
    "May  3 14:02:11 host kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= "
    "MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=198.51.100.7 DST=192.0.2.10 LEN=60 "
    "TOS=0x00 PREC=0x00 TTL=49 ID=4321 DF PROTO=TCP SPT=51234 DPT=445 WINDOW=29200 RES=0x00 SYN "
    "URGP=0 ";

TEST(NetfilterLine, UfwSyslogClassicTcpSyn) {
  LoggedPacket p = MustParse(kUfw);
  EXPECT_EQ(p.time_ns, k20240503_140211 * kS);
  EXPECT_EQ(p.direction, LogDirection::kInbound);
  const PacketView& v = p.packet;
  EXPECT_EQ(v.ip_version, 4);
  EXPECT_EQ(v.source, V4(198, 51, 100, 7));
  EXPECT_EQ(v.destination, V4(192, 0, 2, 10));
  EXPECT_EQ(v.protocol, 6);
  EXPECT_EQ(v.ttl, 49);
  EXPECT_EQ(v.ip_length, 60);
  EXPECT_FALSE(v.is_fragment);
  EXPECT_TRUE(v.first_fragment);
  EXPECT_EQ(v.fragment_id, 4321u);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.source_port, 51234);
  EXPECT_EQ(v.destination_port, 445);
  EXPECT_EQ(v.tcp_flags, 0x02);
  EXPECT_FALSE(v.is_icmp);
  EXPECT_FALSE(v.icmp_is_error);
  EXPECT_FALSE(v.quoted.present);
  EXPECT_EQ(v.l4, nullptr);
}

TEST(NetfilterLine, IptablesPrefixWithoutSpaceJournalShortPreciseUdpInTokyo) {
  // journalctl -o short-precise; the --log-prefix has no trailing space.
  LoggedPacket p = MustParse(
      "May 03 14:02:11.123456 fw kernel: iptables-dropIN=eth1 OUT= MAC= SRC=203.0.113.9 "
      "DST=192.0.2.11 LEN=40 TOS=0x00 PREC=0x00 TTL=113 ID=17 PROTO=UDP SPT=5353 DPT=1026 "
      "LEN=20",
      2024, Zone("Asia/Tokyo"));
  // 14:02:11.123456 JST (+09:00) = 05:02:11.123456 UTC.
  EXPECT_EQ(p.time_ns, k20240503_050211 * kS + 123'456'000);
  EXPECT_EQ(p.direction, LogDirection::kInbound);
  EXPECT_EQ(p.packet.source, V4(203, 0, 113, 9));
  EXPECT_EQ(p.packet.destination, V4(192, 0, 2, 11));
  EXPECT_EQ(p.packet.protocol, 17);
  EXPECT_EQ(p.packet.ttl, 113);
  EXPECT_EQ(p.packet.ip_length, 40);  // the IP LEN, not UDP's LEN=20
  EXPECT_TRUE(p.packet.has_ports);
  EXPECT_EQ(p.packet.source_port, 5353);
  EXPECT_EQ(p.packet.destination_port, 1026);
  EXPECT_EQ(p.packet.tcp_flags, 0);
}

TEST(NetfilterLine, FirewalldRsyslogIsoIcmpEcho) {
  LoggedPacket p = MustParse(
      "2024-05-03T14:02:11.123456+09:00 host kernel: filter_IN_public_REJECT: IN=ens3 OUT= "
      "MAC=fa:16:3e:00:00:01:fa:16:3e:00:00:02:08:00 SRC=203.0.113.5 DST=192.0.2.10 LEN=84 "
      "TOS=0x00 PREC=0x00 TTL=55 ID=0 DF PROTO=ICMP TYPE=8 CODE=0 ID=31000 SEQ=1 ",
      2024, Zone("Europe/Berlin"));  // the stamp's own offset wins over the zone
  EXPECT_EQ(p.time_ns, k20240503_050211 * kS + 123'456'000);
  const PacketView& v = p.packet;
  EXPECT_EQ(v.protocol, 1);
  EXPECT_EQ(v.ttl, 55);
  EXPECT_EQ(v.ip_length, 84);
  EXPECT_TRUE(v.is_icmp);
  EXPECT_EQ(v.icmp_type, 8);
  EXPECT_EQ(v.icmp_code, 0);
  EXPECT_EQ(v.icmp_id, 31000);
  EXPECT_FALSE(v.icmp_is_error);
  EXPECT_FALSE(v.has_ports);
  EXPECT_EQ(v.fragment_id, 0u);
}

TEST(NetfilterLine, FirewalldFinalRejectJournalShortIsoIpv6TcpFlags) {
  LoggedPacket p = MustParse(
      "2024-05-03T14:02:11+0900 host kernel: FINAL_REJECT: IN=ens3 OUT= "
      "MAC=fa:16:3e:00:00:01:fa:16:3e:00:00:02:86:dd SRC=2001:db8:1::5 DST=2001:db8:2::10 "
      "LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=12345 PROTO=TCP SPT=40000 DPT=22 WINDOW=64800 RES=0x00 "
      "CWR ECE ACK PSH RST SYN FIN URG URGP=7 ");
  EXPECT_EQ(p.time_ns, k20240503_050211 * kS);
  const PacketView& v = p.packet;
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(v.source, V6({0x2001, 0xdb8, 0x1, 0x5}));
  EXPECT_EQ(v.destination, V6({0x2001, 0xdb8, 0x2, 0x10}));
  EXPECT_EQ(v.protocol, 6);
  EXPECT_EQ(v.ttl, 57);
  EXPECT_EQ(v.ip_length, 80);
  EXPECT_FALSE(v.is_fragment);
  EXPECT_EQ(v.fragment_id, 0u);
  EXPECT_EQ(v.source_port, 40000);
  EXPECT_EQ(v.destination_port, 22);
  EXPECT_EQ(v.tcp_flags, 0xFF);
}

TEST(NetfilterLine, IsoStampsZuluPreciseAndZoneless) {
  LoggedPacket z = MustParse(
      "2024-05-03T14:02:11.5Z h kernel: IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=28 TOS=0x00 "
      "PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=0 CODE=0 ID=7 SEQ=9");
  EXPECT_EQ(z.time_ns, k20240503_140211 * kS + 500'000'000);
  EXPECT_EQ(z.packet.icmp_type, 0);
  EXPECT_EQ(z.packet.icmp_id, 7);
  // journalctl -o short-iso-precise.
  LoggedPacket ip = MustParse(
      "2024-05-03T14:02:11.000001+00:00 h kernel: IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 "
      "LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=9");
  EXPECT_EQ(ip.time_ns, k20240503_140211 * kS + 1'000);
  // No offset: the zone's (Berlin, CEST +02:00 in May) -> 12:02:11 UTC.
  LoggedPacket nz = MustParse(
      "2024-05-03T14:02:11 h kernel: IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=28 TOS=0x00 "
      "PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=9",
      2024, Zone("Europe/Berlin"));
  EXPECT_EQ(nz.time_ns, int64_t{1714737731} * kS);  // 2024-05-03 12:02:11 UTC
  // Negative offset.
  LoggedPacket neg = MustParse(
      "2024-05-03T09:02:11-05:00 h kernel: IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=28 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=9");
  EXPECT_EQ(neg.time_ns, k20240503_140211 * kS);
}

TEST(NetfilterLine, OtherStampForms) {
  // dmesg -T (local time, year given) and journalctl -o short-unix.
  LoggedPacket t = MustParse(
      "[Fri May  3 14:02:11 2024] [UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=28 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=9",
      1999, Zone("Asia/Tokyo"));
  EXPECT_EQ(t.time_ns, k20240503_050211 * kS);
  LoggedPacket u = MustParse(
      "1714712531.250000 host kernel: [UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 "
      "LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=9");
  EXPECT_EQ(u.time_ns, k20240503_050211 * kS + 250'000'000);
}

TEST(NetfilterLine, Directions) {
  constexpr std::string_view kRest =
      " SRC=192.0.2.1 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 "
      "CODE=0 ID=7 SEQ=9";
  std::string fwd = "May  3 14:02:11 h kernel: FWD IN=eth0 OUT=eth1 MAC=00:11" + std::string(kRest);
  std::string out = "May  3 14:02:11 h kernel: OUT-DROP: IN= OUT=eth0" + std::string(kRest);
  EXPECT_EQ(MustParse(fwd).direction, LogDirection::kForward);
  EXPECT_EQ(MustParse(out).direction, LogDirection::kOutbound);
}

TEST(NetfilterLine, PrefixWithSpacesBracketsAndColons) {
  LoggedPacket p = MustParse(
      "May  3 14:02:11 h kernel: [  42.000001] [DROP: in [wan] port:445] IN=eth0 OUT= "
      "SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=240 ID=54321 PROTO=TCP SPT=1 "
      "DPT=2 WINDOW=1024 RES=0x00 ACK RST URGP=0");
  EXPECT_EQ(p.packet.tcp_flags, 0x14);
  EXPECT_EQ(p.packet.ttl, 240);
}

TEST(NetfilterLine, IcmpErrorQuotingUdpFromWatchedAddress) {
  // A router answers a traceroute probe the watched host 192.0.2.10 sent.
  LoggedPacket p = MustParse(
      "May  3 14:02:11 h kernel: [UFW BLOCK] IN=eth0 OUT= MAC= SRC=198.51.100.1 "
      "DST=192.0.2.10 LEN=96 TOS=0x00 PREC=0xC0 TTL=254 ID=777 PROTO=ICMP TYPE=11 CODE=0 "
      "[SRC=192.0.2.10 DST=203.0.113.53 LEN=68 TOS=0x00 PREC=0x00 TTL=1 ID=54321 PROTO=UDP "
      "SPT=40000 DPT=33434 LEN=48 ] ");
  const PacketView& v = p.packet;
  EXPECT_TRUE(v.is_icmp);
  EXPECT_EQ(v.icmp_type, 11);
  EXPECT_EQ(v.icmp_code, 0);
  EXPECT_TRUE(v.icmp_is_error);
  EXPECT_EQ(v.ip_length, 96);
  EXPECT_FALSE(v.has_ports);
  ASSERT_TRUE(v.quoted.present);
  EXPECT_EQ(v.quoted.source, V4(192, 0, 2, 10));
  EXPECT_EQ(v.quoted.destination, V4(203, 0, 113, 53));
  EXPECT_EQ(v.quoted.protocol, 17);
  EXPECT_TRUE(v.quoted.has_ports);
  EXPECT_EQ(v.quoted.source_port, 40000);
  EXPECT_EQ(v.quoted.destination_port, 33434);
}

TEST(NetfilterLine, IcmpUnreachableQuotingTcpWithMtuAfter) {
  LoggedPacket p = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=576 TOS=0x00 "
      "PREC=0x00 TTL=60 ID=9 PROTO=ICMP TYPE=3 CODE=4 [SRC=192.0.2.10 DST=198.51.100.80 "
      "LEN=1500 TOS=0x00 PREC=0x00 TTL=63 ID=100 DF PROTO=TCP SPT=443 DPT=50000 WINDOW=501 "
      "RES=0x00 ACK PSH URGP=0 ] MTU=1400 ");
  ASSERT_TRUE(p.packet.quoted.present);
  EXPECT_EQ(p.packet.icmp_code, 4);
  EXPECT_EQ(p.packet.quoted.source, V4(192, 0, 2, 10));
  EXPECT_EQ(p.packet.quoted.protocol, 6);
  EXPECT_TRUE(p.packet.quoted.has_ports);
  EXPECT_EQ(p.packet.quoted.source_port, 443);
  EXPECT_EQ(p.packet.quoted.destination_port, 50000);
}

TEST(NetfilterLine, IcmpErrorQuotingEightBytesOfTcp) {
  // Routers that quote only 8 bytes of the transport header: the kernel
  // writes INCOMPLETE inside the quote. Addresses known, ports not.
  LoggedPacket p = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=56 TOS=0x00 "
      "PREC=0x00 TTL=250 ID=1 PROTO=ICMP TYPE=3 CODE=1 [SRC=192.0.2.10 DST=198.51.100.9 LEN=60 "
      "TOS=0x00 PREC=0x00 TTL=50 ID=2 DF PROTO=TCP INCOMPLETE [8 bytes] ] ");
  ASSERT_TRUE(p.packet.quoted.present);
  EXPECT_EQ(p.packet.quoted.destination, V4(198, 51, 100, 9));
  EXPECT_EQ(p.packet.quoted.protocol, 6);
  EXPECT_FALSE(p.packet.quoted.has_ports);
}

TEST(NetfilterLine, IcmpErrorsWithoutQuote) {
  // Too short to quote.
  LoggedPacket a = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=32 TOS=0x00 "
      "PREC=0x00 TTL=250 ID=1 PROTO=ICMP TYPE=3 CODE=3 INCOMPLETE [12 bytes] ");
  EXPECT_TRUE(a.packet.icmp_is_error);
  EXPECT_FALSE(a.packet.quoted.present);
  // Parameter problem: the kernel writes no quote for it.
  LoggedPacket b = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=56 TOS=0x00 "
      "PREC=0x00 TTL=250 ID=1 PROTO=ICMP TYPE=12 CODE=0 PARAMETER=20 ");
  EXPECT_TRUE(b.packet.icmp_is_error);
  EXPECT_EQ(b.packet.icmp_type, 12);
  EXPECT_FALSE(b.packet.quoted.present);
  // "[TRUNCATED]": the quote held no readable IP header.
  LoggedPacket c = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=40 TOS=0x00 "
      "PREC=0x00 TTL=250 ID=1 PROTO=ICMP TYPE=11 CODE=0 [TRUNCATED] ");
  EXPECT_TRUE(c.packet.icmp_is_error);
  EXPECT_FALSE(c.packet.quoted.present);
  // Redirect: GATEWAY= before the quote.
  LoggedPacket d = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=56 TOS=0x00 "
      "PREC=0x00 TTL=250 ID=1 PROTO=ICMP TYPE=5 CODE=1 GATEWAY=198.51.100.254 [SRC=192.0.2.10 "
      "DST=203.0.113.1 LEN=84 TOS=0x00 PREC=0x00 TTL=63 ID=3 PROTO=ICMP TYPE=8 CODE=0 ID=1 "
      "SEQ=1 ] ");
  ASSERT_TRUE(d.packet.quoted.present);
  EXPECT_EQ(d.packet.quoted.protocol, 1);
  EXPECT_FALSE(d.packet.quoted.has_ports);
  // Not errors: echo reply, timestamp request.
  EXPECT_FALSE(MustParse("May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.1 "
                         "DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=250 ID=1 PROTO=ICMP "
                         "TYPE=13 CODE=0 ")
                   .packet.icmp_is_error);
}

TEST(NetfilterLine, Icmpv6ErrorQuotingUdpAndEcho) {
  LoggedPacket p = MustParse(
      "May  3 14:02:11 h kernel: [UFW BLOCK] IN=eth0 OUT= MAC=33:33:00:00:00:01 "
      "SRC=2001:db8:ff::1 DST=2001:db8:1::10 LEN=128 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 "
      "TYPE=1 CODE=4 [SRC=2001:db8:1::10 DST=2001:db8:9::53 LEN=80 TC=0 HOPLIMIT=63 FLOWLBL=7 "
      "PROTO=UDP SPT=53000 DPT=53 LEN=40 ] ");
  const PacketView& v = p.packet;
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(v.protocol, 58);
  EXPECT_TRUE(v.is_icmp);
  EXPECT_EQ(v.icmp_type, 1);
  EXPECT_EQ(v.icmp_code, 4);
  EXPECT_TRUE(v.icmp_is_error);
  ASSERT_TRUE(v.quoted.present);
  EXPECT_EQ(v.quoted.source, V6({0x2001, 0xdb8, 0x1, 0x10}));
  EXPECT_EQ(v.quoted.destination, V6({0x2001, 0xdb8, 0x9, 0x53}));
  EXPECT_EQ(v.quoted.protocol, 17);
  EXPECT_EQ(v.quoted.source_port, 53000);
  EXPECT_EQ(v.quoted.destination_port, 53);

  LoggedPacket e = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=2001:db8:ff::1 DST=2001:db8:1::10 LEN=104 "
      "TC=0 HOPLIMIT=52 FLOWLBL=3 PROTO=ICMPv6 TYPE=128 CODE=0 ID=4660 SEQ=2 ");
  EXPECT_TRUE(e.packet.is_icmp);
  EXPECT_FALSE(e.packet.icmp_is_error);
  EXPECT_EQ(e.packet.icmp_type, 128);
  EXPECT_EQ(e.packet.icmp_id, 4660);
  EXPECT_EQ(e.packet.ttl, 52);
  // Packet too big (type 2) is an error too; MTU= follows the quote.
  LoggedPacket tb = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=2001:db8:ff::1 DST=2001:db8:1::10 LEN=1280 "
      "TC=0 HOPLIMIT=52 FLOWLBL=3 PROTO=ICMPv6 TYPE=2 CODE=0 [SRC=2001:db8:1::10 "
      "DST=2001:db8:9::80 LEN=1500 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=443 DPT=40001 "
      "WINDOW=1 RES=0x00 ACK URGP=0 ] MTU=1280 ");
  EXPECT_TRUE(tb.packet.icmp_is_error);
  EXPECT_EQ(tb.packet.quoted.destination_port, 40001);
}

TEST(NetfilterLine, KernelFullFormIpv6AndRfc5424) {
  // The kernel writes IPv6 addresses with %pI6: eight groups, no "::".
  LoggedPacket p = MustParse(
      "<4>1 2024-05-03T14:02:11Z fw kernel - - - [UFW BLOCK] IN=eth0 OUT= "
      "MAC=33:33:00:00:00:01:52:54:00:12:34:56:86:dd SRC=fe80:0000:0000:0000:0211:22ff:fe33:4455 "
      "DST=ff02:0000:0000:0000:0000:0000:0000:0001 LEN=72 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP "
      "SPT=5353 DPT=5353 LEN=32 ");
  EXPECT_EQ(p.time_ns, k20240503_140211 * kS);
  std::array<uint8_t, 16> src = {0xfe, 0x80, 0,    0,    0,    0,    0,    0,
                                 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};
  std::array<uint8_t, 16> dst = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  EXPECT_EQ(p.packet.source, IpAddress::FromBytes(src));
  EXPECT_EQ(p.packet.destination, IpAddress::FromBytes(dst));
  EXPECT_EQ(p.packet.ip_version, 6);
  EXPECT_EQ(p.packet.ttl, 1);
  EXPECT_EQ(p.packet.destination_port, 5353);
}

TEST(NetfilterLine, NestedQuoteEndsAtItsMatchingBracket) {
  LoggedPacket p = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=120 "
      "TOS=0x00 PREC=0x00 TTL=250 ID=1 PROTO=ICMP TYPE=3 CODE=13 [SRC=192.0.2.10 "
      "DST=198.51.100.7 LEN=92 TOS=0x00 PREC=0x00 TTL=64 ID=2 PROTO=ICMP TYPE=11 CODE=0 "
      "[SRC=198.51.100.7 DST=203.0.113.1 LEN=64 PROTO=UDP SPT=9 DPT=10 LEN=44 ] ] MARK=0x2 ");
  ASSERT_TRUE(p.packet.quoted.present);
  EXPECT_EQ(p.packet.icmp_code, 13);
  EXPECT_EQ(p.packet.quoted.source, V4(192, 0, 2, 10));
  EXPECT_EQ(p.packet.quoted.destination, V4(198, 51, 100, 7));
  EXPECT_EQ(p.packet.quoted.protocol, 1);
  EXPECT_FALSE(p.packet.quoted.has_ports);
}

TEST(NetfilterLine, OtherProtocols) {
  LoggedPacket gre = MustParse(
      "May  3 14:02:11 h kernel: [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 "
      "LEN=64 TOS=0x00 PREC=0x00 TTL=45 ID=12 PROTO=47 ");
  EXPECT_EQ(gre.packet.protocol, 47);
  EXPECT_FALSE(gre.packet.has_ports);
  EXPECT_FALSE(gre.packet.is_icmp);
  EXPECT_EQ(gre.packet.ttl, 45);
  LoggedPacket sctp = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=64 TOS=0x00 "
      "PREC=0x00 TTL=45 ID=12 PROTO=SCTP ");
  EXPECT_EQ(sctp.packet.protocol, 132);
  LoggedPacket esp = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=64 TOS=0x00 "
      "PREC=0x00 TTL=45 ID=12 PROTO=ESP SPI=0x1234 ");
  EXPECT_EQ(esp.packet.protocol, 50);
  LoggedPacket lite = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=64 TOS=0x00 "
      "PREC=0x00 TTL=45 ID=12 PROTO=UDPLITE SPT=1 DPT=2 LEN=44 ");
  EXPECT_EQ(lite.packet.protocol, 136);
  EXPECT_FALSE(lite.packet.has_ports);  // like decode: ports for TCP and UDP only
}

TEST(NetfilterLine, Ipv4Fragments) {
  LoggedPacket first = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=1500 "
      "TOS=0x00 PREC=0x00 TTL=50 ID=40000 MF PROTO=UDP SPT=1234 DPT=161 LEN=3000 ");
  EXPECT_TRUE(first.packet.is_fragment);
  EXPECT_TRUE(first.packet.first_fragment);
  EXPECT_EQ(first.packet.fragment_id, 40000u);
  EXPECT_TRUE(first.packet.has_ports);
  EXPECT_EQ(first.packet.destination_port, 161);
  LoggedPacket rest = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=1520 "
      "TOS=0x00 PREC=0x00 TTL=50 ID=40000 FRAG:185 PROTO=UDP ");
  EXPECT_TRUE(rest.packet.is_fragment);
  EXPECT_FALSE(rest.packet.first_fragment);
  EXPECT_EQ(rest.packet.fragment_id, 40000u);
  EXPECT_EQ(rest.packet.protocol, 17);
  EXPECT_FALSE(rest.packet.has_ports);
  LoggedPacket middle = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=1500 "
      "TOS=0x00 PREC=0x00 TTL=50 ID=41000 MF FRAG:185 PROTO=TCP ");
  EXPECT_TRUE(middle.packet.is_fragment);
  EXPECT_FALSE(middle.packet.first_fragment);
  EXPECT_EQ(middle.packet.protocol, 6);
  LoggedPacket icmp = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=600 "
      "TOS=0x00 PREC=0x00 TTL=50 ID=5 FRAG:370 PROTO=ICMP ");
  EXPECT_EQ(icmp.packet.protocol, 1);
  EXPECT_FALSE(icmp.packet.is_icmp);  // no ICMP header in a later fragment
}

TEST(NetfilterLine, Ipv6Fragments) {
  LoggedPacket rest = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=2001:db8:ff::1 DST=2001:db8:1::10 LEN=1000 "
      "TC=0 HOPLIMIT=60 FLOWLBL=0 FRAG:1448 ID:0000abcd PROTO=UDP ");
  EXPECT_TRUE(rest.packet.is_fragment);
  EXPECT_FALSE(rest.packet.first_fragment);
  EXPECT_EQ(rest.packet.fragment_id, 0xabcdu);
  EXPECT_FALSE(rest.packet.has_ports);
  LoggedPacket first = MustParse(
      "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=2001:db8:ff::1 DST=2001:db8:1::10 LEN=1496 "
      "TC=0 HOPLIMIT=60 FLOWLBL=0 FRAG:0 INCOMPLETE ID:deadbeef PROTO=UDP SPT=5000 DPT=500 "
      "LEN=2000 ");
  EXPECT_TRUE(first.packet.is_fragment);
  EXPECT_TRUE(first.packet.first_fragment);
  EXPECT_EQ(first.packet.fragment_id, 0xdeadbeefu);
  EXPECT_EQ(first.packet.destination_port, 500);
}

TEST(NetfilterLine, BerlinDaylightSavingForZonelessStamps) {
  TimeZone berlin = Zone("Europe/Berlin");
  constexpr std::string_view kRest =
      " h kernel: IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 "
      "PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=9";
  auto at = [&](std::string stamp) {
    return MustParse(stamp + std::string(kRest), 2024, berlin).time_ns / kS;
  };
  EXPECT_EQ(at("Mar 31 01:30:00"), 1711845000);  // CET +1: 00:30 UTC
  EXPECT_EQ(at("Mar 31 03:30:00"), 1711848600);  // CEST +2: 01:30 UTC
  EXPECT_EQ(at("Oct 27 02:30:00"), 1729989000);  // ambiguous: the earlier (CEST) 00:30 UTC
  EXPECT_EQ(at("Oct 27 03:30:00"), 1729996200);  // CET: 02:30 UTC
  EXPECT_EQ(at("Jul  1 12:00:00"), 1719828000);  // CEST: 10:00 UTC
}

TEST(NetfilterLine, NotNetfilter) {
  const char* lines[] = {
      "",
      "May  3 14:02:11 host sshd[123]: Failed password for root from 198.51.100.7 port 22 ssh2",
      "-- Logs begin at Fri 2024-05-03 00:00:01 JST, end at Fri 2024-05-03 23:59:59 JST. --",
      "May  3 14:02:11 host kernel: [UFW AUDIT] SRC=1.2.3.4 DST=5.6.7.8",
      "May  3 14:02:11 host kernel: e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex",
      "9 ID=4321 DF PROTO=TCP SPT=51234 DPT=445 WINDOW=29200 RES=0x00 SYN URGP=0 ",
      // nftables logging ARP: the LOG head, but no IP packet.
      "May  3 14:02:11 h kernel: arp-drop IN=eth0 OUT= "
      "MAC=ff:ff:ff:ff:ff:ff:52:54:00:12:34:56:08:06 "
      "ARP HTYPE=1 PTYPE=0x0800 OPCODE=1 MACSRC=52:54:00:12:34:56 IPSRC=192.0.2.1 "
      "MACDST=00:00:00:00:00:00 IPDST=192.0.2.10",
  };
  for (const char* l : lines) {
    LoggedPacket p;
    LogMalformed why;
    EXPECT_EQ(ParseNetfilterLine(l, 2024, TimeZone::Utc(), &p, &why), LogLineResult::kNotNetfilter)
        << l;
  }
}

constexpr std::string_view kHead =
    "May  3 14:02:11 h kernel: [UFW BLOCK] IN=eth0 OUT= MAC= SRC=198.51.100.7 DST=192.0.2.10 ";

std::string L(std::string_view tail) { return std::string(kHead) + std::string(tail); }

TEST(NetfilterLine, MalformedBadTimestamp) {
  // dmesg without -T: monotonic seconds since boot cannot be placed in time.
  EXPECT_EQ(MustFail("[12345.678901] [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 "
                     "LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=9"),
            LogMalformed::kBadTimestamp);
  EXPECT_EQ(MustFail("Feb 30 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 "
                     "LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=47"),
            LogMalformed::kBadTimestamp);
  EXPECT_EQ(MustFail("May  3 25:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 "
                     "LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=47"),
            LogMalformed::kBadTimestamp);
  EXPECT_EQ(MustFail("2024-13-03T14:02:11Z h kernel: IN=eth0 OUT= SRC=198.51.100.7 "
                     "DST=192.0.2.10 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=47"),
            LogMalformed::kBadTimestamp);
}

TEST(NetfilterLine, MalformedMissingField) {
  EXPECT_EQ(MustFail(std::string(
                "May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 LEN=28 TOS=0x00 "
                "PREC=0x00 TTL=64 ID=1 PROTO=47")),
            LogMalformed::kMissingField);  // DST
  EXPECT_EQ(MustFail("May  3 14:02:11 h kernel: IN=eth0 OUT= DST=192.0.2.10 LEN=28 TOS=0x00 "
                     "PREC=0x00 TTL=64 ID=1 PROTO=47"),
            LogMalformed::kMissingField);  // SRC
  EXPECT_EQ(MustFail(L("LEN=28 TOS=0x00 PREC=0x00 ID=1 PROTO=47")),
            LogMalformed::kMissingField);  // TTL
  EXPECT_EQ(MustFail(L("LEN=40 TOS=0x00 PREC=0x00 TTL=1 ID=1 PROTO=TCP SPT=1 WINDOW=5 RES=0x00 "
                       "SYN URGP=0 ")),
            LogMalformed::kMissingField);  // DPT
}

TEST(NetfilterLine, MalformedBadAddress) {
  EXPECT_EQ(MustFail("May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.300 DST=192.0.2.10 "
                     "LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=47"),
            LogMalformed::kBadAddress);
  EXPECT_EQ(MustFail("May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=2001:db8::g DST=2001:db8::1 "
                     "LEN=28 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=47"),
            LogMalformed::kBadAddress);
  EXPECT_EQ(MustFail("May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=198.51.100.7 DST=2001:db8::1 "
                     "LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=47"),
            LogMalformed::kBadAddress);  // families differ
  // A garbled address inside the quote is garbled too.
  EXPECT_EQ(MustFail(L("LEN=56 TOS=0x00 PREC=0x00 TTL=250 ID=1 PROTO=ICMP TYPE=3 CODE=3 "
                       "[SRC=192.0.2.1O DST=198.51.100.9 LEN=60 PROTO=UDP SPT=1 DPT=2 LEN=8 ] ")),
            LogMalformed::kBadAddress);
}

TEST(NetfilterLine, MalformedBadNumber) {
  EXPECT_EQ(MustFail(L("LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=TCP SPT=1 DPT=70000 "
                       "WINDOW=1 RES=0x00 SYN URGP=0 ")),
            LogMalformed::kBadNumber);  // port > 65535
  EXPECT_EQ(MustFail(L("LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=UDP SPT=abc DPT=53 LEN=8 ")),
            LogMalformed::kBadNumber);
  EXPECT_EQ(MustFail(L("LEN=40 TOS=0x00 PREC=0x00 TTL=300 ID=1 PROTO=47 ")),
            LogMalformed::kBadNumber);
  EXPECT_EQ(MustFail(L("LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=256 ")),
            LogMalformed::kBadNumber);
  EXPECT_EQ(MustFail(L("LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=IGMPX ")),
            LogMalformed::kBadNumber);
  // A line cut mid-way by the next kernel message.
  EXPECT_EQ(MustFail(L("LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=43May  3 14:02:12 h kernel: "
                       "e1000e: eth0 NIC Link is Down")),
            LogMalformed::kBadNumber);
}

TEST(NetfilterLine, MalformedTruncatedLine) {
  EXPECT_EQ(MustFail(L("LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=4321 DF")),
            LogMalformed::kTruncatedLine);  // no PROTO
  EXPECT_EQ(MustFail(L("LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=4321 DF PROTO=TCP SPT=51234")),
            LogMalformed::kTruncatedLine);  // no DPT
  EXPECT_EQ(MustFail(L("LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=4321 DF PROTO=TCP SPT=51234 "
                       "DPT=445 WINDOW=29200 RES=0x00")),
            LogMalformed::kTruncatedLine);  // flags may be lost: no URGP
  EXPECT_EQ(MustFail(L("LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=4321 DF PROTO=UDP SPT=5 DPT=")),
            LogMalformed::kTruncatedLine);
  EXPECT_EQ(MustFail(L("LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=4321 PROTO=ICMP TYPE=8 CODE=0 ID=1")),
            LogMalformed::kTruncatedLine);  // echo without SEQ
  EXPECT_EQ(MustFail(L("LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=4321 PROTO=ICMP TYPE=3")),
            LogMalformed::kTruncatedLine);
  EXPECT_EQ(MustFail(L("LEN=56 TOS=0x00 PREC=0x00 TTL=250 ID=1 PROTO=ICMP TYPE=3 CODE=3 "
                       "[SRC=192.0.2.10 DST=198.51.100.9 LEN=60 TOS=0x00 PREC=0x00 TTL=5")),
            LogMalformed::kTruncatedLine);  // unterminated quote
  EXPECT_EQ(MustFail("May  3 14:02:11 h kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22"),
            LogMalformed::kTruncatedLine);
  EXPECT_EQ(MustFail("May  3 14:02:11 h kernel: [UFW BLOCK] IN=eth0 OUT= MAC= SRC="),
            LogMalformed::kTruncatedLine);
}

TEST(NetfilterLine, MalformedIncompleteHeader) {
  EXPECT_EQ(MustFail(L("LEN=32 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=TCP INCOMPLETE [12 bytes] ")),
            LogMalformed::kIncompleteHeader);
  EXPECT_EQ(MustFail(L("LEN=24 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=ICMP INCOMPLETE [4 bytes] ")),
            LogMalformed::kIncompleteHeader);
  // The kernel could not walk the IPv6 extension headers.
  EXPECT_EQ(MustFail("May  3 14:02:11 h kernel: IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 "
                     "LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 Unknown Ext Hdr 253"),
            LogMalformed::kIncompleteHeader);
}

TEST(NetfilterLine, DamagedBytes) {
  // CRLF, leading NULs (a syslog file after a crash), non-UTF-8 in the prefix.
  std::string crlf = std::string(kUfw) + "\r";
  EXPECT_EQ(MustParse(crlf).packet.destination_port, 445);
  std::string nuls = std::string(4, '\0') + std::string(kUfw);
  EXPECT_EQ(MustParse(nuls).time_ns, k20240503_140211 * kS);
  std::string latin1 = std::string(kUfw);
  latin1.replace(latin1.find("[UFW"), 1, "\xe9\xff[");
  EXPECT_EQ(MustParse(latin1).packet.source_port, 51234);
  // A NUL inside a value is garbage, not a number.
  std::string nul_in_value = std::string(kUfw);
  nul_in_value.replace(nul_in_value.find("DPT=445"), 7,
                       std::string("DPT=4\0"
                                   "5",
                                   7));
  EXPECT_EQ(MustFail(nul_in_value), LogMalformed::kBadNumber);
}

TEST(NetfilterLine, MalformedNames) {
  EXPECT_EQ(LogMalformedName(LogMalformed::kBadTimestamp), "bad_timestamp");
  EXPECT_EQ(LogMalformedName(LogMalformed::kMissingField), "missing_field");
  EXPECT_EQ(LogMalformedName(LogMalformed::kBadAddress), "bad_address");
  EXPECT_EQ(LogMalformedName(LogMalformed::kBadNumber), "bad_number");
  EXPECT_EQ(LogMalformedName(LogMalformed::kTruncatedLine), "truncated_line");
  EXPECT_EQ(LogMalformedName(LogMalformed::kIncompleteHeader), "incomplete_header");
  EXPECT_EQ(LogMalformedName(LogMalformed::kLineTooLong), "line_too_long");
}

// ---- The file reader ----

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/netfilter_log_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(gz);
}

std::string IcmpLine(std::string_view stamp) {
  return std::string(stamp) +
         " h kernel: [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=28 TOS=0x00 "
         "PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=9 ";
}

std::vector<LoggedPacket> ReadAll(NetfilterLogReader* r) {
  std::vector<LoggedPacket> out;
  LoggedPacket p;
  while (r->Next(&p)) out.push_back(p);
  return out;
}

TEST(NetfilterReader, YearRolloverDecemberToJanuary) {
  TempDir dir;
  std::string path = dir.File("kern.log");
  WriteFile(path, IcmpLine("Dec 31 23:59:59") + "\n" + IcmpLine("Jan  1 00:00:01") + "\n" +
                      IcmpLine("Jan  1 00:00:02") + "\n");
  LogParseOptions opt;
  opt.year = 2023;
  auto r = OpenNetfilterLog(path, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<LoggedPacket> v = ReadAll(r->get());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].time_ns, int64_t{1704067199} * kS);  // 2023-12-31 23:59:59 UTC
  EXPECT_EQ(v[1].time_ns, int64_t{1704067201} * kS);  // 2024-01-01 00:00:01 UTC
  EXPECT_EQ(v[2].time_ns, int64_t{1704067202} * kS);
  EXPECT_TRUE((*r)->warnings().empty());
  EXPECT_TRUE((*r)->error().ok());
}

TEST(NetfilterReader, YearFromModificationTimeWithWarning) {
  TempDir dir;
  std::string path = dir.File("syslog");
  WriteFile(path, IcmpLine("May  3 14:02:11") + "\n");
  // mtime 2024-07-01 10:00:00 UTC.
  struct timeval tv[2] = {{1719828000, 0}, {1719828000, 0}};
  ASSERT_EQ(::utimes(path.c_str(), tv), 0);
  auto r = OpenNetfilterLog(path, LogParseOptions{});
  ASSERT_TRUE(r.ok());
  std::vector<LoggedPacket> v = ReadAll(r->get());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].time_ns, k20240503_140211 * kS);
  ASSERT_EQ((*r)->warnings().size(), 1u);
  EXPECT_NE((*r)->warnings()[0].find("year not given: taking 2024 from the file's modification "
                                     "time"),
            std::string::npos)
      << (*r)->warnings()[0];
}

TEST(NetfilterReader, DecemberLinesWrittenInJanuaryTakeThePreviousYear) {
  TempDir dir;
  std::string path = dir.File("syslog.1");
  WriteFile(path, IcmpLine("Dec 31 23:59:59") + "\n" + IcmpLine("Jan  1 00:00:01") + "\n");
  struct timeval tv[2] = {{1704067300, 0}, {1704067300, 0}};  // 2024-01-01 00:01:40 UTC
  ASSERT_EQ(::utimes(path.c_str(), tv), 0);
  auto r = OpenNetfilterLog(path, LogParseOptions{});
  ASSERT_TRUE(r.ok());
  std::vector<LoggedPacket> v = ReadAll(r->get());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].time_ns, int64_t{1704067199} * kS);
  EXPECT_EQ(v[1].time_ns, int64_t{1704067201} * kS);
  ASSERT_EQ((*r)->warnings().size(), 1u);
  EXPECT_NE((*r)->warnings()[0].find("taking 2023"), std::string::npos);
}

TEST(NetfilterReader, GzipCountersAndDamage) {
  TempDir dir;
  std::string text;
  text += std::string(kUfw) + "\r\n";                                               // packet (CRLF)
  text += "May  3 14:02:12 h systemd[1]: Started Session 4.\n";                     // not netfilter
  text += L("LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=4321 DF PROTO=TCP SPT=5") + "\n";  // truncated
  text += std::string(70 * 1024, 'x') + " IN=eth0 OUT= SRC=1.2.3.4\n";              // too long
  text +=
      "[  99.000001] [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=28 TOS=0x00 "
      "PREC=0x00 TTL=64 ID=1 PROTO=47\n";  // bad timestamp
  text += IcmpLine("May  3 14:02:13");     // last line without a newline
  std::string path = dir.File("ufw.log.gz");
  WriteGzip(path, text);
  LogParseOptions opt;
  opt.year = 2024;
  auto r = OpenNetfilterLog(path, opt);
  ASSERT_TRUE(r.ok());
  std::vector<LoggedPacket> v = ReadAll(r->get());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].packet.destination_port, 445);
  EXPECT_EQ(v[1].time_ns, (k20240503_140211 + 2) * kS);
  const LogCounters& c = (*r)->counters();
  EXPECT_EQ(c.lines, 6u);
  EXPECT_EQ(c.packets, 2u);
  EXPECT_EQ(c.not_netfilter, 1u);
  EXPECT_EQ(c.malformed[static_cast<size_t>(LogMalformed::kTruncatedLine)], 1u);
  EXPECT_EQ(c.malformed[static_cast<size_t>(LogMalformed::kLineTooLong)], 1u);
  EXPECT_EQ(c.malformed[static_cast<size_t>(LogMalformed::kBadTimestamp)], 1u);
  EXPECT_EQ(c.bytes, text.size());
  EXPECT_EQ((*r)->size_hint(), text.size());  // the gzip trailer's length
  EXPECT_TRUE((*r)->error().ok());
}

TEST(NetfilterReader, ManyLinesAcrossBufferBoundaries) {
  TempDir dir;
  std::string text;
  const std::string line = std::string(kUfw) + "\n";
  const int n = 3000;  // about 800 KB: several buffer refills, lines split across them
  for (int i = 0; i < n; ++i) text += line;
  std::string path = dir.File("big.log");
  WriteFile(path, text);
  LogParseOptions opt;
  opt.year = 2024;
  auto r = OpenNetfilterLog(path, opt);
  ASSERT_TRUE(r.ok());
  std::vector<LoggedPacket> v = ReadAll(r->get());
  ASSERT_EQ(v.size(), static_cast<size_t>(n));
  for (const LoggedPacket& p : v) ASSERT_EQ(p.packet.destination_port, 445);
  EXPECT_EQ((*r)->counters().lines, static_cast<uint64_t>(n));
  EXPECT_EQ((*r)->counters().bytes, text.size());
  EXPECT_EQ((*r)->size_hint(), text.size());
}

TEST(NetfilterReader, DamagedGzipIsAnErrorNamingTheFile) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += std::string(kUfw) + "\n";
  std::string gz = dir.File("cut.gz");
  WriteGzip(gz, text);
  std::ifstream in(gz, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  WriteFile(gz, bytes.substr(0, bytes.size() / 2));
  LogParseOptions opt;
  opt.year = 2024;
  auto r = OpenNetfilterLog(gz, opt);
  ASSERT_TRUE(r.ok());
  std::vector<LoggedPacket> v = ReadAll(r->get());
  EXPECT_LT(v.size(), 2000u);
  EXPECT_FALSE((*r)->error().ok());
  EXPECT_NE((*r)->error().message().find("cut.gz"), std::string::npos);
}

TEST(NetfilterReader, MissingFile) {
  auto r = OpenNetfilterLog("/nonexistent/dir/kern.log", LogParseOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
}

}  // namespace
}  // namespace scanscope
