#include "common/log_safe.h"

#include <gtest/gtest.h>

namespace scanscope {
namespace {

TEST(LogSafe, ControlBytesCannotForgeALine) {
  EXPECT_EQ(LogSafe("/v1/batch"), "/v1/batch");
  EXPECT_EQ(LogSafe("a\nW collector: fake"), "a\\x0aW collector: fake");
  EXPECT_EQ(LogSafe(std::string("a\r\0b\x7f\\", 6)), "a\\x0d\\x00b\\x7f\\x5c");
  EXPECT_EQ(LogSafe("h\xc3\xa9llo"), "h\xc3\xa9llo");  // UTF-8 kept
}

TEST(LogSafe, LongValuesAreCut) {
  EXPECT_EQ(LogSafe(std::string(300, 'x'), 10), "xxxxxxxxxx...(290 more bytes)");
}

}  // namespace
}  // namespace scanscope
