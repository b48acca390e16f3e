#include "common/host_port.h"

#include <gtest/gtest.h>

namespace scanscope {
namespace {

TEST(HostPort, NameAndPort) {
  Result<HostPort> hp = ParseHostPort("collector.example:8443");
  ASSERT_TRUE(hp.ok()) << hp.status().message();
  EXPECT_EQ(hp->host, "collector.example");
  EXPECT_EQ(hp->port, 8443);
}

TEST(HostPort, BracketedV6) {
  Result<HostPort> hp = ParseHostPort("[::1]:0");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 0);
}

TEST(HostPort, DefaultPortOnlyWhenGiven) {
  EXPECT_FALSE(ParseHostPort("db.example").ok());
  Result<HostPort> hp = ParseHostPort("db.example", 8123);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->port, 8123);
  hp = ParseHostPort("[2001:db8::1]", 8123);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "2001:db8::1");
}

TEST(HostPort, Refusals) {
  for (const char* text :
       {"", ":80", "host:", "host:65536", "host:8x", "[::1", "[::1]x", "::1:80", "host:123456"}) {
    EXPECT_FALSE(ParseHostPort(text, -1).ok()) << text;
  }
}

}  // namespace
}  // namespace scanscope
