#include "common/ratio.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace scanscope {
namespace {

// The reference computation: exact rational rounding half up, by long division.
uint64_t TenthsByHand(uint64_t part, uint64_t total) {
  long double exact = static_cast<long double>(part) * 1000.0L / static_cast<long double>(total);
  return static_cast<uint64_t>(exact + 0.5L);
}

TEST(Ratio, RoundsHalfUpToOneDecimal) {
  EXPECT_EQ(FormatRatio(1, 8), "12.5");    // 12.5 exactly
  EXPECT_EQ(FormatRatio(1, 3), "33.3");    // 33.33...
  EXPECT_EQ(FormatRatio(2, 3), "66.7");    // 66.66...
  EXPECT_EQ(FormatRatio(1, 2000), "0.1");  // 0.05 -> half up
  EXPECT_EQ(FormatRatio(1, 2001), "0.0");  // just below half
  EXPECT_EQ(FormatRatio(245, 1000), "24.5");
  EXPECT_EQ(FormatRatio(1, 16), "6.3");  // 6.25 -> half up
  EXPECT_EQ(FormatRatio(5, 5), "100.0");
  EXPECT_EQ(FormatRatio(3, 0), "0.0");
  EXPECT_DOUBLE_EQ(RatioPercent(1, 8), 12.5);
  EXPECT_DOUBLE_EQ(RatioPercent(1, 3), 33.3);
  EXPECT_DOUBLE_EQ(RatioPercent(2, 3), 66.7);
  EXPECT_DOUBLE_EQ(RatioPercent(1, 2000), 0.1);  // 0.05 rounds half up
  EXPECT_DOUBLE_EQ(RatioPercent(0, 0), 0);
}

TEST(Ratio, AgreesWithLongDivisionOnSmallCounts) {
  for (uint64_t total = 1; total < 300; ++total) {
    for (uint64_t part = 0; part <= total; ++part) {
      ASSERT_EQ(RatioTenths(part, total), TenthsByHand(part, total)) << part << "/" << total;
    }
  }
}

TEST(Ratio, NoOverflowOnHugeCounts) {
  const uint64_t big = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(RatioTenths(big, big), 1000u);
  EXPECT_EQ(RatioTenths(big / 2, big), 500u);
}

TEST(Numbers, ThousandsSeparators) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(1000), "1,000");
  EXPECT_EQ(WithThousands(115336), "115,336");
  EXPECT_EQ(WithThousands(1234567890), "1,234,567,890");
}

}  // namespace
}  // namespace scanscope
