#include "spool/segment_format.h"

#include <xxhash.h>

#include <cstring>
#include <optional>

#include "common/little_endian.h"
#include "record/record_codec.h"

namespace scanscope {

std::string EncodeSegmentHeader() {
  std::string out(kSegmentMagic, sizeof(kSegmentMagic));
  PutU32(&out, kSegmentVersion);
  PutU32(&out, 0);
  return out;
}

void EncodeBlock(std::span<const AccessRecord> records, std::string_view cursor, std::string* out) {
  size_t start = out->size();
  out->reserve(start + BlockBytes(records.size(), cursor.size()));
  PutU64(out, 0);  // checksum, filled in below
  PutU32(out, static_cast<uint32_t>(cursor.size() + records.size() * kSpoolRecordBytes));
  PutU32(out, static_cast<uint32_t>(records.size()));
  PutU32(out, static_cast<uint32_t>(cursor.size()));
  out->append(cursor);
  for (const AccessRecord& r : records) AppendRecord(r, out);
  uint64_t sum = XXH3_64bits(out->data() + start + 8, out->size() - start - 8);
  for (int i = 0; i < 8; ++i) (*out)[start + i] = static_cast<char>(sum >> (8 * i));
}

SegmentScan ScanSegment(std::string_view bytes, std::vector<AccessRecord>* records) {
  SegmentScan scan;
  if (bytes.size() < kSegmentHeaderBytes ||
      std::memcmp(bytes.data(), kSegmentMagic, sizeof(kSegmentMagic)) != 0 ||
      GetU32(bytes.data() + 8) != kSegmentVersion) {
    scan.trailing_bytes = bytes.size();
    return scan;
  }
  scan.header_ok = true;
  size_t pos = kSegmentHeaderBytes;
  scan.valid_end = pos;
  const size_t size = bytes.size();
  // Corrupt blocks since the last valid one: skipped if a valid block
  // follows, else part of the trailing bytes.
  uint64_t pending_blocks = 0, pending_bytes = 0;
  while (size - pos >= kBlockHeaderBytes) {
    const char* h = bytes.data() + pos;
    uint64_t sum = GetU64(h);
    uint32_t payload = GetU32(h + 8);
    uint32_t count = GetU32(h + 12);
    uint32_t cursor_len = GetU32(h + 16);
    // The header's own fields must agree before its length is used to find
    // the next block; otherwise nothing after here can be trusted.
    if (payload > kMaxBlockPayload || cursor_len > kMaxCursorBytes ||
        uint64_t{cursor_len} + uint64_t{count} * kSpoolRecordBytes != payload ||
        size - pos - kBlockHeaderBytes < payload) {
      break;
    }
    size_t block_bytes = kBlockHeaderBytes + payload;
    bool good = XXH3_64bits(h + 8, block_bytes - 8) == sum;
    size_t before = records != nullptr ? records->size() : 0;
    if (good) {
      const char* p = h + kBlockHeaderBytes + cursor_len;
      for (uint32_t i = 0; i < count && good; ++i, p += kSpoolRecordBytes) {
        auto r = ReadRecord(p);
        if (!r) {
          good = false;
        } else if (records != nullptr) {
          records->push_back(*r);
        }
      }
    }
    pos += block_bytes;
    if (!good) {
      if (records != nullptr) records->resize(before);
      ++pending_blocks;
      pending_bytes += block_bytes;
      continue;
    }
    ++scan.blocks;
    scan.records += count;
    if (cursor_len > 0) scan.last_cursor.assign(h + kBlockHeaderBytes, cursor_len);
    scan.corrupt_blocks += pending_blocks;
    scan.corrupt_bytes += pending_bytes;
    pending_blocks = pending_bytes = 0;
    scan.valid_end = pos;
  }
  scan.trailing_bytes = size - scan.valid_end;
  return scan;
}

}  // namespace scanscope
