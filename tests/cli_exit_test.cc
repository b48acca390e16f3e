// Clear answers when the input is wrong: read commands never create a store,
// usage errors exit 2 whatever CLI11 would say, and every --help documents
// the exit statuses.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/run_command.h"

namespace scanscope {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

std::string Bin() { return SCANSCOPE_BINARY; }

TEST(CliExit, ReadCommandsOnAMissingStoreFailAndCreateNothing) {
  TempDir dir;
  const std::string db = dir.File("nonexist.db");
  for (const std::string& cmd :
       {fmt::format("stats --db {} --month 2013-08", db),
        fmt::format("findings --db {} --month 2013-08", db),
        fmt::format("report --db {} --month 2013-08 --out {}", db, dir.File("out")),
        fmt::format("points --db {}", db), fmt::format("points --status --db {}", db)}) {
    CommandResult r = RunCommand(Bin() + " " + cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_EQ(r.err,
              fmt::format("scanscope: no store at {} (ingest into it first, or check --db)\n", db))
        << cmd;
    EXPECT_FALSE(std::filesystem::exists(db)) << cmd;
    EXPECT_FALSE(std::filesystem::exists(dir.File("out"))) << cmd;
  }
}

TEST(CliExit, AnEmptyMonthOfAnExistingStoreIsAnAnswer) {
  TempDir dir;
  const std::string db = dir.File("store.db");
  CommandResult gen = RunCommand(fmt::format(
      "{} generate --month 2026-10 --points 1 --packets 500 --out {}", Bin(), dir.File("gen")));
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  CommandResult ing =
      RunCommand(fmt::format("{} ingest --quiet --config {} --db {} --point point-01 {}", Bin(),
                             dir.File("gen/scanscope.toml"), db, dir.File("gen/point-01.pcap")));
  ASSERT_EQ(ing.exit_code, 0) << ing.err;
  CommandResult r = RunCommand(fmt::format("{} stats --db {} --month 2013-08", Bin(), db));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliExit, UnknownCommandsAndBadFlagsExitTwo) {
  CommandResult r = RunCommand(Bin() + " serve --db x.db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(
      r.err.rfind("scanscope: unknown command 'serve'; the commands are: generate, ingest", 0), 0u)
      << r.err;
  r = RunCommand(Bin() + " statz");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'statz'"), std::string::npos) << r.err;
  r = RunCommand(Bin());  // no command at all
  EXPECT_EQ(r.exit_code, 2);
  r = RunCommand(Bin() + " stats --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  r = RunCommand(Bin() + " stats --db x.db");  // --month missing
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliExit, EveryHelpDocumentsTheExitStatuses) {
  for (const char* cmd :
       {"", "generate", "ingest", "stats", "findings", "report", "points", "collector", "sensor"}) {
    CommandResult r = RunCommand(fmt::format("{} {} --help", Bin(), cmd));
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Exit status: 0 done; 1 the work failed"), std::string::npos)
        << cmd << ": " << r.out;
  }
}

TEST(CliExit, AMissingGeoDatabaseIsAnErrorLikeAMissingPortsFile) {
  TempDir dir;
  const std::string db = dir.File("store.db");
  CommandResult gen = RunCommand(fmt::format(
      "{} generate --month 2026-10 --points 1 --packets 2000 --out {}", Bin(), dir.File("gen")));
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  CommandResult ing =
      RunCommand(fmt::format("{} ingest --quiet --config {} --db {} --point point-01 {}", Bin(),
                             dir.File("gen/scanscope.toml"), db, dir.File("gen/point-01.pcap")));
  ASSERT_EQ(ing.exit_code, 0) << ing.err;
  const std::string missing = dir.File("no-such.mmdb");
  CommandResult r = RunCommand(fmt::format("{} report --db {} --month 2026-10 --geo-db {} --out {}",
                                           Bin(), db, missing, dir.File("out")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));

  // Without a previous month, chart 1-2's data still holds this month's column,
  // and it adds up to the month's accesses.
  r = RunCommand(fmt::format("{} report --db {} --month 2026-10 --geo-db none --out {}", Bin(), db,
                             dir.File("out")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream csv(dir.File("out/charts/chart-1-2.csv"));
  std::string header;
  ASSERT_TRUE(std::getline(csv, header));
  EXPECT_EQ(header, "category,October 2026");
  uint64_t sum = 0;
  for (std::string line; std::getline(csv, line);) {
    sum += std::stoull(line.substr(line.rfind(',') + 1));
  }
  CommandResult stats =
      RunCommand(fmt::format("{} stats --json --db {} --month 2026-10", Bin(), db));
  ASSERT_EQ(stats.exit_code, 0);
  EXPECT_EQ(sum, nlohmann::json::parse(stats.out)["accesses"].get<uint64_t>());
}

}  // namespace
}  // namespace scanscope
