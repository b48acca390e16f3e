// libFuzzer target: ScanSegment on arbitrary bytes (a segment file is
// outside bytes after a crash or a disk error). Checks the reader's
// contracts: no crash, no read outside the input, and counts that add up.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "spool/segment_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<scanscope::AccessRecord> records;
  scanscope::SegmentScan scan = scanscope::ScanSegment(bytes, &records);
  if (records.size() != scan.records) std::abort();
  if (scan.valid_end > size || scan.valid_end + scan.trailing_bytes != size) std::abort();
  if (!scan.header_ok && (scan.blocks != 0 || scan.valid_end != 0)) std::abort();
  if (scan.corrupt_bytes > scan.valid_end) std::abort();
  // Re-encoding the valid records gives blocks that scan back the same.
  if (scan.header_ok && !records.empty()) {
    std::string again = scanscope::EncodeSegmentHeader();
    scanscope::EncodeBlock(records, scan.last_cursor, &again);
    std::vector<scanscope::AccessRecord> back;
    scanscope::SegmentScan s2 = scanscope::ScanSegment(again, &back);
    if (s2.records != scan.records || s2.trailing_bytes != 0 || s2.corrupt_blocks != 0) {
      std::abort();
    }
  }
  return 0;
}
