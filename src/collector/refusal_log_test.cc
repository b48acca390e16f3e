#include "collector/refusal_log.h"

#include <gtest/gtest.h>

namespace scanscope {
namespace {

TEST(RefusalLog, AFewLinesPerSourceThenTheCountOfTheRest) {
  RefusalLog log;
  const int64_t s = 1'000'000'000;
  int logged = 0;
  for (int i = 0; i < 100; ++i) logged += log.Refused("198.51.100.7", 100 * s + i).log;
  EXPECT_EQ(logged, static_cast<int>(RefusalLog::kLinesPerWindow));
  // Another source is not held back by the first.
  EXPECT_TRUE(log.Refused("203.0.113.9", 100 * s).log);
  // The next window: logged again, with the 80 left out before.
  RefusalLog::Decision d = log.Refused("198.51.100.7", 111 * s);
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.suppressed, 80u);
  EXPECT_EQ(log.Refused("198.51.100.7", 111 * s + 1).suppressed, 0u);
}

}  // namespace
}  // namespace scanscope
