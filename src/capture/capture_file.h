#pragma once
// Capture files: pcap (both byte orders, micro- and nanosecond stamps) and
// pcapng (several interfaces and link types in one file), plain or .gz.
// A CaptureFile yields frames whose bytes stay valid until the next call to
// Next(). Damage in the file ends the file with a counter and a one-line
// message naming the offset, never a crash or a hang. Formats, limits and
// what each kind of damage does: docs/capture-formats.md.
//
// Plain regular files are mapped and frames are views into the mapping (no
// copy, no allocation per frame); gzip and pipes are read through one reused
// window of bounded size. A CaptureFile is not thread-safe.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "decode/decoder.h"
#include "record/coverage.h"

namespace scanscope {

struct Frame {
  int64_t time_ns = 0;  // UTC nanoseconds since the epoch
  LinkType link_type = LinkType::kEthernet;
  std::span<const uint8_t> data;  // the captured bytes (caplen)
  uint32_t original_length = 0;   // the length on the wire
};

enum class CaptureFormat { kAuto, kPcap, kPcapng };

// Damage counted while reading a capture file.
enum class CaptureIssue : uint8_t {
  kTruncatedRecord = 0,  // the file ends inside a record header or its data
  kBadRecordLength,      // caplen past the snaplen / block length inconsistent
  kBadBlock,             // pcapng block with a bad length or trailer
  kUnknownInterface,     // pcapng packet naming an interface never described
  kSkippedBlock,         // pcapng block types we do not need (not damage)
  kCount,
};
std::string_view CaptureIssueName(CaptureIssue issue);  // "truncated_record"

struct CaptureCounters {
  uint64_t frames = 0;
  uint64_t bytes = 0;  // file bytes consumed (compressed bytes for gzip), vs size_hint()
  std::array<uint64_t, static_cast<size_t>(CaptureIssue::kCount)> issues{};
  void Add(CaptureIssue i) { ++issues[static_cast<size_t>(i)]; }
  uint64_t Get(CaptureIssue i) const { return issues[static_cast<size_t>(i)]; }
};

class CaptureFile {
 public:
  virtual ~CaptureFile() = default;
  // The next frame, or false at the end of the file. When the file is
  // damaged beyond recovery, returns false and error() says where.
  virtual bool Next(Frame* frame) = 0;
  // OK at a clean end; otherwise a one-line message naming the file and offset
  // (a truncated last record too: Corruption, with kTruncatedRecord counted).
  virtual const Status& error() const = 0;
  virtual const CaptureCounters& counters() const = 0;
  // Size of the (uncompressed when known, else compressed) input, for progress;
  // 0 when unknown (a pipe).
  virtual uint64_t size_hint() const = 0;
  // What the capture says it watched (docs/coverage.md): the spans
  // [isb_starttime, isb_endtime) of the pcapng Interface Statistics Blocks
  // read so far that carry both; empty for pcap or when no ISB has them.
  virtual const std::vector<CoverageInterval>& statistics_spans() const = 0;
};

// Opens `path` (".gz" decompressed on the fly). kAuto looks at the magic number.
Result<std::unique_ptr<CaptureFile>> OpenCaptureFile(const std::string& path,
                                                     CaptureFormat format = CaptureFormat::kAuto);
// Reads from bytes in memory (for tests and fuzzing); `bytes` must outlive the reader.
Result<std::unique_ptr<CaptureFile>> OpenCaptureBuffer(std::span<const uint8_t> bytes,
                                                       CaptureFormat format = CaptureFormat::kAuto);

// True when the first bytes look like pcap or pcapng (used by --format auto),
// also inside gzip: pass at least the first 512 bytes of a gzip file.
bool LooksLikeCapture(std::span<const uint8_t> first_bytes);

}  // namespace scanscope
