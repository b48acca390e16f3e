#include "store/source_day.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include "store/raw_chunk.h"

namespace scanscope {
namespace {

struct Expected {
  uint64_t accesses = 0;
  int64_t first = 0;
  int64_t last = 0;
};
// (day, port code, source bytes) -> row: the independent computation.
using ExpectedMap = std::map<std::tuple<int32_t, uint32_t, std::array<uint8_t, 16>>, Expected>;

IpAddress RandomSource(std::mt19937_64& rng) {
  // Heavy-tailed: a few sources send most accesses; some IPv6.
  std::uniform_int_distribution<int> pick(0, 99);
  int p = pick(rng);
  if (p < 50) return IpAddress::FromV4(0x0A000000u + static_cast<uint32_t>(rng() % 16));
  if (p < 90) return IpAddress::FromV4(static_cast<uint32_t>(rng() % 5000) * 7919u);
  std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
  b[15] = static_cast<uint8_t>(rng() % 64);
  b[7] = static_cast<uint8_t>(rng() % 3);
  return IpAddress::FromBytes(b);
}

PortType RandomPort(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return PortType::Tcp(static_cast<uint16_t>(445 + rng() % 3));
    case 1:
      return PortType::Udp(static_cast<uint16_t>(1026 + rng() % 2));
    case 2:
      return PortType::Icmp();
    default:
      return PortType::Protocol(47);
  }
}

void ExpectMatches(const ExpectedMap& want, const std::vector<SourceDayBlock>& blocks) {
  ExpectedMap got;
  int32_t prev_day = INT32_MIN;
  uint32_t prev_port = 0;
  for (const SourceDayBlock& b : blocks) {
    ASSERT_FALSE(b.rows.empty());
    // Blocks sorted by (day, port), each (day, port) once.
    ASSERT_TRUE(b.day > prev_day || (b.day == prev_day && b.port.Code() > prev_port));
    prev_day = b.day;
    prev_port = b.port.Code();
    for (size_t i = 0; i < b.rows.size(); ++i) {
      if (i > 0) {
        ASSERT_LT(b.rows[i - 1].source, b.rows[i].source);
      }
      const SourceDayRow& r = b.rows[i];
      got[{b.day, b.port.Code(), r.source.bytes()}] = {r.accesses, r.first_ns, r.last_ns};
    }
  }
  ASSERT_EQ(got.size(), want.size());
  auto w = want.begin();
  for (auto g = got.begin(); g != got.end(); ++g, ++w) {
    ASSERT_EQ(g->first, w->first);
    EXPECT_EQ(g->second.accesses, w->second.accesses);
    EXPECT_EQ(g->second.first, w->second.first);
    EXPECT_EQ(g->second.last, w->second.last);
  }
}

TEST(SourceDayTable, MatchesMapOnRandomData) {
  std::mt19937_64 rng(42);
  SourceDayTable table;
  ExpectedMap want;
  for (int i = 0; i < 200000; ++i) {
    int32_t day = 14000 + static_cast<int32_t>(rng() % 5);
    PortType port = RandomPort(rng);
    IpAddress src = RandomSource(rng);
    int64_t t = static_cast<int64_t>(rng() % 1'000'000'000'000ull) - 500'000'000'000ll;
    uint64_t n = (i % 17 == 0) ? 3 : 1;
    table.Add(day, port, src, t, n);
    Expected& e = want[{day, port.Code(), src.bytes()}];
    if (e.accesses == 0) {
      e.first = e.last = t;
    } else {
      e.first = std::min(e.first, t);
      e.last = std::max(e.last, t);
    }
    e.accesses += n;
  }
  table.Add(1, PortType::Icmp(), IpAddress::FromV4(1), 5, 0);  // 0 accesses: no-op
  EXPECT_EQ(table.size(), want.size());
  std::vector<SourceDayBlock> blocks = table.TakeBlocks();
  ExpectMatches(want, blocks);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.TakeBlocks().empty());
  // The table is usable again after TakeBlocks.
  table.Add(3, PortType::Tcp(22), IpAddress::FromV4(9), 100);
  auto again = table.TakeBlocks();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].day, 3);
  EXPECT_EQ(again[0].Accesses(), 1u);
}

TEST(SourceDayBlock, MergeByAdditionInAnyOrder) {
  std::mt19937_64 rng(7);
  struct Access {
    int32_t day;
    PortType port;
    IpAddress src;
    int64_t t;
  };
  std::vector<Access> all;
  ExpectedMap want;
  for (int i = 0; i < 30000; ++i) {
    Access a{static_cast<int32_t>(rng() % 3), RandomPort(rng), RandomSource(rng),
             static_cast<int64_t>(rng() % 100000)};
    all.push_back(a);
    Expected& e = want[{a.day, a.port.Code(), a.src.bytes()}];
    e.first = e.accesses == 0 ? a.t : std::min(e.first, a.t);
    e.last = e.accesses == 0 ? a.t : std::max(e.last, a.t);
    ++e.accesses;
  }
  for (int order = 0; order < 4; ++order) {
    std::shuffle(all.begin(), all.end(), rng);
    // Split into 5 batches, aggregate each, merge the batches' blocks.
    std::map<std::pair<int32_t, uint32_t>, SourceDayBlock> merged;
    for (size_t batch = 0; batch < 5; ++batch) {
      SourceDayTable t;
      for (size_t i = batch; i < all.size(); i += 5) {
        t.Add(all[i].day, all[i].port, all[i].src, all[i].t);
      }
      for (SourceDayBlock& b : t.TakeBlocks()) {
        auto& m = merged[{b.day, b.port.Code()}];
        m.day = b.day;
        m.port = b.port;
        MergeBlockRows(&m.rows, b.rows);
      }
    }
    std::vector<SourceDayBlock> blocks;
    for (auto& [k, b] : merged) blocks.push_back(b);
    ExpectMatches(want, blocks);
  }
}

TEST(SourceDayBlock, MergeRowsByHand) {
  auto a4 = [](uint32_t v) { return IpAddress::FromV4(v); };
  std::vector<SourceDayRow> a = {{a4(1), 2, 10, 20}, {a4(5), 1, 7, 7}};
  std::vector<SourceDayRow> b = {{a4(0), 1, 3, 3}, {a4(5), 4, 1, 9}, {a4(9), 1, 2, 2}};
  MergeBlockRows(&a, b);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].source, a4(0));
  EXPECT_EQ(a[1].accesses, 2u);
  EXPECT_EQ(a[2].source, a4(5));
  EXPECT_EQ(a[2].accesses, 5u);
  EXPECT_EQ(a[2].first_ns, 1);
  EXPECT_EQ(a[2].last_ns, 9);
  EXPECT_EQ(a[3].source, a4(9));
}

// CRC-32C of "123456789" is 0xE3069283 (RFC 3720 check value); the block
// bytes below are built by hand from the format in docs/store.md.
uint32_t Crc32cRef(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char ch : s) {
    c ^= ch;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

TEST(BlockCodec, SmallBlockBytesByHand) {
  ASSERT_EQ(Crc32cRef("123456789"), 0xE3069283u);
  std::vector<SourceDayRow> rows = {
      {IpAddress::FromV4(0xC0000201), 3, 1'000'000, 1'500'000},  // 192.0.2.1
      {IpAddress::FromV4(0xC0000205), 1, 900'000, 900'000}};     // 192.0.2.5
  std::string want;
  want += '\x01';  // version
  want += '\x00';  // raw
  want += '\x02';  // 2 rows
  // Addresses: 0 shared + 16 bytes; then 15 shared + 1 byte.
  want += '\x00';
  want += std::string("\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01", 16);
  want += '\x0f';
  want += '\x05';
  want += "\x03\x01";  // accesses
  want += '\x01';      // times in microseconds (1000^1 ns)
  want += "\xd0\x0f";  // zigzag(1000) = 2000 = 0x7d0 -> d0 0f
  want += "\xc7\x01";  // zigzag(-100) = 199 -> c7 01
  want += "\xf4\x03";  // 500 = 0x1f4 -> f4 03
  want += '\x00';      // 0
  uint32_t crc = Crc32cRef(want);
  for (int i = 0; i < 4; ++i) want += static_cast<char>(crc >> (8 * i));
  EXPECT_EQ(EncodeBlockRows(rows), want);
  std::vector<SourceDayRow> back;
  ASSERT_TRUE(DecodeBlockRows(want, &back).ok());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].source, rows[1].source);
  EXPECT_EQ(back[1].first_ns, 900'000);
  EXPECT_EQ(back[0].last_ns, 1'500'000);
}

std::vector<SourceDayRow> RandomRows(std::mt19937_64& rng, size_t n) {
  std::map<std::array<uint8_t, 16>, SourceDayRow> m;
  while (m.size() < n) {
    IpAddress a =
        (rng() % 5 == 0)
            ? IpAddress::FromBytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, static_cast<uint8_t>(rng()), 0,
                                    0, 0, 0, 0, 0, 0, static_cast<uint8_t>(rng())})
            : IpAddress::FromV4(static_cast<uint32_t>(rng()));
    int64_t first = static_cast<int64_t>(rng() % 86'400'000'000'000ull) + 1'240'000'000'000'000'000;
    int64_t last = first + static_cast<int64_t>(rng() % 3'600'000'000'000ull);
    m[a.bytes()] = SourceDayRow{a, 1 + rng() % (rng() % 7 == 0 ? 100000 : 3), first, last};
  }
  std::vector<SourceDayRow> rows;
  for (auto& [k, r] : m) rows.push_back(r);
  return rows;
}

TEST(BlockCodec, RoundTripSizes) {
  std::mt19937_64 rng(3);
  for (size_t n : {0, 1, 2, 5, 50, 1000, 20000}) {
    std::vector<SourceDayRow> rows = RandomRows(rng, n);
    std::string bytes = EncodeBlockRows(rows);
    std::vector<SourceDayRow> back;
    ASSERT_TRUE(DecodeBlockRows(bytes, &back).ok()) << n;
    ASSERT_EQ(back.size(), rows.size());
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(back[i].source, rows[i].source);
      EXPECT_EQ(back[i].accesses, rows[i].accesses);
      EXPECT_EQ(back[i].first_ns, rows[i].first_ns);
      EXPECT_EQ(back[i].last_ns, rows[i].last_ns);
    }
    if (n >= 1000) {
      EXPECT_LT(bytes.size(), n * 18) << "compact encoding";
    }
  }
  // Extreme times round-trip (wrapping deltas).
  std::vector<SourceDayRow> ext = {{IpAddress::FromV4(1), 1, INT64_MIN, INT64_MAX},
                                   {IpAddress::FromV4(2), UINT64_MAX, INT64_MAX, INT64_MAX}};
  std::vector<SourceDayRow> back;
  ASSERT_TRUE(DecodeBlockRows(EncodeBlockRows(ext), &back).ok());
  EXPECT_EQ(back[0].first_ns, INT64_MIN);
  EXPECT_EQ(back[0].last_ns, INT64_MAX);
  EXPECT_EQ(back[1].accesses, UINT64_MAX);
}

// Randomized damage: flips, truncations, extensions, garbage. Every damaged
// form must be rejected with Corruption (the CRC makes a silent pass
// astronomically unlikely), and must never crash (run under ASan/UBSan too).
TEST(BlockCodec, RejectsAnyDamage) {
  std::mt19937_64 rng(11);
  for (size_t n : {1, 3, 40, 600}) {
    std::string good = EncodeBlockRows(RandomRows(rng, n));
    std::vector<SourceDayRow> out;
    for (int trial = 0; trial < 3000; ++trial) {
      std::string bad = good;
      switch (trial % 5) {
        case 0:
          bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
          break;
        case 1:
          bad.resize(rng() % bad.size());
          break;
        case 2:
          bad += static_cast<char>(rng());
          break;
        case 3:
          for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
          if (bad == good) bad[0] ^= 1;
          break;
        default:
          bad.assign(rng() % 64, '\0');
          for (char& c : bad) c = static_cast<char>(rng());
          break;
      }
      Status st = DecodeBlockRows(bad, &out);
      ASSERT_TRUE(st.IsCorruption()) << "trial " << trial << ": " << st.ToString();
      EXPECT_TRUE(out.empty());
    }
  }
}

// Damage behind a valid checksum: the parser itself must hold (hand-built
// frames with a correct CRC but wrong content).
TEST(BlockCodec, RejectsBadContentWithValidChecksum) {
  auto seal = [](std::string s) {
    uint32_t crc = Crc32cRef(s);
    for (int i = 0; i < 4; ++i) s += static_cast<char>(crc >> (8 * i));
    return s;
  };
  std::string addr1 = std::string(1, '\0') + std::string(16, '\x01');
  std::vector<SourceDayRow> out;
  // Declares a billion rows with a tiny body.
  EXPECT_TRUE(DecodeBlockRows(seal(std::string("\x01\x00\x80\x94\xeb\xdc\x03", 7) + addr1), &out)
                  .IsCorruption());
  // Accesses 0.
  EXPECT_TRUE(DecodeBlockRows(
                  seal(std::string("\x01\x00\x01", 3) + addr1 + std::string("\0\0\0\0", 4)), &out)
                  .IsCorruption());
  // Unsorted sources: second address shares 15 bytes but is smaller.
  EXPECT_TRUE(DecodeBlockRows(seal(std::string("\x01\x00\x02", 3) + addr1 + "\x0f\x00" +
                                   std::string("\x01\x01\0\0\0\0", 6)),
                              &out)
                  .IsCorruption());
  // Last before first.
  EXPECT_TRUE(
      DecodeBlockRows(seal(std::string("\x01\x00\x01", 3) + addr1 +
                           std::string("\x01\x00\x02\x81\x80\x80\x80\x80\x80\x80\x80\x80\x01", 13)),
                      &out)
          .IsCorruption());
  // Unknown version and compression.
  EXPECT_TRUE(DecodeBlockRows(seal(std::string("\x02\x00\x00", 3)), &out).IsCorruption());
  EXPECT_TRUE(DecodeBlockRows(seal(std::string("\x01\x07\x00", 3)), &out).IsCorruption());
  // Zstd with a lying body size.
  EXPECT_TRUE(
      DecodeBlockRows(seal(std::string("\x01\x01\x01\x05garbage", 11)), &out).IsCorruption());
  // The valid one-row block passes.
  EXPECT_TRUE(
      DecodeBlockRows(
          seal(std::string("\x01\x00\x01", 3) + addr1 + std::string("\x01\x00\x02\x00", 4)), &out)
          .ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first_ns, 1);
}

TEST(RawChunk, RoundTripAndDamage) {
  std::mt19937_64 rng(5);
  std::vector<AccessRecord> recs;
  for (int i = 0; i < 5000; ++i) {
    AccessRecord r;
    r.time_ns = 1'240'000'000'000'000'000 + static_cast<int64_t>(rng() % 1'000'000'000'000ull);
    r.source = RandomSource(rng);
    r.destination = (i % 3) ? IpAddress::FromV4(0xC0000201) : *IpAddress::Parse("2001:db8::1");
    r.port_type = RandomPort(rng);
    r.tcp_flags = static_cast<uint8_t>(rng());
    r.ttl = static_cast<uint8_t>(rng());
    r.length = static_cast<uint16_t>(rng());
    recs.push_back(r);
  }
  std::string bytes = EncodeRawChunk(recs);
  EXPECT_LT(bytes.size(), recs.size() * 20);
  std::vector<AccessRecord> back(1);  // appends after what is there
  ASSERT_TRUE(DecodeRawChunk(bytes, &back).ok());
  ASSERT_EQ(back.size(), recs.size() + 1);
  for (size_t i = 0; i < recs.size(); ++i) {
    const AccessRecord& a = recs[i];
    const AccessRecord& b = back[i + 1];
    ASSERT_EQ(a.time_ns, b.time_ns);
    ASSERT_EQ(a.source, b.source);
    ASSERT_EQ(a.destination, b.destination);
    ASSERT_EQ(a.port_type, b.port_type);
    ASSERT_EQ(a.tcp_flags, b.tcp_flags);
    ASSERT_EQ(a.ttl, b.ttl);
    ASSERT_EQ(a.length, b.length);
  }
  std::vector<AccessRecord> empty;
  ASSERT_TRUE(DecodeRawChunk(EncodeRawChunk(empty), &empty).ok());
  EXPECT_TRUE(empty.empty());
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = bytes;
    if (trial % 2) {
      bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    } else {
      bad.resize(rng() % bad.size());
    }
    std::vector<AccessRecord> out(2);
    ASSERT_TRUE(DecodeRawChunk(bad, &out).IsCorruption());
    EXPECT_EQ(out.size(), 2u);
  }
}

}  // namespace
}  // namespace scanscope
