#include "common/hex.h"

#include <gtest/gtest.h>

#include <array>

namespace scanscope {
namespace {

TEST(Hex, RoundTrip) {
  const std::array<uint8_t, 4> bytes = {0x00, 0x7f, 0xab, 0xff};
  EXPECT_EQ(EncodeHex(bytes), "007fabff");
  std::string out;
  ASSERT_TRUE(DecodeHex("007FabfF", &out));
  EXPECT_EQ(out, std::string("\x00\x7f\xab\xff", 4));
  std::array<uint8_t, 4> fixed{};
  ASSERT_TRUE(DecodeHex("007fabff", fixed));
  EXPECT_EQ(fixed, bytes);
}

TEST(Hex, Refusals) {
  std::string out;
  EXPECT_FALSE(DecodeHex("abc", &out));
  EXPECT_FALSE(DecodeHex("zz", &out));
  std::array<uint8_t, 2> fixed{};
  EXPECT_FALSE(DecodeHex("00", fixed));
  uint32_t v = 0;
  EXPECT_FALSE(ParseHex32("", &v));
  EXPECT_FALSE(ParseHex32("123456789", &v));
  EXPECT_FALSE(ParseHex32("12g", &v));
  ASSERT_TRUE(ParseHex32("DeadBeef", &v));
  EXPECT_EQ(v, 0xdeadbeefu);
}

}  // namespace
}  // namespace scanscope
