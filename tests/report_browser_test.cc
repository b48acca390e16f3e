// The report in a real browser: headless Chromium (Debian's chromium, driven
// by playwright-core from tests/browser) loads index.html of a generated
// store, finds every chart 1-1 ... 4-4 (and each 2-N) with a non-empty
// drawing, checks that nothing is fetched from the network, and saves a
// full-page screenshot as a CI artifact: <build>/test-artifacts/report-index.png
// (one PNG per chart beside it in report-charts/).
//
// Skipped, with a message, only when Chromium, node or playwright-core is
// absent; scripts/setup.sh installs all three.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace scanscope::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ReportBrowserTest, EveryChartDrawnInChromium) {
  const char* env = std::getenv("CHROMIUM");
  const std::string chromium = env != nullptr ? env : "/usr/bin/chromium";
  const fs::path browser_dir = fs::path(SCANSCOPE_SOURCE_DIR) / "tests/browser";
  if (!fs::exists(chromium))
    GTEST_SKIP() << "no Chromium at " << chromium << " (scripts/setup.sh installs it)";
  if (RunCommand("command -v node").exit_code != 0)
    GTEST_SKIP() << "no node (scripts/setup.sh installs it)";
  if (!fs::exists(browser_dir / "node_modules/playwright-core")) {
    GTEST_SKIP() << "no playwright-core in " << browser_dir << " (scripts/setup.sh runs npm ci)";
  }

  TempDir dir;
  const std::string bin = SCANSCOPE_BINARY;
  const std::string db = dir.File("s.db");
  for (const char* month : {"2026-08", "2026-09", "2026-10"}) {
    std::string cap = dir.File(std::string("cap-") + month);
    CommandResult g = RunCommand(fmt::format(
        "{} generate --month {} --points 4 --packets 60000 --seed 5 --tz Asia/Tokyo --out {}", bin,
        month, cap));
    ASSERT_EQ(g.exit_code, 0) << g.err;
    for (int p = 1; p <= 4; ++p) {
      CommandResult i = RunCommand(fmt::format(
          "{} ingest --quiet --config {}/scanscope.toml --db {} --tz Asia/Tokyo --point "
          "point-{:02d} {}/point-{:02d}.pcap",
          bin, cap, db, p, cap, p));
      ASSERT_EQ(i.exit_code, 0) << i.err;
    }
  }
  const std::string out = dir.File("report");
  CommandResult r = RunCommand(
      fmt::format("{} report --db {} --month 2026-10 --tz Asia/Tokyo --out {}", bin, db, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The shipped IP-to-country data is CC BY 4.0 (NRO): the report must say so.
  const std::string json = ReadFile(out + "/report.json");
  EXPECT_NE(
      json.find("\"geo_attribution\": \"data: Number Resource Organization (NRO), CC BY 4.0\""),
      std::string::npos);
  EXPECT_NE(ReadFile(out + "/index.html").find("CC BY 4.0"), std::string::npos);
  EXPECT_NE(ReadFile(out + "/report.md").find("CC BY 4.0"), std::string::npos);

  const fs::path artifacts = fs::path(bin).parent_path() / "test-artifacts";
  fs::create_directories(artifacts);
  CommandResult b = RunCommand(fmt::format(
      "CHROMIUM={} node {} {} {} {} {}", chromium, (browser_dir / "check_report.js").string(), out,
      (artifacts / "report-index.png").string(), (artifacts / "report-charts").string(),
      (artifacts / "report-a4.pdf").string()));
  EXPECT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("chart 4-4"), std::string::npos) << b.out;
  EXPECT_TRUE(fs::exists(artifacts / "report-index.png"));
  std::cout << b.out;

  // The A4 print: every section after the first (which follows the title)
  // starts a page (the print stylesheet's page
  // breaks), read back from the PDF's text page by page (pdftotext, from
  // poppler-utils, which scripts/setup.sh installs).
  ASSERT_TRUE(fs::exists(artifacts / "report-a4.pdf"));
  CommandResult t =
      RunCommand(fmt::format("pdftotext -layout {} -", (artifacts / "report-a4.pdf").string()));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  std::vector<std::string> pages;
  for (size_t at = 0, ff; at <= t.out.size(); at = ff + 1) {
    ff = t.out.find('\f', at);
    if (ff == std::string::npos) ff = t.out.size();
    pages.push_back(t.out.substr(at, ff - at));
  }
  EXPECT_GE(pages.size(), 6u) << "an A4 print of a whole report is more than a few pages";
  for (const char* title : {"2. Peculiar Access", "3. Status", "4. Statistical Information",
                            "5. Supplementary Descriptions"}) {
    int starts = 0;
    for (const std::string& page : pages) {
      const size_t first = page.find_first_not_of(" \n");
      if (first != std::string::npos && page.compare(first, std::strlen(title), title) == 0)
        ++starts;
    }
    EXPECT_EQ(starts, 1) << "section \"" << title << "\" should open exactly one A4 page";
  }
}

}  // namespace
}  // namespace scanscope::testing
