// Scale out: two ClickHouse servers on loopback form the cluster
// scanscope_two_shards (tests/support/clickhouse_server.h); scanscope stores
// through Distributed tables over them (`?cluster=`), ingesting generated
// months with the binary, and gives the same figures as a SQLite file of the
// same data: `stats --json`, `findings --json` and report.json
// byte-identical. Each shard, asked directly, holds part of the raw records
// and of the source-days, and the two parts add up to what SQLite holds.

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "support/backend_parity.h"
#include "support/clickhouse_server.h"
#include "support/run_command.h"

namespace scanscope::testing {
namespace {

uint64_t ToCount(const std::string& text) { return std::stoull(text.empty() ? "0" : text); }

TEST(ClickHouseShardsTest, TwoShardsGiveSqlitesFigures) {
  std::string error;
  auto cluster = ClickHouseCluster::StartTwoShards(&error);
  ASSERT_NE(cluster, nullptr) << error;
  TempDir dir;
  GeneratedMonths months;
  ASSERT_EQ(
      GenerateMonths(SCANSCOPE_BINARY, dir.path(), {"2009-04", "2009-05"}, 2, 20000, 7, &months),
      "");
  const std::string database = "shards_" + std::to_string(getpid());
  const std::string sqlite = dir.File("s.db");
  const std::string clickhouse = cluster->Url(database);
  ASSERT_EQ(IngestAll(SCANSCOPE_BINARY, months, sqlite), "");
  ASSERT_EQ(IngestAll(SCANSCOPE_BINARY, months, clickhouse), "");

  const std::string bin = SCANSCOPE_BINARY;
  for (const std::string command :
       {"stats --json", "stats --tz Asia/Tokyo --json", "findings --json", "points --json"}) {
    const std::string month = command.starts_with("points") ? "" : " --month 2009-05";
    auto a = RunCommand(bin + " " + command + " --db " + sqlite + month);
    auto b = RunCommand(bin + " " + command + " --db '" + clickhouse + "'" + month);
    ASSERT_EQ(a.exit_code, 0) << command << ": " << a.err;
    ASSERT_EQ(b.exit_code, 0) << command << ": " << b.err;
    EXPECT_TRUE(a.out == b.out) << command << ": " << FirstDifference(a.out, b.out);
  }
  auto a = RunCommand(bin + " report --db " + sqlite + " --month 2009-05 --out " +
                      dir.File("report-sqlite"));
  auto b = RunCommand(bin + " report --db '" + clickhouse + "' --month 2009-05 --out " +
                      dir.File("report-ch"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto ra = RunCommand("cat " + dir.File("report-sqlite/report.json"));
  auto rb = RunCommand("cat " + dir.File("report-ch/report.json"));
  ASSERT_FALSE(ra.out.empty());
  EXPECT_TRUE(ra.out == rb.out) << "report.json: " << FirstDifference(ra.out, rb.out);

  // Each shard holds part of the data; the parts add up to SQLite's rows.
  std::vector<uint64_t> raw(2), days(2);
  for (int i = 0; i < 2; ++i) {
    raw[i] = ToCount(cluster->server(i).QueryOrError("SELECT count() FROM " + database + ".raw"));
    days[i] = ToCount(
        cluster->server(i).QueryOrError("SELECT count() FROM " + database + ".source_days"));
    EXPECT_GT(raw[i], 0u) << "shard " << i + 1 << " holds no raw records";
    EXPECT_GT(days[i], 0u) << "shard " << i + 1 << " holds no source-days";
  }
  // Whole sources go to one shard: no source on both.
  EXPECT_EQ(cluster->server(0).QueryOrError(
                "SELECT count() FROM (SELECT DISTINCT source FROM " + database +
                ".raw) WHERE source IN (SELECT source FROM remote('127.0.0.1:" +
                std::to_string(cluster->server(1).tcp_port()) + "', " + database + ", raw))"),
            "0\n");
  const uint64_t total_raw = raw[0] + raw[1];
  EXPECT_EQ(total_raw, ToCount(cluster->server(0).QueryOrError("SELECT count() FROM " + database +
                                                               ".raw_all")));
  auto sqlite_raw = RunCommand("sqlite3 " + sqlite + " 'SELECT sum(count) FROM raw_chunks'");
  ASSERT_EQ(sqlite_raw.exit_code, 0) << sqlite_raw.err;
  EXPECT_EQ(total_raw, ToCount(sqlite_raw.out));
}

}  // namespace
}  // namespace scanscope::testing
