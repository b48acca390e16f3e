#include "transport/wire_batch.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <cstring>
#include <optional>

#include "common/little_endian.h"
#include "record/record_codec.h"

namespace scanscope {

namespace {

// A point name or batch id: printable ASCII without spaces, so that it can
// go into a log line and a URL unchanged.
bool IsPrintableName(std::string_view s) {
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Reads a u16-length-prefixed name at *at; advances *at.
Status ReadName(std::string_view body, size_t* at, const char* what, std::string* out) {
  if (body.size() - *at < 2)
    return Status::Corruption(fmt::format("truncated before the {}", what));
  size_t n = GetU16(body.data() + *at);
  *at += 2;
  if (n == 0) return Status::InvalidArgument(fmt::format("empty {}", what));
  if (n > kMaxWireNameBytes) {
    return Status::InvalidArgument(
        fmt::format("{} of {} bytes is over the limit of {}", what, n, kMaxWireNameBytes));
  }
  if (body.size() - *at < n) return Status::Corruption(fmt::format("truncated in the {}", what));
  std::string_view name = body.substr(*at, n);
  *at += n;
  if (!IsPrintableName(name)) {
    return Status::InvalidArgument(
        fmt::format("{} holds a space, control or non-ASCII byte", what));
  }
  out->assign(name);
  return Status::Ok();
}

}  // namespace

std::string EncodeWireBatch(const WireBatch& batch) {
  std::string out;
  out.reserve(WireBatchBytes(batch.records.size(), batch.point.size(), batch.batch_id.size()));
  out.append(kWireMagic, sizeof(kWireMagic));
  PutU16(&out, kWireVersion);
  PutU16(&out, 0);
  PutU32(&out, 0);  // body_len, filled in below
  PutU64(&out, 0);  // checksum, filled in below
  PutU16(&out, static_cast<uint16_t>(batch.point.size()));
  out.append(batch.point);
  PutU16(&out, static_cast<uint16_t>(batch.batch_id.size()));
  out.append(batch.batch_id);
  PutU32(&out, static_cast<uint32_t>(batch.records.size()));
  for (const AccessRecord& r : batch.records) AppendRecord(r, &out);
  const size_t body_len = out.size() - kWireHeaderBytes;
  uint64_t checksum = XXH3_64bits(out.data() + kWireHeaderBytes, body_len);
  std::string fields;
  PutU32(&fields, static_cast<uint32_t>(body_len));
  PutU64(&fields, checksum);
  out.replace(8, 12, fields);
  return out;
}

Result<WireBatch> DecodeWireBatch(std::string_view bytes, const WireLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return Status::InvalidArgument(
        fmt::format("frame of {} bytes is over the limit of {}", bytes.size(), limits.max_bytes));
  }
  if (bytes.size() < kWireHeaderBytes) {
    return Status::Corruption(fmt::format("truncated header: {} bytes, a frame starts with {}",
                                          bytes.size(), kWireHeaderBytes));
  }
  if (std::memcmp(bytes.data(), kWireMagic, sizeof(kWireMagic)) != 0) {
    return Status::Corruption("not a batch frame (bad magic)");
  }
  uint16_t version = GetU16(bytes.data() + 4);
  uint16_t flags = GetU16(bytes.data() + 6);
  if (version != kWireVersion) {
    return Status::Unsupported(
        fmt::format("frame version {} (this collector speaks {})", version, kWireVersion));
  }
  if (flags != 0) return Status::Unsupported(fmt::format("frame flags {:#x} unknown", flags));
  const uint64_t body_len = GetU32(bytes.data() + 8);
  const uint64_t checksum = GetU64(bytes.data() + 12);
  const std::string_view body = bytes.substr(kWireHeaderBytes);
  if (body.size() < body_len) {
    return Status::Corruption(
        fmt::format("truncated: body of {} bytes, header says {}", body.size(), body_len));
  }
  if (body.size() > body_len) {
    return Status::Corruption(
        fmt::format("{} trailing bytes after the frame", body.size() - body_len));
  }
  if (XXH3_64bits(body.data(), body.size()) != checksum) {
    return Status::Corruption("checksum mismatch");
  }
  WireBatch batch;
  size_t at = 0;
  SCANSCOPE_RETURN_IF_ERROR(ReadName(body, &at, "point", &batch.point));
  SCANSCOPE_RETURN_IF_ERROR(ReadName(body, &at, "batch id", &batch.batch_id));
  if (batch.batch_id.size() <= batch.point.size() + 1 ||
      batch.batch_id.compare(0, batch.point.size(), batch.point) != 0 ||
      batch.batch_id[batch.point.size()] != '/') {
    return Status::InvalidArgument(
        fmt::format("batch id {} does not start with \"{}/\"", batch.batch_id, batch.point));
  }
  if (body.size() - at < 4) return Status::Corruption("truncated before the record count");
  const uint64_t count = GetU32(body.data() + at);
  at += 4;
  if (count > limits.max_records) {
    return Status::InvalidArgument(
        fmt::format("{} records are over the limit of {}", count, limits.max_records));
  }
  if (body.size() - at != count * kWireRecordBytes) {
    return Status::Corruption(fmt::format("{} records need {} bytes, the frame holds {}", count,
                                          count * kWireRecordBytes, body.size() - at));
  }
  batch.records.resize(count);
  for (uint64_t i = 0; i < count; ++i, at += kWireRecordBytes) {
    const char* p = body.data() + at;
    std::optional<AccessRecord> r = ReadRecord(p);
    if (!r) {
      return Status::Corruption(
          fmt::format("record {}: unknown port type code {:#x}", i, RecordPortCode(p)));
    }
    batch.records[i] = *r;
  }
  return batch;
}

}  // namespace scanscope
