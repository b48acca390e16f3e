#pragma once
// The bytes of one spool segment file (docs/sensor.md, "Spool format").
//
//   segment := header block*
//   header  := "SSSPOOL1" (8 bytes) version:u32 (=1) reserved:u32 (=0)      16 bytes
//   block   := checksum:u64 payload_len:u32 record_count:u32 cursor_len:u32  20 bytes
//              cursor (cursor_len bytes) record (record_count x 48 bytes)
//   record  := 48 bytes, as record/record_codec.h writes it
//
// All integers little-endian. checksum is XXH3-64 (seed 0) of the block's bytes after the
// checksum field (the rest of the header, the cursor, the records), so a torn
// or flipped length is caught as surely as a flipped record byte.
// payload_len = cursor_len + 48 * record_count and is at most kMaxBlockPayload.
// The cursor is opaque to the spool: where the input stood after the block's
// last record (the followed log file's inode and offset), so that a restart
// resumes exactly there.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "record/access_record.h"
#include "record/record_codec.h"

namespace scanscope {

inline constexpr char kSegmentMagic[8] = {'S', 'S', 'S', 'P', 'O', 'O', 'L', '1'};
inline constexpr uint32_t kSegmentVersion = 1;
inline constexpr size_t kSegmentHeaderBytes = 16;
inline constexpr size_t kBlockHeaderBytes = 20;
inline constexpr size_t kSpoolRecordBytes = kRecordBytes;
inline constexpr size_t kMaxBlockPayload = 16u << 20;
inline constexpr size_t kMaxCursorBytes = 4096;

// The 16-byte file header.
std::string EncodeSegmentHeader();

// Appends one block holding `records` and `cursor` to *out. Records and cursor
// must fit kMaxBlockPayload / kMaxCursorBytes (the caller splits larger sets).
void EncodeBlock(std::span<const AccessRecord> records, std::string_view cursor, std::string* out);

// The size EncodeBlock adds for n records and a cursor of c bytes.
constexpr size_t BlockBytes(size_t n, size_t c) {
  return kBlockHeaderBytes + c + n * kSpoolRecordBytes;
}

// What reading a segment's bytes found. A block whose checksum fails but
// whose length fits in the file is skipped (counted in corrupt_blocks) and
// reading goes on after it; a block header that cannot be trusted to find
// the next block ends the scan, and the bytes from there on are trailing.
struct SegmentScan {
  bool header_ok = false;
  uint64_t valid_end = 0;       // offset just past the last valid block (the header's end if none)
  uint64_t blocks = 0;          // valid blocks
  uint64_t records = 0;         // records in valid blocks
  uint64_t corrupt_blocks = 0;  // skipped: checksum or contents wrong
  uint64_t corrupt_bytes = 0;   // bytes of skipped blocks, before valid_end
  uint64_t trailing_bytes = 0;  // bytes after valid_end (a torn tail, or garbage)
  std::string last_cursor;      // cursor of the last valid block with a non-empty cursor
};

// Reads a whole segment's bytes (outside bytes after a crash: never reads
// outside `bytes`, never throws, bounded work). Valid records are appended
// to *records when it is not null.
SegmentScan ScanSegment(std::string_view bytes, std::vector<AccessRecord>* records);

}  // namespace scanscope
