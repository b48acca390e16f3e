#include "analysis/month_stats.h"

#include <gtest/gtest.h>

namespace scanscope {
namespace {

TEST(MonthStatsTest, RoundingIsExactHalfUp) {
  // 115,336 accesses / (10 points x 31 days) = 372.051...; 36,779 / 310 = 118.641...
  EXPECT_EQ(RoundedHundredths(115336, 310), 37205);
  EXPECT_EQ(RoundedHundredths(36779, 310), 11864);
  EXPECT_EQ(RoundedHundredths(1, 8), 13);  // 0.125 -> 0.13 (half up, no binary error)
  EXPECT_EQ(RoundedHundredths(5, 0), 0);
}

}  // namespace
}  // namespace scanscope
