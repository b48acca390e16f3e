// Capture files built byte by byte here, independently of the reader: every
// header field is written by hand from the format specifications (pcap:
// draft-ietf-opsawg-pcap; pcapng: draft-ietf-opsawg-pcapng), and expected
// times are computed by hand from the fields written.

#include "capture/capture_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace scanscope {
namespace {

using Buf = std::vector<uint8_t>;

// Appends integers in one byte order.
class Bytes {
 public:
  explicit Bytes(bool big = false) : big_(big) {}
  Bytes& U8(uint8_t x) {
    v.push_back(x);
    return *this;
  }
  Bytes& U16(uint16_t x) { return Int(x, 2); }
  Bytes& U32(uint32_t x) { return Int(x, 4); }
  Bytes& U64(uint64_t x) { return Int(x, 8); }
  Bytes& Raw(const Buf& b) {
    v.insert(v.end(), b.begin(), b.end());
    return *this;
  }
  Bytes& Pad4() {
    while (v.size() % 4 != 0) v.push_back(0);
    return *this;
  }
  bool big() const { return big_; }
  Buf v;

 private:
  Bytes& Int(uint64_t x, int n) {
    for (int i = 0; i < n; ++i) {
      const int shift = big_ ? 8 * (n - 1 - i) : 8 * i;
      v.push_back(static_cast<uint8_t>(x >> shift));
    }
    return *this;
  }
  bool big_;
};

// A frame of `n` bytes whose contents depend on `seed`.
Buf Payload(size_t n, uint8_t seed) {
  Buf b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return b;
}

struct Got {
  int64_t time_ns;
  uint16_t link;
  Buf data;
  uint32_t orig;
};

std::vector<Got> ReadAll(CaptureFile& f) {
  std::vector<Got> out;
  Frame fr;
  while (f.Next(&fr)) {
    out.push_back({fr.time_ns, static_cast<uint16_t>(fr.link_type),
                   Buf(fr.data.begin(), fr.data.end()), fr.original_length});
  }
  EXPECT_FALSE(f.Next(&fr)) << "Next after the end stays false";
  return out;
}

std::unique_ptr<CaptureFile> OpenOk(const Buf& b, CaptureFormat fmt = CaptureFormat::kAuto) {
  auto r = OpenCaptureBuffer(b, fmt);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

// ---- pcap ----

void PcapHeader(Bytes& b, bool nano, uint32_t snaplen, uint32_t link) {
  b.U32(nano ? 0xa1b23c4d : 0xa1b2c3d4).U16(2).U16(4).U32(0).U32(0).U32(snaplen).U32(link);
}
void PcapRecord(Bytes& b, uint32_t sec, uint32_t frac, const Buf& data, uint32_t orig) {
  b.U32(sec).U32(frac).U32(static_cast<uint32_t>(data.size())).U32(orig).Raw(data);
}

// ---- pcapng ----

// Appends a block: type, total length, body padded to 4, total length.
void Block(Bytes& out, uint32_t type, Buf body) {
  while (body.size() % 4 != 0) body.push_back(0);
  const uint32_t len = static_cast<uint32_t>(12 + body.size());
  out.U32(type).U32(len).Raw(body).U32(len);
}
void Shb(Bytes& out) {
  Bytes body(out.big());
  body.U32(0x1a2b3c4d).U16(1).U16(0).U64(~uint64_t{0});
  Block(out, 0x0a0d0d0a, body.v);
}
// `tsresol` < 0: no option. `tsoffset` 0: no option.
void Idb(Bytes& out, uint16_t link, uint32_t snaplen, int tsresol = -1, int64_t tsoffset = 0) {
  Bytes body(out.big());
  body.U16(link).U16(0).U32(snaplen);
  body.U16(2).U16(5).Raw({'e', 't', 'h', '0', 0}).Pad4();  // if_name, skipped
  if (tsresol >= 0) body.U16(9).U16(1).U8(static_cast<uint8_t>(tsresol)).Pad4();
  if (tsoffset != 0) body.U16(14).U16(8).U64(static_cast<uint64_t>(tsoffset));
  body.U16(0).U16(0);
  Block(out, 1, body.v);
}
void Epb(Bytes& out, uint32_t iface, uint64_t ts, const Buf& data, uint32_t orig) {
  Bytes body(out.big());
  body.U32(iface).U32(static_cast<uint32_t>(ts >> 32)).U32(static_cast<uint32_t>(ts));
  body.U32(static_cast<uint32_t>(data.size())).U32(orig).Raw(data).Pad4();
  body.U16(1).U16(3).Raw({'h', 'i', '!'}).Pad4().U16(0).U16(0);  // opt_comment
  Block(out, 6, body.v);
}
void Spb(Bytes& out, const Buf& data, uint32_t orig) {
  Bytes body(out.big());
  body.U32(orig).Raw(data);
  Block(out, 3, body.v);
}
void ObsoletePb(Bytes& out, uint16_t iface, uint64_t ts, const Buf& data, uint32_t orig) {
  Bytes body(out.big());
  body.U16(iface).U16(0).U32(static_cast<uint32_t>(ts >> 32)).U32(static_cast<uint32_t>(ts));
  body.U32(static_cast<uint32_t>(data.size())).U32(orig).Raw(data);
  Block(out, 2, body.v);
}

// ---- gzip, written with zlib's deflate (the reader only inflates) ----

Buf Gzip(const Buf& in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Buf out(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

constexpr int64_t kSec = 1700000000;  // 2023-11-14T22:13:20Z
constexpr int64_t kNs = 1000000000;

// ======================= pcap =======================

Buf ThreeRecordPcap(bool big, bool nano, uint32_t link) {
  Bytes b(big);
  PcapHeader(b, nano, 65535, link);
  PcapRecord(b, kSec, nano ? 123456789 : 123456, Payload(60, 1), 60);
  PcapRecord(b, kSec + 1, 0, Payload(1, 2), 1514);  // cut by snaplen: orig > caplen
  PcapRecord(b, kSec + 2, nano ? 999999999 : 999999, Payload(0, 3), 0);
  return b.v;
}

void ExpectThreeRecords(CaptureFile& f, bool nano, uint16_t link, uint64_t file_size) {
  auto got = ReadAll(f);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].time_ns, kSec * kNs + (nano ? 123456789 : 123456000));
  EXPECT_EQ(got[1].time_ns, (kSec + 1) * kNs);
  EXPECT_EQ(got[2].time_ns, (kSec + 2) * kNs + (nano ? 999999999 : 999999000));
  for (const Got& g : got) EXPECT_EQ(g.link, link);
  EXPECT_EQ(got[0].data, Payload(60, 1));
  EXPECT_EQ(got[1].data, Payload(1, 2));
  EXPECT_TRUE(got[2].data.empty());
  EXPECT_EQ(got[0].orig, 60u);
  EXPECT_EQ(got[1].orig, 1514u);
  EXPECT_TRUE(f.error().ok()) << f.error().ToString();
  EXPECT_EQ(f.counters().frames, 3u);
  EXPECT_EQ(f.counters().bytes, file_size);
  for (size_t i = 0; i < static_cast<size_t>(CaptureIssue::kCount); ++i) {
    EXPECT_EQ(f.counters().issues[i], 0u) << CaptureIssueName(static_cast<CaptureIssue>(i));
  }
}

TEST(PcapTest, LittleEndianMicroseconds) {
  const Buf b = ThreeRecordPcap(false, false, 1);
  ASSERT_EQ(b[0], 0xd4);  // the magic as it lies on disk
  auto f = OpenOk(b);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size_hint(), b.size());
  ExpectThreeRecords(*f, false, 1, b.size());
}

TEST(PcapTest, BigEndianMicroseconds) {
  const Buf b = ThreeRecordPcap(true, false, 1);
  ASSERT_EQ(b[0], 0xa1);
  auto f = OpenOk(b);
  ASSERT_TRUE(f);
  ExpectThreeRecords(*f, false, 1, b.size());
}

TEST(PcapTest, LittleEndianNanoseconds) {
  const Buf b = ThreeRecordPcap(false, true, 101);
  auto f = OpenOk(b);
  ASSERT_TRUE(f);
  ExpectThreeRecords(*f, true, 101, b.size());
}

TEST(PcapTest, BigEndianNanoseconds) {
  const Buf b = ThreeRecordPcap(true, true, 113);
  auto f = OpenOk(b);
  ASSERT_TRUE(f);
  ExpectThreeRecords(*f, true, 113, b.size());
}

TEST(PcapTest, UnsupportedLinkTypePassesThroughAndFcsBitsAreDropped) {
  // 147 (USER0) is not decoded, but capture passes it on for decode to count.
  const Buf b = ThreeRecordPcap(false, false, 147 | 0x10000000u);
  auto f = OpenOk(b);
  ASSERT_TRUE(f);
  ExpectThreeRecords(*f, false, 147, b.size());
}

TEST(PcapTest, ExplicitFormatMustMatch) {
  const Buf b = ThreeRecordPcap(false, false, 1);
  EXPECT_TRUE(OpenCaptureBuffer(b, CaptureFormat::kPcap).ok());
  auto r = OpenCaptureBuffer(b, CaptureFormat::kPcapng);
  EXPECT_FALSE(r.ok());
}

TEST(PcapTest, HeaderOnly) {
  Bytes b;
  PcapHeader(b, false, 65535, 1);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  EXPECT_TRUE(ReadAll(*f).empty());
  EXPECT_TRUE(f->error().ok());
  EXPECT_EQ(f->counters().frames, 0u);
  EXPECT_EQ(f->counters().bytes, 24u);
}

TEST(PcapTest, TruncatedLastRecordData) {
  Buf b = ThreeRecordPcap(false, false, 1);
  b.resize(b.size() - 16);  // drops the empty third record...
  Bytes tail;
  tail.U32(kSec + 5).U32(0).U32(40).U32(40).Raw(Payload(39, 9));  // ...adds one cut by 1 byte
  const uint64_t cut_at = b.size();
  b.insert(b.end(), tail.v.begin(), tail.v.end());
  auto f = OpenOk(b);
  ASSERT_TRUE(f);
  auto got = ReadAll(*f);
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(f->counters().Get(CaptureIssue::kTruncatedRecord), 1u);
  EXPECT_FALSE(f->error().ok());
  EXPECT_NE(f->error().message().find("offset " + std::to_string(cut_at)), std::string::npos)
      << f->error().message();
}

TEST(PcapTest, TruncatedRecordHeader) {
  Buf b = ThreeRecordPcap(false, false, 1);
  const uint64_t cut_at = b.size();
  b.insert(b.end(), {1, 2, 3, 4, 5, 6, 7});  // 7 of 16 header bytes
  auto f = OpenOk(b);
  ASSERT_TRUE(f);
  EXPECT_EQ(ReadAll(*f).size(), 3u);
  EXPECT_EQ(f->counters().Get(CaptureIssue::kTruncatedRecord), 1u);
  EXPECT_NE(f->error().message().find("offset " + std::to_string(cut_at)), std::string::npos)
      << f->error().message();
}

TEST(PcapTest, CaplenPastSnaplenStopsWithOffset) {
  Bytes b;
  PcapHeader(b, false, 100, 1);
  PcapRecord(b, kSec, 0, Payload(100, 1), 100);  // exactly snaplen: fine
  const uint64_t bad_at = b.v.size();
  PcapRecord(b, kSec, 0, Payload(101, 2), 101);
  PcapRecord(b, kSec, 0, Payload(10, 3), 10);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  EXPECT_EQ(ReadAll(*f).size(), 1u);
  EXPECT_EQ(f->counters().Get(CaptureIssue::kBadRecordLength), 1u);
  EXPECT_TRUE(f->error().IsCorruption());
  EXPECT_NE(f->error().message().find("offset " + std::to_string(bad_at)), std::string::npos)
      << f->error().message();
}

TEST(PcapTest, CaplenPastSanityBoundWithSnaplenZero) {
  Bytes b;
  PcapHeader(b, false, 0, 1);
  b.U32(kSec).U32(0).U32(0xfffffff0u).U32(60).Raw(Payload(60, 1));  // claims ~4 GB
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  EXPECT_TRUE(ReadAll(*f).empty());
  EXPECT_EQ(f->counters().Get(CaptureIssue::kBadRecordLength), 1u);
  EXPECT_NE(f->error().message().find("offset 24"), std::string::npos) << f->error().message();
}

TEST(PcapTest, RecordOf256KiBIsAccepted) {
  Bytes b;
  PcapHeader(b, false, 262144, 1);
  PcapRecord(b, kSec, 0, Payload(262144, 4), 262144);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  auto got = ReadAll(*f);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, Payload(262144, 4));
  EXPECT_TRUE(f->error().ok());
}

TEST(PcapTest, FramesAreViewsIntoTheBuffer) {
  const Buf b = ThreeRecordPcap(false, false, 1);
  auto f = OpenOk(b);
  ASSERT_TRUE(f);
  Frame fr;
  ASSERT_TRUE(f->Next(&fr));
  EXPECT_EQ(fr.data.data(), b.data() + 24 + 16);  // zero copy
}

TEST(OpenTest, EmptyAndGarbageAndShortHeader) {
  EXPECT_FALSE(OpenCaptureBuffer({}).ok());
  const Buf text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'};
  auto r = OpenCaptureBuffer(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a pcap"), std::string::npos);
  Buf short_header = ThreeRecordPcap(false, false, 1);
  short_header.resize(20);
  EXPECT_FALSE(OpenCaptureBuffer(short_header).ok());
  EXPECT_FALSE(OpenCaptureBuffer(Buf{0xd4, 0xc3}).ok());
  // Pcap version 1.x is not a format we know.
  Buf v1 = ThreeRecordPcap(false, false, 1);
  v1[4] = 1;
  EXPECT_FALSE(OpenCaptureBuffer(v1).ok());
}

// ======================= pcapng =======================

// Section 1 (little-endian): eth with default microseconds, raw with ns,
// linux-sll with 2^-20 s units and a +100 s offset. Section 2 (big-endian):
// its own interface 0 (raw IPv4, 228) at milliseconds.
struct NgFile {
  Buf bytes;
  std::vector<Got> expect;
};

NgFile TwoSectionPcapng() {
  NgFile out;
  Bytes s1(false);
  Shb(s1);
  Idb(s1, 1, 65535);
  Idb(s1, 101, 0, 9);
  Idb(s1, 113, 262144, 0x80 | 20, 100);
  Epb(s1, 0, uint64_t(kSec) * 1000000 + 123456, Payload(60, 1), 60);
  out.expect.push_back({kSec * kNs + 123456000, 1, Payload(60, 1), 60});
  Epb(s1, 1, uint64_t(kSec) * 1000000000 + 7, Payload(41, 2), 1500);
  out.expect.push_back({kSec * kNs + 7, 101, Payload(41, 2), 1500});
  Epb(s1, 2, (uint64_t(kSec) << 20) | (1u << 19), Payload(3, 3), 3);  // + 0.5 s
  out.expect.push_back({(kSec + 100) * kNs + 500000000, 113, Payload(3, 3), 3});
  Bytes s2(true);
  Shb(s2);
  Idb(s2, 228, 0, 3);
  Epb(s2, 0, uint64_t(kSec) * 1000 + 42, Payload(20, 4), 20);
  out.expect.push_back({kSec * kNs + 42000000, 228, Payload(20, 4), 20});
  out.bytes = s1.v;
  out.bytes.insert(out.bytes.end(), s2.v.begin(), s2.v.end());
  return out;
}

void ExpectFrames(const std::vector<Got>& got, const std::vector<Got>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].time_ns, want[i].time_ns) << "frame " << i;
    EXPECT_EQ(got[i].link, want[i].link) << "frame " << i;
    EXPECT_EQ(got[i].data, want[i].data) << "frame " << i;
    EXPECT_EQ(got[i].orig, want[i].orig) << "frame " << i;
  }
}

TEST(PcapngTest, SectionsInterfacesLinkTypesAndResolutions) {
  const NgFile ng = TwoSectionPcapng();
  auto f = OpenOk(ng.bytes);
  ASSERT_TRUE(f);
  ExpectFrames(ReadAll(*f), ng.expect);
  EXPECT_TRUE(f->error().ok()) << f->error().ToString();
  EXPECT_EQ(f->counters().frames, 4u);
  EXPECT_EQ(f->counters().bytes, ng.bytes.size());
  EXPECT_EQ(f->counters().Get(CaptureIssue::kSkippedBlock), 0u);
  EXPECT_TRUE(OpenCaptureBuffer(ng.bytes, CaptureFormat::kPcapng).ok());
  EXPECT_FALSE(OpenCaptureBuffer(ng.bytes, CaptureFormat::kPcap).ok());
}

TEST(PcapngTest, BigEndianFirstSection) {
  Bytes b(true);
  Shb(b);
  Idb(b, 1, 0);
  Epb(b, 0, uint64_t(kSec) * 1000000, Payload(14, 5), 14);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  ExpectFrames(ReadAll(*f), {{kSec * kNs, 1, Payload(14, 5), 14}});
  EXPECT_TRUE(f->error().ok());
}

TEST(PcapngTest, InterfacesBelongToTheirSection) {
  Bytes b;
  Shb(b);
  Idb(b, 1, 0);
  Idb(b, 101, 0);
  Epb(b, 1, 1, Payload(4, 1), 4);
  Shb(b);  // a new section forgets interfaces 0 and 1
  Idb(b, 228, 0);
  Epb(b, 1, 2, Payload(4, 2), 4);  // interface 1 is unknown here
  Epb(b, 0, 3, Payload(4, 3), 4);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  ExpectFrames(ReadAll(*f), {{1000, 101, Payload(4, 1), 4}, {3000, 228, Payload(4, 3), 4}});
  EXPECT_EQ(f->counters().Get(CaptureIssue::kUnknownInterface), 1u);
  EXPECT_TRUE(f->error().ok());
}

TEST(PcapngTest, SimplePacketBlockUsesInterfaceZeroAndLastTime) {
  Bytes b;
  Shb(b);
  Idb(b, 101, 16);  // snaplen 16
  Idb(b, 1, 0);
  Epb(b, 1, uint64_t(kSec) * 1000000 + 5, Payload(30, 1), 30);
  Spb(b, Payload(10, 2), 10);    // within snaplen
  Spb(b, Payload(16, 3), 1000);  // cut to snaplen 16
  ObsoletePb(b, 1, uint64_t(kSec) * 1000000 + 9, Payload(7, 4), 70);
  Spb(b, Payload(5, 5), 5);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  const int64_t t1 = kSec * kNs + 5000, t2 = kSec * kNs + 9000;
  ExpectFrames(ReadAll(*f), {{t1, 1, Payload(30, 1), 30},
                             {t1, 101, Payload(10, 2), 10},
                             {t1, 101, Payload(16, 3), 1000},
                             {t2, 1, Payload(7, 4), 70},
                             {t2, 101, Payload(5, 5), 5}});
  EXPECT_TRUE(f->error().ok());
}

TEST(PcapngTest, SimplePacketBlockWithoutInterfaceIsUnknown) {
  Bytes b;
  Shb(b);
  Spb(b, Payload(10, 2), 10);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  EXPECT_TRUE(ReadAll(*f).empty());
  EXPECT_EQ(f->counters().Get(CaptureIssue::kUnknownInterface), 1u);
}

TEST(PcapngTest, OtherBlocksAreSkippedAndCounted) {
  Bytes b;
  Shb(b);
  Block(b, 4, Buf{1, 0, 4, 0, 10, 0, 0, 1, 0, 0, 0, 0});  // name resolution
  Idb(b, 1, 0);
  Block(b, 5, Buf(20, 0));               // interface statistics: read (docs/coverage.md), no span
  Block(b, 0x40000bad, Buf(100, 0xee));  // custom
  Block(b, 0x00000bad, {});              // empty body, length 12
  Epb(b, 0, 77, Payload(9, 1), 9);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  ExpectFrames(ReadAll(*f), {{77000, 1, Payload(9, 1), 9}});
  EXPECT_EQ(f->counters().Get(CaptureIssue::kSkippedBlock), 3u);
  EXPECT_TRUE(f->statistics_spans().empty());  // no isb_starttime/isb_endtime
  EXPECT_TRUE(f->error().ok());
  EXPECT_EQ(f->counters().bytes, b.v.size());
}

TEST(PcapngTest, HeaderOnly) {
  Bytes b;
  Shb(b);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  EXPECT_TRUE(ReadAll(*f).empty());
  EXPECT_TRUE(f->error().ok());
}

TEST(PcapngTest, TimestampOptions) {
  Bytes b;
  Shb(b);
  Idb(b, 1, 0, 0);           // seconds
  Idb(b, 1, 0, 0x80 | 10);   // 2^-10 s
  Idb(b, 1, 0, 12);          // picoseconds
  Idb(b, 1, 0, 6, -3600);    // microseconds, one hour earlier
  Idb(b, 1, 0, 0x80 | 127);  // absurd but legal
  Epb(b, 0, kSec, {}, 0);
  Epb(b, 1, (uint64_t(kSec) << 10) | 256, {}, 0);           // + 0.25 s
  Epb(b, 2, uint64_t(1000) * 1000000000000 + 5000, {}, 0);  // 1000 s + 5 ns
  Epb(b, 3, uint64_t(kSec) * 1000000, {}, 0);
  Epb(b, 4, ~uint64_t{0}, {}, 0);
  Epb(b, 0, ~uint64_t{0}, {}, 0);  // saturates instead of wrapping
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  auto got = ReadAll(*f);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].time_ns, kSec * kNs);
  EXPECT_EQ(got[1].time_ns, kSec * kNs + 250000000);
  EXPECT_EQ(got[2].time_ns, 1000 * kNs + 5);
  EXPECT_EQ(got[3].time_ns, (kSec - 3600) * kNs);
  EXPECT_EQ(got[4].time_ns, 0);
  EXPECT_EQ(got[5].time_ns, INT64_MAX);
}

// A well-formed file followed by `tail`; returns the reader after reading all.
std::unique_ptr<CaptureFile> ReadWithTail(const Buf& tail, size_t* frames, uint64_t* tail_at) {
  Bytes b;
  Shb(b);
  Idb(b, 1, 0);
  Epb(b, 0, 1, Payload(10, 1), 10);
  *tail_at = b.v.size();
  b.Raw(tail);
  static Buf keep;  // the reader views the bytes
  keep = b.v;
  auto f = OpenOk(keep);
  if (!f) return nullptr;
  *frames = ReadAll(*f).size();
  return f;
}

TEST(PcapngTest, BadBlockLengths) {
  struct Case {
    const char* what;
    Buf tail;
    CaptureIssue issue;
  };
  auto block = [](uint32_t type, uint32_t len, uint32_t trailer, size_t body) {
    Bytes t;
    t.U32(type).U32(len).Raw(Buf(body, 0)).U32(trailer);
    return t.v;
  };
  const std::vector<Case> cases = {
      {"length not a multiple of 4", block(6, 33, 33, 21), CaptureIssue::kBadBlock},
      {"length below 12", block(0xbad, 8, 8, 0), CaptureIssue::kBadBlock},
      {"trailer differs (parsed)", block(6, 44, 40, 32), CaptureIssue::kBadBlock},
      {"trailer differs (skipped)", block(0xbad, 16, 20, 4), CaptureIssue::kBadBlock},
      {"4 GB packet block", block(6, 0xfffffffc, 0, 32), CaptureIssue::kBadBlock},
      {"4 GB skipped block", block(0xbad, 0xfffffffc, 0, 32), CaptureIssue::kTruncatedRecord},
      {"block past the end", block(6, 400, 400, 32), CaptureIssue::kTruncatedRecord},
      {"cut block header", Buf{6, 0, 0, 0, 32}, CaptureIssue::kTruncatedRecord},
      {"interface block too short", block(1, 16, 16, 4), CaptureIssue::kBadBlock},
      {"section header too short", block(0x0a0d0d0a, 24, 24, 12), CaptureIssue::kBadBlock},
      {"bad byte-order magic", block(0x0a0d0d0a, 28, 28, 16), CaptureIssue::kBadBlock},
  };
  for (const Case& c : cases) {
    size_t frames = 0;
    uint64_t tail_at = 0;
    auto f = ReadWithTail(c.tail, &frames, &tail_at);
    ASSERT_TRUE(f) << c.what;
    EXPECT_EQ(frames, 1u) << c.what;
    EXPECT_EQ(f->counters().Get(c.issue), 1u) << c.what;
    EXPECT_FALSE(f->error().ok()) << c.what;
    EXPECT_NE(f->error().message().find("offset " + std::to_string(tail_at)), std::string::npos)
        << c.what << ": " << f->error().message();
  }
}

TEST(PcapngTest, UnknownMajorVersionStops) {
  Bytes b;
  Bytes body;
  body.U32(0x1a2b3c4d).U16(2).U16(0).U64(~uint64_t{0});
  Block(b, 0x0a0d0d0a, body.v);
  Idb(b, 1, 0);
  Epb(b, 0, 1, Payload(10, 1), 10);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  EXPECT_TRUE(ReadAll(*f).empty());
  EXPECT_FALSE(f->error().ok());
}

TEST(PcapngTest, PacketLengthsInconsistentWithBlockAreSkipped) {
  Bytes b;
  Shb(b);
  Idb(b, 1, 0);
  {
    Bytes body;  // claims 200 captured bytes in a block holding 8
    body.U32(0).U32(0).U32(1).U32(200).U32(200).Raw(Payload(8, 1));
    Block(b, 6, body.v);
  }
  {
    Bytes body;  // an enhanced packet block with no room for its fields
    body.U32(0).U32(0).U32(1);
    Block(b, 6, body.v);
  }
  Epb(b, 0, 5, Payload(12, 2), 12);
  auto f = OpenOk(b.v);
  ASSERT_TRUE(f);
  ExpectFrames(ReadAll(*f), {{5000, 1, Payload(12, 2), 12}});
  EXPECT_EQ(f->counters().Get(CaptureIssue::kBadRecordLength), 2u);
  EXPECT_TRUE(f->error().ok());
}

// ======================= gzip =======================

TEST(GzipTest, PcapOfEachKind) {
  for (bool big : {false, true}) {
    for (bool nano : {false, true}) {
      const Buf plain = ThreeRecordPcap(big, nano, 1);
      const Buf gz = Gzip(plain);
      ASSERT_EQ(gz[0], 0x1f);
      auto f = OpenOk(gz);
      ASSERT_TRUE(f);
      EXPECT_EQ(f->size_hint(), gz.size());
      ExpectThreeRecords(*f, nano, 1, gz.size());  // bytes: compressed bytes consumed
    }
  }
}

TEST(GzipTest, PcapngFrames) {
  const NgFile ng = TwoSectionPcapng();
  const Buf gz = Gzip(ng.bytes);
  auto f = OpenOk(gz);
  ASSERT_TRUE(f);
  ExpectFrames(ReadAll(*f), ng.expect);
  EXPECT_TRUE(f->error().ok()) << f->error().ToString();
}

TEST(GzipTest, ConcatenatedMembers) {
  const Buf plain = ThreeRecordPcap(false, false, 1);
  Buf a(plain.begin(), plain.begin() + 30), c(plain.begin() + 30, plain.end());
  Buf gz = Gzip(a);
  const Buf gz2 = Gzip(c);
  gz.insert(gz.end(), gz2.begin(), gz2.end());
  auto f = OpenOk(gz);
  ASSERT_TRUE(f);
  ExpectThreeRecords(*f, false, 1, gz.size());
}

TEST(GzipTest, TruncatedStopsCleanlyWithMessage) {
  Bytes b;
  PcapHeader(b, false, 65535, 1);
  for (int i = 0; i < 200; ++i) PcapRecord(b, kSec + i, 0, Payload(100, uint8_t(i)), 100);
  Buf gz = Gzip(b.v);
  gz.resize(gz.size() / 2);
  auto f = OpenOk(gz);
  ASSERT_TRUE(f);
  auto got = ReadAll(*f);
  EXPECT_GT(got.size(), 0u);
  EXPECT_LT(got.size(), 200u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].data, Payload(100, uint8_t(i)));
  EXPECT_FALSE(f->error().ok());
  EXPECT_NE(f->error().message().find("truncated"), std::string::npos) << f->error().message();
}

TEST(GzipTest, CorruptStopsWithMessage) {
  Bytes b;
  PcapHeader(b, false, 65535, 1);
  for (int i = 0; i < 200; ++i) PcapRecord(b, kSec + i, 0, Payload(100, uint8_t(i)), 100);
  Buf gz = Gzip(b.v);
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 40; ++i) gz[i] ^= 0x5a;
  auto f = OpenOk(gz);
  ASSERT_TRUE(f);
  auto got = ReadAll(*f);
  EXPECT_LT(got.size(), 200u);
  EXPECT_FALSE(f->error().ok());
}

TEST(GzipTest, TrailingGarbageAfterMember) {
  const Buf plain = ThreeRecordPcap(false, false, 1);
  Buf gz = Gzip(plain);
  gz.insert(gz.end(), {'x', 'y', 'z'});
  auto f = OpenOk(gz);
  ASSERT_TRUE(f);
  EXPECT_EQ(ReadAll(*f).size(), 3u);
  EXPECT_FALSE(f->error().ok());
}

TEST(GzipTest, GzipOfGarbageAndOfNothing) {
  const Buf text = {'n', 'o', 't', ' ', 'p', 'c', 'a', 'p'};
  EXPECT_FALSE(OpenCaptureBuffer(Gzip(text)).ok());
  EXPECT_FALSE(OpenCaptureBuffer(Gzip({})).ok());
}

// Records larger than and straddling the reader's 1 MiB window.
TEST(GzipTest, ManyRecordsAcrossWindowRefills) {
  Bytes b(true);
  PcapHeader(b, false, 262144, 1);
  std::vector<size_t> sizes;
  for (int i = 0; i < 3000; ++i) sizes.push_back((i * 7919) % 3000);
  sizes.push_back(262144);
  sizes.push_back(200000);
  for (size_t i = 0; i < sizes.size(); ++i) {
    PcapRecord(b, kSec, uint32_t(i), Payload(sizes[i], uint8_t(i)), uint32_t(sizes[i]));
  }
  const Buf gz = Gzip(b.v);
  auto f = OpenOk(gz);
  ASSERT_TRUE(f);
  auto got = ReadAll(*f);
  ASSERT_EQ(got.size(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_EQ(got[i].data, Payload(sizes[i], uint8_t(i))) << i;
    ASSERT_EQ(got[i].time_ns, kSec * kNs + int64_t(i) * 1000) << i;
  }
  EXPECT_TRUE(f->error().ok());
}

// Skipped pcapng blocks bigger than the window are streamed past.
TEST(GzipTest, LargeSkippedBlock) {
  Bytes b;
  Shb(b);
  Idb(b, 1, 0);
  Block(b, 0xbad, Buf(3 << 20, 0x11));
  Epb(b, 0, 1, Payload(10, 1), 10);
  const Buf gz = Gzip(b.v);
  auto f = OpenOk(gz);
  ASSERT_TRUE(f);
  ExpectFrames(ReadAll(*f), {{1000, 1, Payload(10, 1), 10}});
  EXPECT_EQ(f->counters().Get(CaptureIssue::kSkippedBlock), 1u);
  EXPECT_TRUE(f->error().ok());
}

// ======================= files =======================

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("capture_file_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const Buf& b) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(FileTest, PlainAndGzipFilesByMagicNotName) {
  const Buf plain = ThreeRecordPcap(false, true, 1);
  for (const auto& [name, bytes] :
       std::vector<std::pair<std::string, Buf>>{{"a.pcap", plain},
                                                {"a.pcap.gz", Gzip(plain)},
                                                {"gz-without-suffix", Gzip(plain)},
                                                {"plain.gz", plain}}) {
    auto r = OpenCaptureFile(Write(name, bytes));
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    ExpectThreeRecords(**r, true, 1, bytes.size());
  }
  const NgFile ng = TwoSectionPcapng();
  auto r = OpenCaptureFile(Write("b.pcapng.gz", Gzip(ng.bytes)));
  ASSERT_TRUE(r.ok());
  ExpectFrames(ReadAll(**r), ng.expect);
}

TEST_F(FileTest, ErrorsNameTheFile) {
  auto missing = OpenCaptureFile((dir_ / "missing.pcap").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  const std::string empty = Write("empty.pcap", {});
  auto r = OpenCaptureFile(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(empty), std::string::npos);
  EXPECT_FALSE(OpenCaptureFile(dir_.string()).ok());
  Buf b = ThreeRecordPcap(false, false, 1);
  b.resize(b.size() - 3);
  const std::string cut = Write("cut.pcap", b);
  auto f = OpenCaptureFile(cut);
  ASSERT_TRUE(f.ok());
  ReadAll(**f);
  EXPECT_NE((*f)->error().message().find(cut), std::string::npos);
}

TEST_F(FileTest, PipeIsReadAsAStream) {
  for (bool gz : {false, true}) {
    const Buf plain = ThreeRecordPcap(false, false, 1);
    const Buf bytes = gz ? Gzip(plain) : plain;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(write(fds[1], bytes.data(), bytes.size()), ssize_t(bytes.size()));
    close(fds[1]);
    auto r = OpenCaptureFile("/dev/fd/" + std::to_string(fds[0]));
    close(fds[0]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto got = ReadAll(**r);
    EXPECT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].data, Payload(60, 1));
    EXPECT_TRUE((*r)->error().ok());
  }
}

// ======================= misc =======================

TEST(LooksLikeCaptureTest, MagicNumbers) {
  EXPECT_TRUE(LooksLikeCapture(ThreeRecordPcap(false, false, 1)));
  EXPECT_TRUE(LooksLikeCapture(ThreeRecordPcap(true, false, 1)));
  EXPECT_TRUE(LooksLikeCapture(ThreeRecordPcap(false, true, 1)));
  EXPECT_TRUE(LooksLikeCapture(ThreeRecordPcap(true, true, 1)));
  EXPECT_TRUE(LooksLikeCapture(TwoSectionPcapng().bytes));
  EXPECT_TRUE(LooksLikeCapture(Gzip(ThreeRecordPcap(false, false, 1))));
  const std::string line = "May  1 00:00:01 host kernel: IN=eth0 OUT= SRC=1.2.3.4";
  const Buf log(line.begin(), line.end());
  EXPECT_FALSE(LooksLikeCapture(log));
  EXPECT_FALSE(LooksLikeCapture(Gzip(log)));
  EXPECT_FALSE(LooksLikeCapture({}));
  EXPECT_FALSE(LooksLikeCapture(Buf{0x1f, 0x8b}));
}

TEST(CaptureIssueNameTest, SnakeCase) {
  EXPECT_EQ(CaptureIssueName(CaptureIssue::kTruncatedRecord), "truncated_record");
  EXPECT_EQ(CaptureIssueName(CaptureIssue::kBadRecordLength), "bad_record_length");
  EXPECT_EQ(CaptureIssueName(CaptureIssue::kBadBlock), "bad_block");
  EXPECT_EQ(CaptureIssueName(CaptureIssue::kUnknownInterface), "unknown_interface");
  EXPECT_EQ(CaptureIssueName(CaptureIssue::kSkippedBlock), "skipped_block");
}

// Hostile bytes after valid headers: nothing may crash or hang.
TEST(HostileTest, PseudoRandomTails) {
  uint32_t x = 12345;
  auto next = [&] {
    x = x * 1664525 + 1013904223;
    return static_cast<uint8_t>(x >> 24);
  };
  for (int round = 0; round < 300; ++round) {
    Bytes b;
    if (round % 2 == 0) {
      PcapHeader(b, round % 4 == 0, 1000, 1);
    } else {
      Shb(b);
      Idb(b, 1, 0);
    }
    const size_t n = 1 + (round * 37) % 400;
    for (size_t i = 0; i < n; ++i) b.v.push_back(next());
    for (const Buf& input : {b.v, Gzip(b.v)}) {
      auto r = OpenCaptureBuffer(input);
      ASSERT_TRUE(r.ok());
      Frame fr;
      int frames = 0;
      while ((*r)->Next(&fr)) ASSERT_LT(++frames, 100000);
    }
  }
}

}  // namespace
}  // namespace scanscope
