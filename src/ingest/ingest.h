#pragma once
// Ingest: the offline flow of data. A capture file or firewall log of one
// monitoring point goes through the same decode and classify steps a sensor
// runs, and its accesses into the store as one atomic batch. The batch id is
// the point plus a hash of the file's bytes, so ingesting the same file again
// changes nothing.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capture/capture_file.h"
#include "capture/netfilter_log.h"
#include "classify/classifier.h"
#include "common/ip_address.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "decode/decoder.h"
#include "record/coverage.h"
#include "store/store.h"

namespace scanscope {

enum class InputFormat { kAuto, kPcap, kPcapng, kNetfilter };
Result<InputFormat> ParseInputFormat(std::string_view text);
// "auto", "pcap", "pcapng", "netfilter": the names --format takes.
const char* InputFormatName(InputFormat format);

struct IngestOptions {
  std::string point;
  PrefixSet watched;
  InputFormat format = InputFormat::kAuto;
  int log_year = 0;                     // 0: from the file's mtime, with a warning
  TimeZone log_zone = TimeZone::Utc();  // zone of log stamps without an offset
  // A silence longer than this inside a file is a time the point was not
  // watching (docs/coverage.md).
  int64_t max_silence_ns = CoverageTracker::kDefaultMaxSilenceNs;
};

// Everything counted while ingesting one file: what the summary prints and
// the ledger keeps.
struct FileIngestReport {
  std::string path;
  InputFormat format = InputFormat::kAuto;  // as found: never kAuto once read
  std::string batch_id;
  bool already_ingested = false;
  uint64_t input_bytes = 0;
  uint64_t packets = 0;     // frames read, or LOG lines parsed as packets
  uint64_t lines = 0;       // log lines read (logs only)
  uint64_t accesses = 0;    // accesses stored by this file (new to the store)
  uint64_t duplicates = 0;  // accesses found that the store already held: not counted again
  uint64_t first_ns = 0, last_ns = 0;  // time span of the accesses found
  ClassifyCounters classify;
  DecodeCounters decode;
  CaptureCounters capture;
  LogCounters log;
  // When the point was watching, as the file says (docs/coverage.md): a
  // pcapng's interface statistics, else the span of its packets or lines
  // less every silence over max_silence_ns. Committed with the batch.
  IntervalSet coverage;
  std::vector<std::string> warnings;
  std::string
      stop_reason;  // non-empty when the file ended early (damage), still ingested up to there
  double seconds = 0;

  // Named counters of what was read but not counted as an access, zero ones
  // left out, in a stable order: "replies_excluded", "already_stored",
  // "malformed.truncated_ipv4_header", ...
  std::vector<std::pair<std::string, uint64_t>> NamedCounters() const;
  std::string ToJson() const;
};

// Progress of one file: bytes done of a total (0 when unknown), packets so far.
using IngestProgress =
    std::function<void(uint64_t bytes_done, uint64_t bytes_total, uint64_t packets)>;

// Ingests one file into `store` for options.point (which must exist in the
// store). Returns the report; a Status only for failures that stored nothing
// (unreadable file, unknown format, store error).
Result<FileIngestReport> IngestFile(Store& store, const IngestOptions& options,
                                    const std::string& path, const IngestProgress& progress = {});

// The batch id of a file for a point: "POINT:" + XXH3-128 of its bytes.
Result<std::string> FileBatchId(const std::string& point, const std::string& path);

}  // namespace scanscope
