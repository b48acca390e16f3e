#include "record/coverage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace scanscope {
namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kH = 3600 * kS;

TEST(IntervalSet, AddMergesOverlappingAndTouching) {
  IntervalSet s;
  s.Add(10, 20);
  s.Add(30, 40);
  s.Add(20, 25);  // touches the first
  EXPECT_EQ(s.intervals(), (std::vector<CoverageInterval>{{10, 25}, {30, 40}}));
  s.Add(5, 35);  // swallows both
  EXPECT_EQ(s.intervals(), (std::vector<CoverageInterval>{{5, 40}}));
  s.Add(50, 50);  // empty: nothing
  EXPECT_EQ(s.intervals().size(), 1u);
}

TEST(IntervalSet, RemoveCutsHoles) {
  IntervalSet s;
  s.Add(0, 100);
  s.Remove(20, 30);
  s.Remove(90, 200);
  EXPECT_EQ(s.intervals(), (std::vector<CoverageInterval>{{0, 20}, {30, 90}}));
  EXPECT_EQ(s.CoveredNs(0, 100), 80);
  EXPECT_EQ(s.CoveredNs(15, 35), 10);
  EXPECT_EQ(s.CoveredNs(95, 99), 0);
  EXPECT_EQ(s.Within(10, 40).intervals(), (std::vector<CoverageInterval>{{10, 20}, {30, 40}}));
}

// Against a brute-force model over a small universe.
TEST(IntervalSet, AgreesWithABitmap) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    IntervalSet s;
    std::vector<bool> model(64, false);
    for (int op = 0; op < 12; ++op) {
      int a = static_cast<int>(rng() % 64), b = static_cast<int>(rng() % 64);
      if (a > b) std::swap(a, b);
      bool add = rng() % 3 != 0;
      if (add) {
        s.Add(a, b);
      } else {
        s.Remove(a, b);
      }
      for (int i = a; i < b; ++i) model[i] = add;
    }
    for (int from = 0; from < 64; from += 5) {
      int64_t want = 0;
      for (int i = from; i < 64; ++i) want += model[i] ? 1 : 0;
      ASSERT_EQ(s.CoveredNs(from, 64), want) << "round " << round;
    }
    for (size_t i = 1; i < s.intervals().size(); ++i) {
      ASSERT_LT(s.intervals()[i - 1].to_ns, s.intervals()[i].from_ns);  // disjoint, not touching
    }
  }
}

TEST(CoverageTracker, SpanLessLongSilences) {
  CoverageTracker t;  // 1 hour
  // A sign every minute from 00:00 to 06:00, nothing until 09:00, then to 12:00.
  for (int64_t m = 0; m <= 360; ++m) t.Observe(m * 60 * kS);
  for (int64_t m = 540; m <= 720; ++m) t.Observe(m * 60 * kS);
  EXPECT_EQ(t.Finish().intervals(),
            (std::vector<CoverageInterval>{{0, 6 * kH + 1}, {9 * kH, 12 * kH + 1}}));
}

TEST(CoverageTracker, SilenceOfExactlyTheThresholdIsNotAGap) {
  CoverageTracker t(kH);
  t.Observe(0);
  t.Observe(kH);
  t.Observe(2 * kH + 1);  // one ns over
  EXPECT_EQ(t.Finish().intervals(),
            (std::vector<CoverageInterval>{{0, kH + 1}, {2 * kH + 1, 2 * kH + 2}}));
}

TEST(CoverageTracker, OrderDoesNotMatter) {
  std::vector<int64_t> signs;
  for (int64_t s = 0; s < 3 * kH; s += 97 * kS) signs.push_back(s);
  for (int64_t s = 5 * kH; s < 7 * kH; s += 13 * kS) signs.push_back(s);
  CoverageTracker ordered;
  for (int64_t s : signs) ordered.Observe(s);
  std::mt19937 rng(3);
  std::shuffle(signs.begin(), signs.end(), rng);
  CoverageTracker shuffled;
  for (int64_t s : signs) shuffled.Observe(s);
  EXPECT_EQ(ordered.Finish(), shuffled.Finish());
  EXPECT_EQ(ordered.Finish().intervals().size(), 2u);
}

TEST(CoverageTracker, NothingObservedIsEmpty) {
  CoverageTracker t;
  EXPECT_TRUE(t.Finish().empty());
}

}  // namespace
}  // namespace scanscope
