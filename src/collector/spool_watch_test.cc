#include "collector/spool_watch.h"

#include <gtest/gtest.h>

namespace scanscope {
namespace {

constexpr int64_t kS = 1'000'000'000;

TEST(SpoolWatch, ASecondSpoolOfOnePointIsNoticedOnce) {
  SpoolWatch w;
  EXPECT_FALSE(w.Saw("p1/aaaa/0000000000000001", 100 * kS));
  EXPECT_FALSE(w.Saw("p1/aaaa/0000000000000002", 110 * kS));
  EXPECT_FALSE(w.Saw("p2/cccc/0000000000000001", 115 * kS));  // another point: its own spool
  auto other = w.Saw("p1/bbbb/0000000000000001", 130 * kS);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->spool, "aaaa");
  EXPECT_EQ(other->seconds_ago, 20);
  EXPECT_FALSE(w.Saw("p1/bbbb/0000000000000002", 140 * kS));  // once per new spool
}

TEST(SpoolWatch, ASpoolReplacedLongAgoOrAnOddIdIsNotNoticed) {
  SpoolWatch w;
  EXPECT_FALSE(w.Saw("p1/aaaa/1", 0));
  EXPECT_FALSE(w.Saw("p1/bbbb/1", (SpoolWatch::kWithinSeconds + 1) * kS));
  EXPECT_FALSE(w.Saw("no-slashes", 5 * kS));
  EXPECT_FALSE(w.Saw("p1/only-one-slash", 5 * kS));
}

}  // namespace
}  // namespace scanscope
