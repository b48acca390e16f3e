#pragma once
// Firewall logs: netfilter LOG lines as iptables, UFW and firewalld write them,
// in kernel log (dmesg), syslog and journal text exports ("journalctl -o short",
// "-o short-iso", "-o short-precise"), with classic "Mon DD HH:MM:SS" stamps or
// ISO-8601 stamps. A LoggedPacket carries a PacketView like decode's, so
// classify sees one input whatever the source.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time_zone.h"
#include "decode/packet_view.h"
#include "record/coverage.h"

namespace scanscope {

enum class LogDirection : uint8_t {
  kInbound,   // IN= set, OUT= empty (INPUT chain)
  kForward,   // IN= and OUT= set (FORWARD chain)
  kOutbound,  // IN= empty (OUTPUT chain)
};

struct LoggedPacket {
  int64_t time_ns = 0;  // UTC
  LogDirection direction = LogDirection::kInbound;
  PacketView packet;  // pointers (l4) are null: a log line has no payload
};

enum class LogLineResult : uint8_t {
  kPacket = 0,    // a netfilter LOG line, parsed
  kNotNetfilter,  // any other line (skipped, counted)
  kMalformed,     // looks like a LOG line but is cut short or garbled
};

// Why a LOG line was judged malformed: each a named counter.
enum class LogMalformed : uint8_t {
  kBadTimestamp = 0,
  kMissingField,  // SRC, DST, PROTO... absent
  kBadAddress,
  kBadNumber,
  kTruncatedLine,     // ends in the middle of a field or the quoted packet
  kIncompleteHeader,  // the kernel logged "INCOMPLETE [n bytes]": the packet itself
                      // was too short to hold its TCP/UDP/ICMP header
  kLineTooLong,       // a line longer than kMaxLogLineBytes (skipped unread)
  kCount,
};
std::string_view LogMalformedName(LogMalformed m);  // "bad_timestamp"

// Lines longer than this (not counting the newline) are malformed, kLineTooLong.
constexpr size_t kMaxLogLineBytes = 64 * 1024;

struct LogCounters {
  uint64_t lines = 0;
  uint64_t packets = 0;
  uint64_t not_netfilter = 0;
  std::array<uint64_t, static_cast<size_t>(LogMalformed::kCount)> malformed{};
  uint64_t bytes = 0;
};

struct LogParseOptions {
  // Year for classic stamps without one; 0 means "not given" (the reader then
  // uses the file's mtime year and warns).
  int year = 0;
  // Zone for stamps without an offset.
  TimeZone zone = TimeZone::Utc();
  // When set, sees the time of every stamped line (docs/coverage.md); it
  // must outlive the reader.
  CoverageTracker* life = nullptr;
};

// Reads a log file line by line (gzip recognised by its magic and inflated on
// the fly), in bounded memory (one 256 KiB buffer). Classic stamps count their
// year from options.year (or the file's mtime); a stamp whose month goes
// backwards by six or more (December -> January) rolls the year forward (one
// file spanning new year). Not thread-safe. See docs/firewall-logs.md.
class NetfilterLogReader {
 public:
  virtual ~NetfilterLogReader() = default;
  // The next parsed LOG line; false at end of file or on an I/O error (error()).
  virtual bool Next(LoggedPacket* out) = 0;
  virtual const Status& error() const = 0;
  virtual const LogCounters& counters() const = 0;
  virtual uint64_t size_hint() const = 0;
  // Warnings worth one line each (e.g. "kern.log: year not given: taking 2024
  // from the file's modification time", given once, when a classic stamp first
  // needs the year).
  virtual const std::vector<std::string>& warnings() const = 0;
};

Result<std::unique_ptr<NetfilterLogReader>> OpenNetfilterLog(const std::string& path,
                                                             const LogParseOptions& options);

// Parses one line (no trailing newline; a trailing '\r' is ignored) with a
// known year context. Exposed for tests and fuzzing. `year` is the year to
// give a classic stamp (no rollover here; a year outside 1970-2200, such as 0,
// makes every classic stamp kBadTimestamp). On kPacket fills *out; on
// kMalformed sets *why. Allocates nothing itself, never throws, reads only `line`.
// Thread-safe.
LogLineResult ParseNetfilterLine(std::string_view line, int year, const TimeZone& zone,
                                 LoggedPacket* out, LogMalformed* why);

}  // namespace scanscope
