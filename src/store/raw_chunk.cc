#include "store/raw_chunk.h"

#include <array>
#include <cstring>

#include "store/codec_util.h"

namespace scanscope {

using store_internal::Cursor;
using store_internal::PutVarint;

namespace {

constexpr uint8_t kRawFormatVersion = 1;
constexpr uint8_t kCompressionZstd = 1;
constexpr int kZstdLevel = -1;  // zstd "fast" level: 20% faster than 1, 8% larger
// Smallest record: time varint 1, kind 1, one IPv4 address 4 (destination
// as before), port code varint 1, flags 1, ttl 1, length 2; less one for
// the chunk's time-unit byte.
constexpr size_t kMinRecordBytes = 10;
// Largest: 10 + 1 + 32 + 5 + 1 + 1 + 2, plus the time-unit byte.
constexpr size_t kMaxRecordBytes = 53;
constexpr uint8_t kSourceV4 = 1, kDestinationV4 = 2, kSameDestination = 4;
// Time units by exponent: ns, us, ms, s.
constexpr int64_t kUnits[4] = {1, 1000, 1000000, 1000000000};

bool GetAddress(Cursor* in, bool v4, IpAddress* a) {
  const char* p = nullptr;
  if (!in->Bytes(v4 ? 4 : 16, &p)) return false;
  *a = v4 ? IpAddress::FromV4Bytes(reinterpret_cast<const uint8_t*>(p))
          : IpAddress::FromV6Bytes(reinterpret_cast<const uint8_t*>(p));
  return true;
}

}  // namespace

// Header: version, compression, varint count, varint body size, then one
// zstd frame, then CRC-32C of all before (4 bytes LE). Body columns, each over
// all records in order, after one byte u (times are in units of 1000^u ns):
// time (zigzag varint delta from the previous record, the first from 0);
// kind (bit 0: source is IPv4-mapped, bit 1: destination is, bit 2:
// destination same as the previous record's, so not written); sources (4 or
// 16 bytes); destinations (4 or 16, or none); port code (varint);
// TCP flags (1); TTL (1); length (2, LE).
std::string EncodeRawChunk(std::span<const AccessRecord> records) {
  // Written through a raw pointer into a per-thread scratch buffer sized for
  // the worst case: string appends cost more than the compression.
  thread_local std::string body;
  const size_t n = records.size();
  if (body.size() < n * kMaxRecordBytes) body.resize(n * kMaxRecordBytes);
  char* const start = body.data();
  char* p = start;
  auto put_varint = [&p](uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
  };
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  auto is_v4 = [](const IpAddress& a) { return std::memcmp(a.bytes().data(), kMapped, 12) == 0; };
  int unit_exp = 3;
  for (const AccessRecord& r : records) {
    while (unit_exp > 0 && r.time_ns % kUnits[unit_exp] != 0) --unit_exp;
    if (unit_exp == 0) break;
  }
  const int64_t unit = kUnits[unit_exp];
  *p++ = static_cast<char>(unit_exp);
  uint64_t prev = 0;
  for (const AccessRecord& r : records) {
    auto t = static_cast<uint64_t>(r.time_ns / unit);
    put_varint(store_internal::ZigZag(static_cast<int64_t>(t - prev)));
    prev = t;
  }
  char* kinds = p;
  for (size_t i = 0; i < n; ++i) {
    const bool same = i > 0 && records[i].destination == records[i - 1].destination;
    kinds[i] = static_cast<char>((is_v4(records[i].source) ? kSourceV4 : 0) |
                                 (is_v4(records[i].destination) ? kDestinationV4 : 0) |
                                 (same ? kSameDestination : 0));
  }
  p += n;
  for (int column = 0; column < 2; ++column) {
    const uint8_t v4_bit = column == 0 ? kSourceV4 : kDestinationV4;
    for (size_t i = 0; i < n; ++i) {
      const IpAddress& a = column == 0 ? records[i].source : records[i].destination;
      if (column == 1 && (kinds[i] & kSameDestination)) continue;
      if (kinds[i] & v4_bit) {
        std::memcpy(p, a.bytes().data() + 12, 4);
        p += 4;
      } else {
        std::memcpy(p, a.bytes().data(), 16);
        p += 16;
      }
    }
  }
  for (const AccessRecord& r : records) put_varint(r.port_type.Code());
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>(records[i].tcp_flags);
  p += n;
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>(records[i].ttl);
  p += n;
  for (size_t i = 0; i < n; ++i) {
    p[2 * i] = static_cast<char>(records[i].length & 0xff);
    p[2 * i + 1] = static_cast<char>(records[i].length >> 8);
  }
  p += 2 * n;
  const std::string_view encoded(start, static_cast<size_t>(p - start));

  std::string out;
  out.reserve(encoded.size() / 2 + 32);
  out.push_back(static_cast<char>(kRawFormatVersion));
  out.push_back(static_cast<char>(kCompressionZstd));
  PutVarint(&out, n);
  PutVarint(&out, encoded.size());
  // ZstdCompress only fails on allocation failure inside zstd; an empty frame
  // then fails the size check on decode rather than passing silently.
  (void)store_internal::ZstdCompress(encoded, kZstdLevel, &out);
  PutU32(&out, store_internal::Crc32c(out.data(), out.size()));
  return out;
}

Status DecodeRawChunk(std::string_view bytes, std::vector<AccessRecord>* records) {
  if (bytes.size() < 4 + 4) return Status::Corruption("raw chunk: too short");
  size_t content = bytes.size() - 4;
  if (store_internal::Crc32c(bytes.data(), content) != GetU32(bytes.data() + content)) {
    return Status::Corruption("raw chunk: checksum mismatch");
  }
  Cursor in(bytes.substr(0, content));
  uint8_t version = 0, compression = 0;
  uint64_t count = 0, body_size = 0;
  if (!in.Byte(&version) || !in.Byte(&compression) || !in.Varint(&count) ||
      !in.Varint(&body_size)) {
    return Status::Corruption("raw chunk: bad header");
  }
  if (version != kRawFormatVersion || compression != kCompressionZstd) {
    return Status::Corruption("raw chunk: unknown format " + std::to_string(version) + "/" +
                              std::to_string(compression));
  }
  if (body_size / kMinRecordBytes < count || body_size / kMaxRecordBytes > count) {
    return Status::Corruption("raw chunk: body size does not fit record count");
  }
  std::string body;
  if (!store_internal::ZstdDecompress(std::string_view(in.data(), in.remaining()),
                                      static_cast<size_t>(body_size), &body)) {
    return Status::Corruption("raw chunk: bad zstd frame");
  }
  const size_t base = records->size();
  records->resize(base + static_cast<size_t>(count));
  AccessRecord* out = records->data() + base;
  auto fail = [records, base](const char* what) {
    records->resize(base);
    return Status::Corruption(std::string("raw chunk: ") + what);
  };
  Cursor b(body);
  uint8_t unit_exp = 0;
  if (!b.Byte(&unit_exp) || unit_exp > 3) return fail("bad time unit");
  const int64_t unit = kUnits[unit_exp];
  uint64_t t = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t v = 0;
    if (!b.Varint(&v)) return fail("bad time");
    t += static_cast<uint64_t>(store_internal::UnZigZag(v));
    if (__builtin_mul_overflow(static_cast<int64_t>(t), unit, &out[i].time_ns)) {
      return fail("time out of range");
    }
  }
  const char* kinds = nullptr;
  if (!b.Bytes(count, &kinds)) return fail("bad kinds");
  for (size_t i = 0; i < count; ++i) {
    const auto kind = static_cast<uint8_t>(kinds[i]);
    if (kind > 7 || (i == 0 && (kind & kSameDestination))) return fail("bad kind");
    if (!GetAddress(&b, kinds[i] & kSourceV4, &out[i].source)) return fail("bad source");
  }
  for (size_t i = 0; i < count; ++i) {
    if (kinds[i] & kSameDestination) {
      out[i].destination = out[i - 1].destination;
    } else if (!GetAddress(&b, kinds[i] & kDestinationV4, &out[i].destination)) {
      return fail("bad destination");
    }
  }
  for (size_t i = 0; i < count; ++i) {
    uint64_t v = 0;
    if (!b.Varint(&v) || v > 0xffffffffu) return fail("bad port code");
    auto port = PortType::FromCode(static_cast<uint32_t>(v));
    if (!port) return fail("bad port code");
    out[i].port_type = *port;
  }
  const char* p = nullptr;
  if (!b.Bytes(count, &p)) return fail("bad flags");
  for (size_t i = 0; i < count; ++i) out[i].tcp_flags = static_cast<uint8_t>(p[i]);
  if (!b.Bytes(count, &p)) return fail("bad ttl");
  for (size_t i = 0; i < count; ++i) out[i].ttl = static_cast<uint8_t>(p[i]);
  if (!b.Bytes(2 * count, &p)) return fail("bad length");
  for (size_t i = 0; i < count; ++i) {
    out[i].length = static_cast<uint16_t>(static_cast<uint8_t>(p[2 * i]) |
                                          (static_cast<uint8_t>(p[2 * i + 1]) << 8));
  }
  if (!b.empty()) return fail("trailing bytes");
  return Status::Ok();
}

}  // namespace scanscope
