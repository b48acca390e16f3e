// The ClickHouse test harness itself (tests/support/clickhouse_server.h): a
// server starts on loopback and answers SQL over HTTP; two servers form the
// two-shard cluster, and a query over it reaches both; when the objects go,
// no server process and no temp dir is left.

#include "support/clickhouse_server.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>

namespace scanscope::testing {
namespace {

// True when no process `pid` exists any more (it was reaped).
bool Gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

TEST(ClickHouseServerTest, StartsAnswersAndStopsCleanly) {
  pid_t pid = -1;
  std::string dir;
  {
    std::string error;
    const auto started = std::chrono::steady_clock::now();
    auto server = ClickHouseServer::Start(&error);
    ASSERT_NE(server, nullptr) << error;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    RecordProperty("start_seconds", std::to_string(seconds));
    pid = server->pid();
    dir = server->dir();
    EXPECT_GT(pid, 0);
    EXPECT_EQ(server->QueryOrError("SELECT 1"), "1\n");
    EXPECT_EQ(server->QueryOrError("SELECT version()"), "18.16.1\n");
    EXPECT_EQ(server->Url("ss"),
              "clickhouse://127.0.0.1:" + std::to_string(server->http_port()) + "/ss");
    // Data lands in the temp dir, not in /var/lib/clickhouse.
    EXPECT_EQ(server->QueryOrError("CREATE DATABASE harness_db"), "");
    EXPECT_TRUE(std::filesystem::exists(server->dir() + "/data/metadata/harness_db"));
    // A wrong query reports the server's message.
    std::string out, message;
    EXPECT_FALSE(server->Query("SELECT no_such_column", &out, &message));
    EXPECT_NE(message.find("no_such_column"), std::string::npos) << message;
  }
  EXPECT_TRUE(Gone(pid));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(ClickHouseServerTest, TwoShardsAnswerTogether) {
  std::vector<pid_t> pids;
  std::vector<std::string> dirs;
  {
    std::string error;
    auto cluster = ClickHouseCluster::StartTwoShards(&error);
    ASSERT_NE(cluster, nullptr) << error;
    ASSERT_EQ(cluster->size(), 2);
    for (int i = 0; i < 2; ++i) {
      pids.push_back(cluster->server(i).pid());
      dirs.push_back(cluster->server(i).dir());
    }
    EXPECT_NE(cluster->server(0).http_port(), cluster->server(1).http_port());
    EXPECT_EQ(cluster->Url("ss"),
              cluster->server(0).Url("ss") + "?cluster=scanscope_two_shards&nodes=127.0.0.1:" +
                  std::to_string(cluster->server(0).http_port()) +
                  ",127.0.0.1:" + std::to_string(cluster->server(1).http_port()));
    // Both servers know the cluster, each shard one replica on its tcp port.
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(cluster->server(i).QueryOrError(
                    "SELECT shard_num, replica_num, host_address, port FROM system.clusters "
                    "WHERE cluster = 'scanscope_two_shards' ORDER BY shard_num"),
                "1\t1\t127.0.0.1\t" + std::to_string(cluster->server(0).tcp_port()) + "\n" +
                    "2\t1\t127.0.0.1\t" + std::to_string(cluster->server(1).tcp_port()) + "\n");
    }
    // Rows written to each shard directly: 3 on shard 1, 5 on shard 2.
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(cluster->server(i).QueryOrError(
                    "CREATE TABLE default.t (n UInt32) ENGINE = MergeTree ORDER BY n"),
                "");
      ASSERT_EQ(cluster->server(i).QueryOrError("INSERT INTO default.t SELECT number FROM "
                                                "system.numbers LIMIT " +
                                                std::to_string(i == 0 ? 3 : 5)),
                "");
    }
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(cluster->server(i).QueryOrError(
                    "SELECT count() FROM cluster('scanscope_two_shards', system.one)"),
                "2\n");
      EXPECT_EQ(cluster->server(i).QueryOrError(
                    "SELECT count(), sum(n) FROM cluster('scanscope_two_shards', default, t)"),
                "8\t13\n");
      EXPECT_EQ(cluster->server(i).QueryOrError("SELECT count() FROM remote('127.0.0.1:" +
                                                std::to_string(cluster->server(1 - i).tcp_port()) +
                                                "', default, t)"),
                i == 0 ? "5\n" : "3\n");
    }
    // A Distributed table over the two spreads inserts by its sharding key.
    ASSERT_EQ(cluster->server(0).QueryOrError("CREATE TABLE default.d (n UInt32) ENGINE = "
                                              "Distributed(scanscope_two_shards, default, t, n)"),
              "");
    // insert_distributed_sync: the insert returns once both shards hold their rows.
    HttpResult insert =
        HttpRequest(cluster->server(0).http_port(), "POST", "/?insert_distributed_sync=1",
                    "INSERT INTO default.d SELECT number + 100 FROM "
                    "system.numbers LIMIT 10");
    ASSERT_EQ(insert.status, 200) << insert.body;
    EXPECT_EQ(cluster->server(0).QueryOrError("SELECT count() FROM default.d"), "18\n");
    EXPECT_EQ(cluster->server(0).QueryOrError("SELECT count() FROM default.t WHERE n >= 100"),
              "5\n");
    EXPECT_EQ(cluster->server(1).QueryOrError("SELECT count() FROM default.t WHERE n >= 100"),
              "5\n");
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    EXPECT_TRUE(Gone(pids[i]));
    EXPECT_FALSE(std::filesystem::exists(dirs[i]));
  }
}

}  // namespace
}  // namespace scanscope::testing
