#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace scanscope {
namespace {

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
  auto v4 = IpAddress::Parse("192.0.2.17");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->IsV4());
  EXPECT_EQ(v4->ToString(), "192.0.2.17");
  EXPECT_EQ(*v4, IpAddress::FromV4(0xC0000211));
  auto v6 = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->IsV4());
  EXPECT_EQ(v6->ToString(), "2001:db8::1");
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "2001:db8:::1", "host", "1.2.3.4/32"}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
}

TEST(Prefix, ContainsExactlyItsRange) {
  auto p = Prefix::Parse("198.51.100.0/29");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->length(), 29);
  EXPECT_EQ(p->ToString(), "198.51.100.0/29");
  EXPECT_TRUE(p->Contains(*IpAddress::Parse("198.51.100.0")));
  EXPECT_TRUE(p->Contains(*IpAddress::Parse("198.51.100.7")));
  EXPECT_FALSE(p->Contains(*IpAddress::Parse("198.51.100.8")));
  EXPECT_FALSE(p->Contains(*IpAddress::Parse("198.51.99.255")));
  auto single = Prefix::Parse("192.0.2.1");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->length(), 32);
  auto v6 = Prefix::Parse("2001:db8:1::/64");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->Contains(*IpAddress::Parse("2001:db8:1::ffff")));
  EXPECT_FALSE(v6->Contains(*IpAddress::Parse("2001:db8:2::1")));
  // An IPv4 prefix never holds an IPv6 address and the other way round.
  EXPECT_FALSE(p->Contains(*IpAddress::Parse("::ffff:0:0")));
  for (const char* bad : {"192.0.2.0/33", "2001:db8::/129", "192.0.2.0/-1", "192.0.2.0/"}) {
    EXPECT_FALSE(Prefix::Parse(bad)) << bad;
  }
}

TEST(PrefixSet, ParsesCommaSeparatedListsAndNamesTheBadItem) {
  Result<PrefixSet> set = PrefixSet::Parse("192.0.2.17/32, 2001:db8:1::/64");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_TRUE(set->Contains(*IpAddress::Parse("192.0.2.17")));
  EXPECT_FALSE(set->Contains(*IpAddress::Parse("192.0.2.18")));
  EXPECT_TRUE(set->Contains(*IpAddress::Parse("2001:db8:1::9")));
  EXPECT_EQ(set->ToString(), "192.0.2.17/32,2001:db8:1::/64");
  Result<PrefixSet> bad = PrefixSet::Parse("192.0.2.1,not-an-address");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not-an-address"), std::string::npos);
  Result<PrefixSet> empty = PrefixSet::Parse(" , ");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no watched address"), std::string::npos);
}

}  // namespace
}  // namespace scanscope
