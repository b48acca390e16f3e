#include "common/time_zone.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdio>

namespace scanscope {

namespace {
using Seconds = std::chrono::seconds;
}

int32_t DaysFromCivil(CivilDate d) {
  return date::sys_days(date::year(d.year) / date::month(d.month) / date::day(d.day))
      .time_since_epoch()
      .count();
}

CivilDate CivilFromDays(int32_t days) {
  date::year_month_day ymd{date::sys_days(date::days(days))};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day())};
}

std::string FormatDay(int32_t days) {
  CivilDate c = CivilFromDays(days);
  return fmt::format("{:04d}-{:02d}-{:02d}", c.year, c.month, c.day);
}

Result<int64_t> ParseUtcTime(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tail = 0;
  const std::string s(text);
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail);
  if ((n != 3 && n != 6) || mo < 1 || mo > 12 || d < 1 ||
      d > DaysInMonth(y, static_cast<unsigned>(mo)) || h > 23 || mi > 59 || sec > 59 || h < 0 ||
      mi < 0 || sec < 0) {
    return Status::InvalidArgument("'" + s + "': want a UTC time YYYY-MM-DD[THH:MM:SS]");
  }
  const int64_t day = DaysFromCivil({y, static_cast<unsigned>(mo), static_cast<unsigned>(d)});
  return (day * 86400 + h * 3600 + mi * 60 + sec) * int64_t{1'000'000'000};
}

std::string FormatUtcTime(int64_t ns) {
  int64_t s = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
  int64_t day = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  int64_t sec = s - day * 86400;
  return fmt::format("{}T{:02}:{:02}:{:02}Z", FormatDay(static_cast<int32_t>(day)), sec / 3600,
                     sec / 60 % 60, sec % 60);
}

int DaysInMonth(int year, unsigned month) {
  auto last = date::year_month_day_last(date::year(year), date::month_day_last(date::month(month)));
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

std::string Month::ToString() const { return fmt::format("{:04d}-{:02d}", year, month); }

Month Month::Previous() const {
  Month m;
  m.year = month == 1 ? year - 1 : year;
  m.month = month == 1 ? 12 : month - 1;
  m.first_day = DaysFromCivil({m.year, m.month, 1});
  m.days = DaysInMonth(m.year, m.month);
  return m;
}

Month Month::Next() const {
  Month m;
  m.year = month == 12 ? year + 1 : year;
  m.month = month == 12 ? 1 : month + 1;
  m.first_day = DaysFromCivil({m.year, m.month, 1});
  m.days = DaysInMonth(m.year, m.month);
  return m;
}

Result<Month> ParseMonth(std::string_view text) {
  Month m;
  unsigned mon = 0;
  if (text.size() != 7 || text[4] != '-') {
    return Status::InvalidArgument("month must be YYYY-MM, got '" + std::string(text) + "'");
  }
  auto r1 = std::from_chars(text.data(), text.data() + 4, m.year);
  auto r2 = std::from_chars(text.data() + 5, text.data() + 7, mon);
  if (r1.ec != std::errc() || r1.ptr != text.data() + 4 || r2.ec != std::errc() ||
      r2.ptr != text.data() + 7 || mon < 1 || mon > 12 || m.year < 1971 || m.year > 2200) {
    return Status::InvalidArgument("month must be YYYY-MM, got '" + std::string(text) + "'");
  }
  m.month = mon;
  m.first_day = DaysFromCivil({m.year, m.month, 1});
  m.days = DaysInMonth(m.year, m.month);
  return m;
}

Result<TimeZone> TimeZone::Find(std::string_view name) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return Utc();
  try {
    const date::time_zone* z = date::locate_zone(name);
    return TimeZone(z, std::string(name));
  } catch (const std::exception&) {
    return Status::InvalidArgument("unknown time zone '" + std::string(name) +
                                   "' (use an IANA name such as Asia/Tokyo or UTC)");
  }
}

TimeZone TimeZone::Utc() { return TimeZone(nullptr, "UTC"); }

int64_t TimeZone::OffsetSeconds(int64_t utc_ns) const {
  if (zone_ == nullptr) return 0;
  date::sys_seconds t{Seconds(utc_ns >= 0 ? utc_ns / kNanosPerSecond
                                          : -((-utc_ns + kNanosPerSecond - 1) / kNanosPerSecond))};
  return zone_->get_info(t).offset.count();
}

int32_t TimeZone::LocalDay(int64_t utc_ns) const {
  int64_t secs =
      utc_ns >= 0 ? utc_ns / kNanosPerSecond : -((-utc_ns + kNanosPerSecond - 1) / kNanosPerSecond);
  int64_t local = secs + OffsetSeconds(utc_ns);
  return static_cast<int32_t>(local >= 0 ? local / 86400 : -((-local + 86399) / 86400));
}

int64_t TimeZone::LocalToUtcSeconds(int64_t local_seconds) const {
  if (zone_ == nullptr) return local_seconds;
  date::local_seconds lt{Seconds(local_seconds)};
  date::local_info info = zone_->get_info(lt);
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:
      return local_seconds - info.first.offset.count();
    case date::local_info::nonexistent:
      // In the gap: the wall time never happened; map it by the offset before
      // the gap, which lands after the transition.
      return local_seconds - info.first.offset.count();
  }
  return local_seconds;
}

int64_t TimeZone::DayStartUtcNs(int32_t local_day) const {
  int64_t midnight_local = int64_t{local_day} * 86400;
  if (zone_ == nullptr) return midnight_local * kNanosPerSecond;
  date::local_seconds lt{Seconds(midnight_local)};
  date::local_info info = zone_->get_info(lt);
  if (info.result == date::local_info::nonexistent) {
    // Midnight skipped by a DST change: the day starts at the transition.
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               info.second.begin.time_since_epoch())
        .count();
  }
  return (midnight_local - info.first.offset.count()) * kNanosPerSecond;
}

int32_t DayFinder::Refill(int64_t utc_ns) {
  day_ = zone_.LocalDay(utc_ns);
  start_ns_ = zone_.DayStartUtcNs(day_);
  end_ns_ = zone_.DayStartUtcNs(day_ + 1);
  if (utc_ns < start_ns_ || utc_ns >= end_ns_) {
    // Should not happen; never cache a span that does not hold the instant.
    start_ns_ = 1;
    end_ns_ = 0;
  }
  return day_;
}

std::string_view MonthName(unsigned month) {
  static constexpr std::string_view kNames[] = {"January",   "February", "March",    "April",
                                                "May",       "June",     "July",     "August",
                                                "September", "October",  "November", "December"};
  return kNames[(month + 11) % 12];
}

}  // namespace scanscope
