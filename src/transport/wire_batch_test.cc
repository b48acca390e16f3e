#include "transport/wire_batch.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <random>

namespace scanscope {
namespace {

AccessRecord Rec(int64_t t, uint32_t src, PortType port) {
  AccessRecord r;
  r.time_ns = t;
  r.source = IpAddress::FromV4(src);
  r.destination = *IpAddress::Parse("2001:db8::7");
  r.port_type = port;
  r.tcp_flags = kTcpSyn | kTcpEce;
  r.ttl = 53;
  r.length = 60;
  return r;
}

WireBatch Sample(size_t n) {
  WireBatch b{"point-01", "point-01/9f3a/17", {}};
  std::mt19937_64 rng(7);
  const PortType ports[] = {PortType::Tcp(445), PortType::Udp(1434), PortType::Icmp(),
                            PortType::Protocol(47)};
  for (size_t i = 0; i < n; ++i) {
    AccessRecord r = Rec(static_cast<int64_t>(rng()), static_cast<uint32_t>(rng()), ports[i % 4]);
    r.tcp_flags = static_cast<uint8_t>(rng());
    r.ttl = static_cast<uint8_t>(rng());
    r.length = static_cast<uint16_t>(rng());
    b.records.push_back(r);
  }
  return b;
}

bool SameRecord(const AccessRecord& a, const AccessRecord& b) {
  return a.time_ns == b.time_ns && a.source == b.source && a.destination == b.destination &&
         a.port_type == b.port_type && a.tcp_flags == b.tcp_flags && a.ttl == b.ttl &&
         a.length == b.length;
}

// Re-seals a frame after the test edited its body (so that only the intended
// check can fail, not the checksum).
void Reseal(std::string* frame) {
  uint32_t body_len = static_cast<uint32_t>(frame->size() - kWireHeaderBytes);
  std::memcpy(frame->data() + 8, &body_len, 4);  // little-endian host (x86, arm)
  uint64_t sum = XXH3_64bits(frame->data() + kWireHeaderBytes, body_len);
  std::memcpy(frame->data() + 12, &sum, 8);
}

TEST(WireBatch, RoundTrip) {
  for (size_t n : {0u, 1u, 3u, 1000u}) {
    WireBatch b = Sample(n);
    std::string frame = EncodeWireBatch(b);
    EXPECT_EQ(frame.size(), WireBatchBytes(n, b.point.size(), b.batch_id.size()));
    auto got = DecodeWireBatch(frame, WireLimits{});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->point, b.point);
    EXPECT_EQ(got->batch_id, b.batch_id);
    ASSERT_EQ(got->records.size(), n);
    for (size_t i = 0; i < n; ++i) EXPECT_TRUE(SameRecord(got->records[i], b.records[i])) << i;
  }
}

TEST(WireBatch, LayoutIsAsDocumented) {
  WireBatch b{"p", "p/s/1", {Rec(0x0102030405060708, 0xC0000201, PortType::Tcp(445))}};
  std::string f = EncodeWireBatch(b);
  EXPECT_EQ(f.substr(0, 4), "SSWB");
  EXPECT_EQ(f[4], 1);
  EXPECT_EQ(f[5], 0);
  EXPECT_EQ(static_cast<uint8_t>(f[8]), f.size() - 20);
  // body: u16 1 "p" u16 5 "p/s/1" u32 1, then the record: time little-endian first.
  EXPECT_EQ(f.substr(20, 3), std::string("\x01\x00p", 3));
  EXPECT_EQ(f.substr(23, 7), std::string("\x05\x00p/s/1", 7));
  EXPECT_EQ(f.substr(30, 4), std::string("\x01\x00\x00\x00", 4));
  EXPECT_EQ(static_cast<uint8_t>(f[34]), 0x08);
  // Source ::ffff:192.0.2.1 in network order.
  EXPECT_EQ(static_cast<uint8_t>(f[34 + 8 + 12]), 192);
  EXPECT_EQ(static_cast<uint8_t>(f[34 + 8 + 15]), 1);
  EXPECT_EQ(f.size(), 34u + 48u);
}

// Every rejection, with the code a caller tells apart and a reason that says what.
TEST(WireBatch, RejectsEveryKindOfBadInput) {
  const std::string good = EncodeWireBatch(Sample(4));
  auto expect = [](std::string_view bytes, StatusCode code, const std::string& words,
                   WireLimits limits = {}) {
    auto got = DecodeWireBatch(bytes, limits);
    ASSERT_FALSE(got.ok()) << words;
    EXPECT_EQ(got.status().code(), code) << got.status().ToString();
    EXPECT_NE(got.status().message().find(words), std::string::npos) << got.status().ToString();
  };
  expect("", StatusCode::kCorruption, "truncated header");
  expect(good.substr(0, 19), StatusCode::kCorruption, "truncated header");
  expect("GET / HTTP/1.1\r\nHost: x\r\n\r\n", StatusCode::kCorruption, "bad magic");
  // Truncated anywhere in the body.
  for (size_t cut = 20; cut < good.size(); cut += 7) {
    expect(good.substr(0, cut), StatusCode::kCorruption, "truncated");
  }
  expect(good + "x", StatusCode::kCorruption, "trailing");
  {
    std::string f = good;
    f[good.size() - 3] ^= 0x40;  // a record byte
    expect(f, StatusCode::kCorruption, "checksum");
  }
  {
    std::string f = good;
    f[4] = 2;
    expect(f, StatusCode::kUnsupported, "version 2");
  }
  {
    std::string f = good;
    f[6] = 1;
    expect(f, StatusCode::kUnsupported, "flags");
  }
  // Limits: bytes and records, checked before the records are read.
  expect(good, StatusCode::kInvalidArgument, "over the limit", WireLimits{1u << 20, 100});
  expect(good, StatusCode::kInvalidArgument, "4 records are over the limit of 3",
         WireLimits{3, 64u << 20});
  {
    // A record count that claims far more than the bytes hold (no allocation for it).
    std::string f = good;
    size_t at = 20 + 2 + 8 + 2 + 16;
    uint32_t huge = 1000;
    std::memcpy(f.data() + at, &huge, 4);
    Reseal(&f);
    expect(f, StatusCode::kCorruption, "1000 records need 48000 bytes");
  }
  {
    // A port type code no PortType has.
    WireBatch b = Sample(1);
    std::string f = EncodeWireBatch(b);
    uint32_t bad = 0x09000000;
    std::memcpy(f.data() + f.size() - 8, &bad, 4);
    Reseal(&f);
    expect(f, StatusCode::kCorruption, "unknown port type code");
  }
  // Names: empty, over-long, non-printable, batch id of another point.
  auto with = [](std::string point, std::string id) {
    WireBatch b = Sample(1);
    b.point = std::move(point);
    b.batch_id = std::move(id);
    return EncodeWireBatch(b);
  };
  expect(with("", "/x/1"), StatusCode::kInvalidArgument, "empty point");
  expect(with("p", ""), StatusCode::kInvalidArgument, "empty batch id");
  expect(with(std::string(256, 'p'), "p/1"), StatusCode::kInvalidArgument, "point of 256 bytes");
  expect(with("p 1", "p 1/x/1"), StatusCode::kInvalidArgument, "point holds a space");
  expect(with("p\n", "p\n/x"), StatusCode::kInvalidArgument, "point holds");
  expect(with("point-01", "point-02/x/1"), StatusCode::kInvalidArgument,
         "does not start with \"point-01/\"");
  expect(with("point-01", "point-01/"), StatusCode::kInvalidArgument, "does not start");
  expect(with("point-01", "point-011/x"), StatusCode::kInvalidArgument, "does not start");
}

// Random damage never crashes and never decodes to something other than
// the original (the checksum catches it) unless the damage is a no-op.
TEST(WireBatch, RandomDamageIsRejected) {
  const std::string good = EncodeWireBatch(Sample(20));
  std::mt19937 rng(11);
  for (int i = 0; i < 5000; ++i) {
    std::string f = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) f[rng() % f.size()] ^= static_cast<char>(1 + rng() % 255);
    if (rng() % 3 == 0) f.resize(rng() % f.size());
    if (f == good) continue;
    auto got = DecodeWireBatch(f, WireLimits{});
    EXPECT_FALSE(got.ok()) << i;
  }
}

}  // namespace
}  // namespace scanscope
