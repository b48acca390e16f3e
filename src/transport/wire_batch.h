#pragma once
// WireBatch: one batch of accesses of one monitoring point as a sensor sends
// it to the collector (the body of POST /v1/batch), and its codec.
// docs/collector.md, "Wire format", describes the bytes in prose.
//
//   frame   := header body
//   header  := "SSWB" (4 bytes) version:u16 (=1) flags:u16 (=0)
//              body_len:u32 checksum:u64                                  20 bytes
//   body    := point_len:u16 point batch_id_len:u16 batch_id
//              record_count:u32 record (record_count x 48 bytes)
//   record  := 48 bytes, as record/record_codec.h writes it
//
// All integers little-endian; the record layout is the spool's too, so a
// sealed segment's records go on the wire unchanged. checksum is XXH3-64
// (seed 0) of the body. The checksum catches damage, not forgery: who may
// send a batch is the transport's bearer token, and which point it may write
// is the collector's check of the token against `point`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "record/access_record.h"
#include "record/record_codec.h"

namespace scanscope {

inline constexpr char kWireMagic[4] = {'S', 'S', 'W', 'B'};
inline constexpr uint16_t kWireVersion = 1;
inline constexpr size_t kWireHeaderBytes = 20;
inline constexpr size_t kWireRecordBytes = kRecordBytes;
inline constexpr size_t kMaxWireNameBytes = 255;  // point and batch id

struct WireBatch {
  std::string point;     // the monitoring point the records were seen at
  std::string batch_id;  // "<point>/<spool id>/<segment seq>": same batch, same id, forever
  std::vector<AccessRecord> records;
};

// What a decoder accepts. A frame beyond either limit is rejected before its
// records are read (and before anything is allocated for them).
struct WireLimits {
  size_t max_records = 1u << 20;  // records per batch
  size_t max_bytes = 64u << 20;   // whole frame, header included
};

// The frame of `batch`. The caller keeps point and batch_id within
// kMaxWireNameBytes and the records within the limits the collector applies.
std::string EncodeWireBatch(const WireBatch& batch);

// The bytes a frame of n records with these names takes.
constexpr size_t WireBatchBytes(size_t n, size_t point_len, size_t batch_id_len) {
  return kWireHeaderBytes + 2 + point_len + 2 + batch_id_len + 4 + n * kWireRecordBytes;
}

// Decodes outside bytes. Never reads outside `bytes`, never throws, allocates
// only after the lengths check out against `limits`. Errors, each with a
// one-line reason a log can show: Corruption (bad magic, truncated, length
// mismatch, checksum, a record with an unknown port type code, trailing
// bytes), Unsupported (another version or flags), InvalidArgument (over a
// limit, an empty or over-long or non-printable point or batch id, a batch id
// not starting with "<point>/").
Result<WireBatch> DecodeWireBatch(std::string_view bytes, const WireLimits& limits);

}  // namespace scanscope
