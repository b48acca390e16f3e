// End to end: `scanscope generate` writes two consecutive months (April and
// May 2009) whose events.json is the ground truth of the peculiar events
// injected in each; both are ingested by the binary into one store, and
// `scanscope findings --json` for May must rank every injected May event
// among its top findings, of the same kind and port type, over an
// overlapping period, with the injected source on top where there is one.
// Seeds 5 and 11 between them inject all four kinds.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/run_command.h"

namespace scanscope::testing {
namespace {

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str());
}

void GenerateAndIngest(const TempDir& dir, const std::string& month, int seed) {
  const std::string out = dir.File("capture-" + month);
  auto gen =
      RunCommand(fmt::format("{} generate --month {} --points 10 --packets 200000 --seed {} "
                             "--out {}",
                             SCANSCOPE_BINARY, month, seed, out));
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  for (int p = 1; p <= 10; ++p) {
    std::string point = fmt::format("point-{:02d}", p);
    auto ing =
        RunCommand(fmt::format("{} ingest --quiet --config {}/scanscope.toml --db {} "
                               "--point {} {}/{}.pcap",
                               SCANSCOPE_BINARY, out, dir.File("s.db"), point, out, point));
    ASSERT_EQ(ing.exit_code, 0) << ing.err;
  }
}

void CheckSeed(int seed) {
  TempDir dir;
  GenerateAndIngest(dir, "2009-04", seed);
  GenerateAndIngest(dir, "2009-05", seed);
  auto run = RunCommand(fmt::format("{} findings --db {} --month 2009-05 --json", SCANSCOPE_BINARY,
                                    dir.File("s.db")));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json got = nlohmann::json::parse(run.out);
  nlohmann::json truth = ReadJson(dir.File("capture-2009-05/events.json"));
  ASSERT_FALSE(truth["events"].empty());
  const auto& findings = got["findings"];
  const size_t top = truth["events"].size() + 3;
  for (const auto& e : truth["events"]) {
    const std::string kind = e["kind"], port = e["port_type"];
    const std::string first = e["first_day"], last = e["last_day"];
    bool found = false;
    for (size_t i = 0; i < findings.size() && i < top; ++i) {
      const auto& f = findings[i];
      // Days as "YYYY-MM-DD" compare as strings.
      if (f["kind"] != kind || f["port_type"] != port) continue;
      if (f["first_day"].get<std::string>() > last || f["last_day"].get<std::string>() < first) {
        continue;
      }
      found = true;
      if (e.contains("source_addresses") && !e["source_addresses"].empty()) {
        ASSERT_FALSE(f["top_sources"].empty());
        EXPECT_EQ(f["top_sources"][0]["address"], e["source_addresses"][0]) << port;
        ASSERT_FALSE(f["points"].empty());
        EXPECT_EQ(f["points"][0]["point"], e["points"][0]) << port;
      }
      EXPECT_FALSE(f["paragraph"].get<std::string>().empty());
    }
    EXPECT_TRUE(found) << "seed " << seed << ": " << kind << " " << port << " " << first << ".."
                       << last << " not among the top " << top << " findings:\n"
                       << findings.dump(1).substr(0, 4000);
  }
}

TEST(FindingsEndToEnd, SurgeConcentrationFall) { CheckSeed(5); }
TEST(FindingsEndToEnd, SurgeNewConcentration) { CheckSeed(11); }

}  // namespace
}  // namespace scanscope::testing
