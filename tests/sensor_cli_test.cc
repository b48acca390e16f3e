// What `scanscope sensor` refuses at start, before it captures or sends
// anything: a token file others may read, a point name that cannot be one,
// plain http to a collector that is not on loopback. Each is exit 2 with one
// line that says how to fix it.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "support/run_command.h"

namespace scanscope::testing {
namespace {

class SensorCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.File("token")) << "a-token\n";
    ASSERT_EQ(::chmod(dir_.File("token").c_str(), 0600), 0);
    std::ofstream(dir_.File("kern.log")) << "";
    std::ofstream(dir_.File("ca.pem")) << "not used: the sensor stops first\n";
  }
  CommandResult Sensor(const std::string& point, const std::string& collector,
                       const std::string& extra = "") {
    return RunCommand(
        fmt::format("{} sensor --point '{}' --watch 192.0.2.0/24 --netfilter-log {} --collector {} "
                    "--token-file {} --ca-file {} --spool {} {}",
                    SCANSCOPE_BINARY, point, dir_.File("kern.log"), collector, dir_.File("token"),
                    dir_.File("ca.pem"), dir_.File("spool"), extra));
  }
  TempDir dir_;
};

TEST_F(SensorCliTest, ATokenFileOthersMayReadIsRefused) {
  ASSERT_EQ(::chmod(dir_.File("token").c_str(), 0644), 0);
  CommandResult r = Sensor("p1", "https://127.0.0.1:1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("chmod 600 " + dir_.File("token")), std::string::npos) << r.err;
}

TEST_F(SensorCliTest, APointNameThatCannotBeOneIsRefused) {
  for (const std::string& bad : {std::string("a/b"), std::string(256, 'p')}) {
    CommandResult r = Sensor(bad, "https://127.0.0.1:1");
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--point must be 1 to 255 printable bytes"), std::string::npos) << r.err;
  }
}

TEST_F(SensorCliTest, PlainHttpOnlyToLoopback) {
  CommandResult r = Sensor("p1", "http://192.0.2.1:8443", "--allow-plain");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("plain http is allowed only to a loopback collector"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace scanscope::testing
