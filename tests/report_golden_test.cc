// Golden files (as Zeek's testing/btest/Baseline): the report model
// (report.json) and every chart's SVG of a fixed generated store, diffed
// against tests/data/golden/report/. Geo, port knowledge and the findings
// detector are left out (--geo-db none --ports none --no-findings) so the
// files depend only on the generator, the store and the report stage.
//
// After an intended change, rewrite the files and review the diff:
//   SCANSCOPE_UPDATE_GOLDEN=1 build/report_golden_test && git diff tests/data/golden

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace scanscope::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "" when equal, else the first differing line of each.
std::string FirstDifference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
    if (ea && eb) return "";
    if (ea != eb || la != lb) {
      return fmt::format("line {}:\n  golden: {}\n  now:    {}", line, ea ? "<end>" : la,
                         eb ? "<end>" : lb);
    }
  }
}

TEST(ReportGoldenTest, ModelAndChartsMatchGoldenFiles) {
  TempDir dir;
  const std::string bin = SCANSCOPE_BINARY;
  const std::string db = dir.File("s.db");
  for (const char* month : {"2026-08", "2026-09", "2026-10"}) {
    std::string cap = dir.File(std::string("cap-") + month);
    CommandResult g = RunCommand(
        fmt::format("{} generate --month {} --points 3 --packets 40000 --seed 3 --tz UTC --out {}",
                    bin, month, cap));
    ASSERT_EQ(g.exit_code, 0) << g.err;
    for (int p = 1; p <= 3; ++p) {
      CommandResult i = RunCommand(fmt::format(
          "{} ingest --quiet --config {}/scanscope.toml --db {} --tz UTC --point point-{:02d} "
          "{}/point-{:02d}.pcap",
          bin, cap, db, p, cap, p));
      ASSERT_EQ(i.exit_code, 0) << i.err;
    }
  }
  const std::string out = dir.File("report");
  CommandResult r =
      RunCommand(fmt::format("{} report --db {} --month 2026-10 --tz UTC --geo-db none --ports "
                             "none --no-findings --out {}",
                             bin, db, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const fs::path golden = fs::path(SCANSCOPE_SOURCE_DIR) / "tests/data/golden/report";
  std::vector<std::pair<fs::path, fs::path>> files = {
      {fs::path(out) / "report.json", golden / "report.json"}};
  for (const auto& e : fs::directory_iterator(fs::path(out) / "charts")) {
    if (e.path().extension() == ".svg") files.push_back({e.path(), golden / e.path().filename()});
  }
  ASSERT_GE(files.size(), 15u);  // report.json and 14 charts at least
  const char* update = std::getenv("SCANSCOPE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    fs::create_directories(golden);
    for (const auto& [now, want] : files)
      fs::copy_file(now, want, fs::copy_options::overwrite_existing);
    GTEST_SKIP() << "golden files rewritten in " << golden;
  }
  for (const auto& [now, want] : files) {
    ASSERT_TRUE(fs::exists(want)) << want << " missing (SCANSCOPE_UPDATE_GOLDEN=1 writes it)";
    std::string diff = FirstDifference(ReadText(want), ReadText(now));
    EXPECT_EQ(diff, "") << want.filename() << " differs from the golden file at " << diff;
  }
}

}  // namespace
}  // namespace scanscope::testing
