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
constexpr int kZstdLevel = 1;
// Smallest record: time varint 1, kind 1, two IPv4 addresses 8, port code
// varint 1, flags 1, ttl 1, length 2.
constexpr size_t kMinRecordBytes = 15;
// Largest: 10 + 1 + 32 + 5 + 1 + 1 + 2.
constexpr size_t kMaxRecordBytes = 52;
constexpr uint8_t kSourceV4 = 1, kDestinationV4 = 2;

void PutAddress(std::string* out, const IpAddress& a, bool v4) {
  const char* b = reinterpret_cast<const char*>(a.bytes().data());
  if (v4) {
    out->append(b + 12, 4);
  } else {
    out->append(b, 16);
  }
}

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
// all records in order: time (zigzag varint delta from the previous record,
// the first from 0); kind (bit 0: source is IPv4-mapped, bit 1: destination
// is); sources (4 or 16 bytes); destinations (4 or 16); port code (varint);
// TCP flags (1); TTL (1); length (2, LE).
std::string EncodeRawChunk(std::span<const AccessRecord> records) {
  std::string body;
  body.reserve(records.size() * 24);
  uint64_t prev = 0;
  for (const AccessRecord& r : records) {
    auto t = static_cast<uint64_t>(r.time_ns);
    PutVarint(&body, store_internal::ZigZag(static_cast<int64_t>(t - prev)));
    prev = t;
  }
  size_t kinds_at = body.size();
  body.resize(kinds_at + records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    uint8_t kind = (records[i].source.IsV4() ? kSourceV4 : 0) |
                   (records[i].destination.IsV4() ? kDestinationV4 : 0);
    body[kinds_at + i] = static_cast<char>(kind);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    PutAddress(&body, records[i].source, body[kinds_at + i] & kSourceV4);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    PutAddress(&body, records[i].destination, body[kinds_at + i] & kDestinationV4);
  }
  for (const AccessRecord& r : records) PutVarint(&body, r.port_type.Code());
  for (const AccessRecord& r : records) body.push_back(static_cast<char>(r.tcp_flags));
  for (const AccessRecord& r : records) body.push_back(static_cast<char>(r.ttl));
  for (const AccessRecord& r : records) {
    body.push_back(static_cast<char>(r.length & 0xff));
    body.push_back(static_cast<char>(r.length >> 8));
  }
  std::string out;
  out.push_back(static_cast<char>(kRawFormatVersion));
  out.push_back(static_cast<char>(kCompressionZstd));
  PutVarint(&out, records.size());
  PutVarint(&out, body.size());
  // ZstdCompress only fails on allocation failure inside zstd; an empty frame
  // then fails the size check on decode rather than passing silently.
  (void)store_internal::ZstdCompress(body, kZstdLevel, &out);
  store_internal::PutFixed32(&out, store_internal::Crc32c(out.data(), out.size()));
  return out;
}

Status DecodeRawChunk(std::string_view bytes, std::vector<AccessRecord>* records) {
  if (bytes.size() < 4 + 4) return Status::Corruption("raw chunk: too short");
  size_t content = bytes.size() - 4;
  if (store_internal::Crc32c(bytes.data(), content) !=
      store_internal::LoadFixed32(bytes.data() + content)) {
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
  uint64_t t = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t v = 0;
    if (!b.Varint(&v)) return fail("bad time");
    t += static_cast<uint64_t>(store_internal::UnZigZag(v));
    out[i].time_ns = static_cast<int64_t>(t);
  }
  const char* kinds = nullptr;
  if (!b.Bytes(count, &kinds)) return fail("bad kinds");
  for (size_t i = 0; i < count; ++i) {
    if (static_cast<uint8_t>(kinds[i]) > 3) return fail("bad kind");
    if (!GetAddress(&b, kinds[i] & kSourceV4, &out[i].source)) return fail("bad source");
  }
  for (size_t i = 0; i < count; ++i) {
    if (!GetAddress(&b, kinds[i] & kDestinationV4, &out[i].destination)) {
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
