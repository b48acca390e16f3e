#include "record/port_type.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "record/record_codec.h"

namespace scanscope {
namespace {

// The codes are written by hand from the layout (kind:8 protocol:8 port:16),
// not from Code(): they are on disk in spools and ledgers and on the wire.
TEST(PortTypeTest, CodesAreTheDocumentedLayout) {
  EXPECT_EQ(PortType::Tcp(445).Code(), 0x000601BDu);
  EXPECT_EQ(PortType::Udp(1434).Code(), 0x0111059Au);
  EXPECT_EQ(PortType::Icmp().Code(), 0x02000000u);
  EXPECT_EQ(PortType::Protocol(47).Code(), 0x032F0000u);
}

TEST(PortTypeTest, EveryValidCodeRoundTripsAndOthersAreRefused) {
  for (uint32_t port : {0u, 1u, 80u, 65535u}) {
    for (PortType p :
         {PortType::Tcp(static_cast<uint16_t>(port)), PortType::Udp(static_cast<uint16_t>(port))}) {
      ASSERT_TRUE(PortType::FromCode(p.Code()).has_value()) << p.ToString();
      EXPECT_EQ(*PortType::FromCode(p.Code()), p);
      EXPECT_EQ(PortType::Parse(p.ToString()), p);
    }
  }
  for (uint32_t proto = 0; proto < 256; ++proto) {
    PortType p = PortType::Protocol(static_cast<uint8_t>(proto));
    EXPECT_EQ(PortType::FromCode(p.Code()), p);
    EXPECT_EQ(PortType::Parse(p.ToString()), p) << p.ToString();
  }
  EXPECT_EQ(PortType::FromCode(PortType::Icmp().Code()), PortType::Icmp());
  // Codes that name nothing: TCP with protocol 17, ICMP with a port, a
  // protocol with a port, an unknown kind.
  for (uint32_t bad : {0x001101BDu, 0x02000001u, 0x032F0050u, 0x04000000u, 0xFFFFFFFFu}) {
    EXPECT_FALSE(PortType::FromCode(bad).has_value()) << std::hex << bad;
  }
}

TEST(PortTypeTest, TextFormsAndWhatIsRefused) {
  EXPECT_EQ(PortType::Tcp(445).ToString(), "445/tcp");
  EXPECT_EQ(PortType::Udp(1026).ToString(), "1026/udp");
  EXPECT_EQ(PortType::Icmp().ToString(), "ICMP");
  EXPECT_EQ(PortType::Protocol(47).ToString(), "proto-47");
  for (const char* bad : {"", "445", "445/sctp", "65536/tcp", "-1/tcp", "/tcp", "proto-256",
                          "proto-", "icmp", "445/TCP", "44 5/tcp"}) {
    EXPECT_FALSE(PortType::Parse(bad).has_value()) << bad;
  }
}

TEST(PortTypeTest, OrderIsKindThenNumber) {
  std::set<PortType> s = {PortType::Protocol(1), PortType::Udp(53), PortType::Icmp(),
                          PortType::Tcp(445), PortType::Tcp(22)};
  std::string order;
  for (PortType p : s) order += p.ToString() + " ";
  EXPECT_EQ(order, "22/tcp 445/tcp 53/udp ICMP proto-1 ");
}

TEST(RecordCodecTest, FortyEightBytesAtTheDocumentedOffsets) {
  AccessRecord r;
  r.time_ns = 0x0102030405060708;
  r.source = IpAddress::FromV4(0xC0000201);       // 192.0.2.1
  r.destination = IpAddress::FromV4(0xCB007105);  // 203.0.113.5
  r.port_type = PortType::Tcp(445);
  r.tcp_flags = 0x02;
  r.ttl = 113;
  r.length = 0x0130;
  std::string bytes;
  AppendRecord(r, &bytes);
  ASSERT_EQ(bytes.size(), kRecordBytes);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x08);  // little-endian time
  EXPECT_EQ(static_cast<uint8_t>(bytes[7]), 0x01);
  // ::ffff:192.0.2.1 in network order at 8..23.
  EXPECT_EQ(static_cast<uint8_t>(bytes[8 + 10]), 0xFF);
  EXPECT_EQ(static_cast<uint8_t>(bytes[8 + 12]), 192);
  EXPECT_EQ(static_cast<uint8_t>(bytes[8 + 15]), 1);
  EXPECT_EQ(static_cast<uint8_t>(bytes[24 + 12]), 203);
  EXPECT_EQ(RecordPortCode(bytes.data()), 0x000601BDu);
  EXPECT_EQ(static_cast<uint8_t>(bytes[44]), 0x02);
  EXPECT_EQ(static_cast<uint8_t>(bytes[45]), 113);
  EXPECT_EQ(static_cast<uint8_t>(bytes[46]), 0x30);
  auto back = ReadRecord(bytes.data());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->time_ns, r.time_ns);
  EXPECT_EQ(back->source, r.source);
  EXPECT_EQ(back->destination, r.destination);
  EXPECT_EQ(back->port_type, r.port_type);
  EXPECT_EQ(back->tcp_flags, r.tcp_flags);
  EXPECT_EQ(back->ttl, r.ttl);
  EXPECT_EQ(back->length, r.length);
  bytes[43] = 0x09;  // kind 9: no such port type
  EXPECT_FALSE(ReadRecord(bytes.data()).has_value());
}

}  // namespace
}  // namespace scanscope
