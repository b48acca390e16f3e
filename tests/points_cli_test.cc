// `scanscope points` as an operator runs it: --point narrows every listing
// (the points, --status and --batches) to one point, and an unknown point is
// an error naming it.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/run_command.h"

namespace scanscope {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

std::string Bin() { return SCANSCOPE_BINARY; }

class PointsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("store.db");
    CommandResult gen = RunCommand(
        fmt::format("{} generate --month 2026-10 --points 2 --packets 4000 --seed 7 --out {}",
                    Bin(), dir_.File("gen")));
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    for (const char* point : {"point-01", "point-02"}) {
      CommandResult r =
          RunCommand(fmt::format("{} ingest --quiet --config {} --db {} --point {} {}", Bin(),
                                 dir_.File("gen/scanscope.toml"), db_, point,
                                 dir_.File(fmt::format("gen/{}.pcap", point))));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  nlohmann::json Json(const std::string& flags) {
    CommandResult r = RunCommand(fmt::format("{} points --json --db {} {}", Bin(), db_, flags));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(PointsCliTest, PointNarrowsEveryListing) {
  nlohmann::json all = Json("");
  ASSERT_EQ(all.size(), 2u) << all.dump();
  nlohmann::json one = Json("--point point-02");
  ASSERT_EQ(one.size(), 1u) << one.dump();
  EXPECT_EQ(one[0]["point"], "point-02");
  EXPECT_EQ(one[0]["batches"], 1);

  nlohmann::json status = Json("--status --point point-01");
  ASSERT_EQ(status.size(), 1u) << status.dump();
  EXPECT_EQ(status[0]["point"], "point-01");

  nlohmann::json batches = Json("--batches --point point-01");
  ASSERT_EQ(batches.size(), 1u) << batches.dump();
  EXPECT_EQ(batches[0]["point"], "point-01");
}

TEST_F(PointsCliTest, UnknownPointIsNamed) {
  for (const char* flags : {"", "--status", "--batches"}) {
    CommandResult r =
        RunCommand(fmt::format("{} points --db {} --point nowhere {}", Bin(), db_, flags));
    EXPECT_EQ(r.exit_code, 2) << flags;
    EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace scanscope
