// Backend parity: six generated months of three points are
// ingested by the scanscope binary, the same files, into a SQLite file and
// into ClickHouse (a server of tests/support/clickhouse_server.h on
// loopback); every query behind `stats` (text and --json, the ingest zone and
// Asia/Tokyo, a zone built afterwards from the raw records), `points`,
// `findings` and `report` (every file it writes) must give byte-identical
// output on both. index.html may name the store on a line: such lines are left
// out of the comparison, and there may be at most one. Re-ingesting the same
// files changes nothing on either backend.

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "support/backend_parity.h"
#include "support/clickhouse_server.h"
#include "support/run_command.h"

namespace scanscope::testing {
namespace {

const std::vector<std::string> kMonths = {"2008-12", "2009-01", "2009-02",
                                          "2009-03", "2009-04", "2009-05"};

// Requires `a` and `b` to hold the same names with the same texts.
void ExpectSameOutputs(const std::map<std::string, std::string>& a,
                       const std::map<std::string, std::string>& b, const std::string& what) {
  for (const auto& [name, text] : a) {
    EXPECT_EQ(name.find("!exit"), std::string::npos) << what << ": " << name << " " << text;
    auto it = b.find(name);
    if (it == b.end()) {
      ADD_FAILURE() << what << ": " << name << " only on the first";
      continue;
    }
    EXPECT_TRUE(text == it->second)
        << what << ": " << name << " differs, " << FirstDifference(text, it->second);
  }
  for (const auto& [name, text] : b) {
    EXPECT_EQ(name.find("!exit"), std::string::npos) << what << ": " << name << " " << text;
    if (!a.contains(name)) ADD_FAILURE() << what << ": " << name << " only on the second";
  }
}

TEST(StoreParityTest, EveryOutputIdenticalOnSqliteAndClickHouse) {
  std::string error;
  auto server = ClickHouseServer::Start(&error);
  ASSERT_NE(server, nullptr) << error;
  TempDir dir;
  GeneratedMonths months;
  ASSERT_EQ(GenerateMonths(SCANSCOPE_BINARY, dir.path(), kMonths, 3, 25000, 41, &months), "");

  const std::string sqlite = dir.File("s.db");
  const std::string clickhouse = server->Url("parity_" + std::to_string(getpid()));
  ASSERT_EQ(IngestAll(SCANSCOPE_BINARY, months, sqlite), "");
  ASSERT_EQ(IngestAll(SCANSCOPE_BINARY, months, clickhouse), "");

  // The month with five months of history before it, and the one before it.
  std::map<std::string, std::map<std::string, std::string>> first_outputs;
  for (const std::string month : {"2009-05", "2009-04"}) {
    SCOPED_TRACE(month);
    auto a = CollectOutputs(SCANSCOPE_BINARY, sqlite, month, dir.File("report-sqlite-" + month));
    auto b = CollectOutputs(SCANSCOPE_BINARY, clickhouse, month, dir.File("report-ch-" + month));
    ExpectSameOutputs(a, b, "sqlite vs clickhouse " + month);
    // The outputs are real: the month has accesses, findings and charts.
    EXPECT_NE(a["stats.json"].find("\"accesses\""), std::string::npos) << a["stats.json"];
    EXPECT_NE(a["findings.json"].find("\"kind\""), std::string::npos) << a["findings.json"];
    EXPECT_NE(a["stats-tokyo.json"], a["stats.json"]);  // the zone shifts the days
    EXPECT_GE(a.size(), 20u);
    std::string names;
    for (const auto& [name, text] : a)
      names += " " + name + "(" + std::to_string(text.size()) + ")";
    RecordProperty("outputs_" + month, names);
    EXPECT_TRUE(a.contains("report/report.json"));
    EXPECT_TRUE(a.contains("report/report.md"));
    int csvs = 0;
    for (const auto& [name, text] : a)
      csvs += name.starts_with("report/charts/") && name.ends_with(".csv");
    EXPECT_GE(csvs, 3);
    EXPECT_LE(std::stoi(b["report/index.html:store-lines"]), 1);
    first_outputs["sqlite-" + month] = a;
    first_outputs["ch-" + month] = b;
  }
  // Every month's figures, not only the reported ones.
  for (const std::string& month : kMonths) {
    auto a = RunCommand(std::string(SCANSCOPE_BINARY) + " stats --json --db " + sqlite +
                        " --month " + month);
    auto b = RunCommand(std::string(SCANSCOPE_BINARY) + " stats --json --db '" + clickhouse +
                        "' --month " + month);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_TRUE(a.out == b.out) << month << ": " << FirstDifference(a.out, b.out);
  }

  // The same files again: a no-op on both.
  ASSERT_EQ(IngestAll(SCANSCOPE_BINARY, months, sqlite), "");
  ASSERT_EQ(IngestAll(SCANSCOPE_BINARY, months, clickhouse), "");
  for (const std::string month : {"2009-05"}) {
    auto a = CollectOutputs(SCANSCOPE_BINARY, sqlite, month, dir.File("report-sqlite-again"));
    auto b = CollectOutputs(SCANSCOPE_BINARY, clickhouse, month, dir.File("report-ch-again"));
    ExpectSameOutputs(first_outputs["sqlite-" + month], a, "sqlite before vs after re-ingest");
    ExpectSameOutputs(first_outputs["ch-" + month], b, "clickhouse before vs after re-ingest");
  }
}

}  // namespace
}  // namespace scanscope::testing
