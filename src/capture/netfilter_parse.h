#pragma once
// The netfilter line parser with the state a file carries from line to line
// (the year of classic stamps, its rollover, and a cache of the zone's
// local-to-UTC offset). Two readers keep that state themselves: the log file
// reader (NetfilterLogReader; ParseNetfilterLine is the stateless form) and
// the sensor following a live log, which feeds it line by line.
// docs/firewall-logs.md describes the accepted formats and every verdict.

#include <cstdint>
#include <string_view>

#include "capture/netfilter_log.h"
#include "common/time_zone.h"
#include "record/coverage.h"

namespace scanscope::netfilter {

// Local wall-clock seconds to UTC seconds in one zone, remembering the offset
// of the last quarter hour asked about (one tz lookup per quarter hour in a
// time-ordered file instead of one per line). Not thread-safe.
class LocalTimeConverter {
 public:
  explicit LocalTimeConverter(const TimeZone& zone) : zone_(zone) {}
  int64_t ToUtcSeconds(int64_t local_seconds);

 private:
  static constexpr int64_t kBucketSeconds = 900;
  const TimeZone& zone_;  // must outlive the converter
  int64_t bucket_ = INT64_MIN;
  int64_t delta_ = 0;  // utc = local + delta_ inside bucket_
};

// What a file knows about the year of classic ("May  3 14:02:11") stamps.
struct ClassicYear {
  int year = 0;                 // the year to give the next classic stamp
  bool from_mtime = false;      // year is the file's mtime year, to be settled by the first stamp
  unsigned mtime_month = 12;    // the mtime's month (for from_mtime)
  bool track_rollover = false;  // advance `year` when the month wraps (Dec -> Jan)
  unsigned last_month = 0;      // month of the previous classic stamp; 0 before the first
  bool used = false;            // set once any classic stamp took its year from here
};

struct ParseContext {
  ClassicYear classic;
  LocalTimeConverter* local_time = nullptr;  // for stamps without an offset
  // When set, every line with a stamp (a firewall line or any other) is a
  // sign that the point was watching (docs/coverage.md).
  CoverageTracker* life = nullptr;
};

// Parses one line (without its newline; a trailing '\r' is ignored). On
// kPacket fills *out; on kMalformed sets *why. Never reads outside `line`,
// never allocates, never throws.
LogLineResult ParseNetfilterLineIn(std::string_view line, ParseContext* ctx, LoggedPacket* out,
                                   LogMalformed* why);

}  // namespace scanscope::netfilter
