#include "common/time_zone.h"

#include <gtest/gtest.h>

#include <ctime>

namespace scanscope {
namespace {

// The C library's own civil-to-epoch conversion, as an independent reference.
int32_t DaysByLibc(int year, unsigned month, unsigned day) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = static_cast<int>(month) - 1;
  tm.tm_mday = static_cast<int>(day);
  return static_cast<int32_t>(timegm(&tm) / 86400);
}

int64_t UtcNs(int year, unsigned month, unsigned day, int hour, int minute = 0) {
  return (int64_t{DaysByLibc(year, month, day)} * 86400 + hour * 3600 + minute * 60) *
         kNanosPerSecond;
}

TEST(CivilDays, AgreeWithLibcAcrossCenturies) {
  for (int year : {1970, 1999, 2000, 2004, 2009, 2024, 2100, 2200}) {
    for (unsigned month = 1; month <= 12; ++month) {
      for (unsigned day = 1; day <= static_cast<unsigned>(DaysInMonth(year, month)); ++day) {
        int32_t days = DaysFromCivil({year, month, day});
        ASSERT_EQ(days, DaysByLibc(year, month, day)) << year << "-" << month << "-" << day;
        CivilDate back = CivilFromDays(days);
        ASSERT_EQ(back.year, year);
        ASSERT_EQ(back.month, month);
        ASSERT_EQ(back.day, day);
      }
    }
  }
  EXPECT_EQ(FormatDay(DaysFromCivil({2009, 5, 1})), "2009-05-01");
}

TEST(CivilDays, MonthLengths) {
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
  EXPECT_EQ(DaysInMonth(2009, 5), 31);
  EXPECT_EQ(DaysInMonth(2009, 6), 30);
}

TEST(Months, ParseAndStep) {
  Result<Month> m = ParseMonth("2009-05");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->first_day, DaysFromCivil({2009, 5, 1}));
  EXPECT_EQ(m->days, 31);
  EXPECT_EQ(m->ToString(), "2009-05");
  EXPECT_EQ(m->Previous().ToString(), "2009-04");
  EXPECT_EQ(m->Previous().days, 30);
  Result<Month> jan = ParseMonth("2010-01");
  ASSERT_TRUE(jan.ok());
  EXPECT_EQ(jan->Previous().ToString(), "2009-12");
  EXPECT_EQ(jan->Previous().Next().ToString(), "2010-01");
  for (const char* bad : {"", "2009", "2009-13", "2009-00", "09-05", "2009-5x", "2009/05"}) {
    EXPECT_FALSE(ParseMonth(bad).ok()) << bad;
  }
  EXPECT_EQ(MonthName(1), "January");
  EXPECT_EQ(MonthName(12), "December");
}

TEST(TimeZones, UnknownZoneIsAnError) {
  Result<TimeZone> z = TimeZone::Find("Mars/Olympus_Mons");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.status().message().find("Mars/Olympus_Mons"), std::string::npos);
}

TEST(TimeZones, TokyoDayStartsAtFifteenUtc) {
  Result<TimeZone> tokyo = TimeZone::Find("Asia/Tokyo");
  ASSERT_TRUE(tokyo.ok());
  const int32_t may1 = DaysFromCivil({2009, 5, 1});
  // 2009-04-30 15:00 UTC is 2009-05-01 00:00 in Japan.
  EXPECT_EQ(tokyo->LocalDay(UtcNs(2009, 4, 30, 15)), may1);
  EXPECT_EQ(tokyo->LocalDay(UtcNs(2009, 4, 30, 15) - 1), may1 - 1);
  EXPECT_EQ(tokyo->DayStartUtcNs(may1), UtcNs(2009, 4, 30, 15));
  EXPECT_EQ(tokyo->OffsetSeconds(UtcNs(2009, 5, 1, 0)), 9 * 3600);
  EXPECT_EQ(TimeZone::Utc().LocalDay(UtcNs(2009, 4, 30, 15)), may1 - 1);
}

// Berlin's DST days of 2026: 29 March has 23 hours, 25 October has 25.
TEST(TimeZones, DstDaysHaveTheirTrueLength) {
  Result<TimeZone> berlin = TimeZone::Find("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  const int32_t spring = DaysFromCivil({2026, 3, 29}), fall = DaysFromCivil({2026, 10, 25});
  const int64_t hour = 3600 * kNanosPerSecond;
  EXPECT_EQ(berlin->DayStartUtcNs(spring + 1) - berlin->DayStartUtcNs(spring), 23 * hour);
  EXPECT_EQ(berlin->DayStartUtcNs(fall + 1) - berlin->DayStartUtcNs(fall), 25 * hour);
  EXPECT_EQ(berlin->DayStartUtcNs(spring), UtcNs(2026, 3, 28, 23));  // +01:00
  EXPECT_EQ(berlin->DayStartUtcNs(fall), UtcNs(2026, 10, 24, 22));   // +02:00
  // The last instant of the long day still belongs to it.
  EXPECT_EQ(berlin->LocalDay(berlin->DayStartUtcNs(fall + 1) - 1), fall);
  EXPECT_EQ(berlin->LocalDay(berlin->DayStartUtcNs(fall + 1)), fall + 1);
}

TEST(TimeZones, LocalTimesInGapsAndFolds) {
  Result<TimeZone> berlin = TimeZone::Find("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  auto local = [](int y, unsigned m, unsigned d, int h, int min) {
    return int64_t{DaysFromCivil({y, m, d})} * 86400 + h * 3600 + min * 60;
  };
  // 02:30 on 2026-03-29 does not exist in Berlin: moved past the gap (to 03:30 CEST = 01:30 UTC).
  EXPECT_EQ(berlin->LocalToUtcSeconds(local(2026, 3, 29, 2, 30)),
            UtcNs(2026, 3, 29, 1, 30) / kNanosPerSecond);
  // 02:30 on 2026-10-25 happens twice: the earlier instant (CEST, 00:30 UTC).
  EXPECT_EQ(berlin->LocalToUtcSeconds(local(2026, 10, 25, 2, 30)),
            UtcNs(2026, 10, 25, 0, 30) / kNanosPerSecond);
  EXPECT_EQ(berlin->LocalToUtcSeconds(local(2026, 7, 1, 12, 0)),
            UtcNs(2026, 7, 1, 10, 0) / kNanosPerSecond);
}

TEST(TimeZones, DayFinderAgreesWithLocalDay) {
  for (const char* name : {"UTC", "Asia/Tokyo", "Europe/Berlin", "America/New_York",
                           "Australia/Lord_Howe", "Asia/Kolkata"}) {
    Result<TimeZone> zone = TimeZone::Find(name);
    ASSERT_TRUE(zone.ok()) << name;
    DayFinder finder(*zone);
    // Every 17 minutes through 2026, forwards, then a few jumps backwards.
    const int64_t step = 17 * 60 * kNanosPerSecond;
    for (int64_t t = UtcNs(2026, 1, 1, 0); t < UtcNs(2027, 1, 1, 0); t += step) {
      ASSERT_EQ(finder.Day(t), zone->LocalDay(t)) << name << " at " << t;
    }
    for (int64_t t : {UtcNs(2026, 3, 8, 7), UtcNs(2026, 3, 29, 1), UtcNs(2025, 12, 31, 23)}) {
      ASSERT_EQ(finder.Day(t), zone->LocalDay(t)) << name;
    }
  }
}

}  // namespace
}  // namespace scanscope
