#pragma once
// Calendar days in a named IANA time zone (docs/design.md's "day"): never the
// machine's local zone by accident. Times are UTC nanoseconds since the epoch;
// days are counted from 1970-01-01 of the zone's own calendar.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace date {
class time_zone;
}

namespace scanscope {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kNanosPerDay = 86'400 * kNanosPerSecond;

// A civil date, for printing and parsing "YYYY-MM-DD" and months.
struct CivilDate {
  int year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

int32_t DaysFromCivil(CivilDate d);
CivilDate CivilFromDays(int32_t days);
std::string FormatDay(int32_t days);  // "2009-05-01"
// Days in the month of year/month (28..31).
int DaysInMonth(int year, unsigned month);
// "2026-11-03" or "2026-11-03T14:00:00" (UTC) to ns since the epoch.
Result<int64_t> ParseUtcTime(std::string_view text);
// ns since the epoch as "2026-11-03T14:00:00Z".
std::string FormatUtcTime(int64_t ns);
// "2009-05" -> first day's number and count of days; error names the text.
struct Month {
  int year = 1970;
  unsigned month = 1;
  int32_t first_day = 0;  // DaysFromCivil of the 1st
  int days = 31;
  std::string ToString() const;  // "2009-05"
  Month Previous() const;
  Month Next() const;
};
Result<Month> ParseMonth(std::string_view text);
// "January" .. "December" for month 1..12 (English; other languages keep
// their own names in their message catalogue).
std::string_view MonthName(unsigned month);

class TimeZone {
 public:
  // "UTC", "Asia/Tokyo", "Europe/Berlin"... from the system's tz database.
  static Result<TimeZone> Find(std::string_view name);
  static TimeZone Utc();

  const std::string& name() const { return name_; }
  // The local calendar day (days since 1970-01-01) of the instant `utc_ns`.
  int32_t LocalDay(int64_t utc_ns) const;
  // The UTC offset in seconds at the instant `utc_ns`.
  int64_t OffsetSeconds(int64_t utc_ns) const;
  // UTC instant of local midnight starting `local_day` (the first instant of
  // that day, correct across DST changes).
  int64_t DayStartUtcNs(int32_t local_day) const;
  // A local wall-clock time (seconds since 1970-01-01 00:00 local) to UTC.
  // An ambiguous time (DST fall-back) takes the earlier instant; a time in a
  // spring-forward gap is moved forward past the gap.
  int64_t LocalToUtcSeconds(int64_t local_seconds) const;

 private:
  TimeZone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}
  const date::time_zone* zone_ = nullptr;  // nullptr means UTC; owned by the tz database
  std::string name_;
};

// Hot-path helper: maps UTC instants to local days with one compare in the
// common case, by remembering the UTC span of the last day it answered.
// Not thread-safe; one per thread.
class DayFinder {
 public:
  explicit DayFinder(const TimeZone& zone) : zone_(zone) {}
  int32_t Day(int64_t utc_ns) {
    if (utc_ns >= start_ns_ && utc_ns < end_ns_) return day_;
    return Refill(utc_ns);
  }
  const TimeZone& zone() const { return zone_; }

 private:
  int32_t Refill(int64_t utc_ns);
  TimeZone zone_;
  int64_t start_ns_ = 1;
  int64_t end_ns_ = 0;
  int32_t day_ = 0;
};

}  // namespace scanscope
