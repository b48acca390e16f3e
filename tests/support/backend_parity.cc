#include "support/backend_parity.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace scanscope::testing {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quote(const std::string& text) { return "'" + text + "'"; }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  std::string line;
  while (std::getline(s, line)) lines.push_back(line);
  return lines;
}

}  // namespace

std::string GenerateMonths(const std::string& binary, const std::string& dir,
                           const std::vector<std::string>& months, int points,
                           uint64_t packets_per_month, uint64_t seed, GeneratedMonths* out) {
  out->dir = dir;
  out->months = months;
  out->points = points;
  for (size_t i = 0; i < months.size(); ++i) {
    const std::string target = dir + "/capture-" + months[i];
    auto gen =
        RunCommand(binary + " generate --month " + months[i] + " --points " +
                   std::to_string(points) + " --packets " + std::to_string(packets_per_month) +
                   " --seed " + std::to_string(seed + i) + " --out " + Quote(target));
    if (gen.exit_code != 0) return "generate " + months[i] + ": " + gen.err;
  }
  return "";
}

std::string IngestAll(const std::string& binary, const GeneratedMonths& months,
                      const std::string& db) {
  for (const std::string& month : months.months) {
    const std::string capture = months.dir + "/capture-" + month;
    for (int p = 1; p <= months.points; ++p) {
      char point[32];
      std::snprintf(point, sizeof point, "point-%02d", p % 100);
      auto ing = RunCommand(binary + " ingest --quiet --config " +
                            Quote(capture + "/scanscope.toml") + " --db " + Quote(db) +
                            " --point " + point + " " + Quote(capture + "/" + point + ".pcap"));
      if (ing.exit_code != 0)
        return "ingest " + month + " " + point + " into " + db + ": " + ing.err;
    }
  }
  return "";
}

std::map<std::string, std::string> CollectOutputs(const std::string& binary, const std::string& db,
                                                  const std::string& month,
                                                  const std::string& report_dir) {
  std::map<std::string, std::string> outputs;
  const std::string& bin = binary;
  const std::string at = " --db " + Quote(db) + " --month " + month;
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"stats.json", bin + " stats" + at + " --json"},
      {"stats.txt", bin + " stats" + at},
      {"stats-tokyo.json", bin + " stats" + at + " --tz Asia/Tokyo --json"},
      {"stats-tokyo.txt", bin + " stats" + at + " --tz Asia/Tokyo"},
      {"points.txt", bin + " points --db " + Quote(db)},
      {"points.json", bin + " points --json --db " + Quote(db)},
      {"findings.json", bin + " findings" + at + " --json"},
      {"findings.txt", bin + " findings" + at},
      {"report", bin + " report" + at + " --out " + Quote(report_dir)},
  };
  for (const auto& [name, command] : commands) {
    auto run = RunCommand(command);
    if (run.exit_code != 0) {
      outputs[name + "!exit"] = std::to_string(run.exit_code) + ": " + run.err;
      continue;
    }
    if (name != "report") outputs[name] = run.out;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(report_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string rel = fs::relative(it->path(), report_dir).string();
    std::string text = ReadText(it->path().string());
    if (rel == "index.html") {
      std::string kept;
      int removed = 0;
      for (const std::string& line : Lines(text)) {
        if (line.find(db) != std::string::npos) {
          ++removed;
          continue;
        }
        kept += line + "\n";
      }
      outputs["report/index.html:store-lines"] = std::to_string(removed);
      text = kept;
    }
    outputs["report/" + rel] = text;
  }
  return outputs;
}

std::string FirstDifference(const std::string& a, const std::string& b) {
  if (a == b) return "";
  const auto la = Lines(a), lb = Lines(b);
  for (size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
    const std::string x = i < la.size() ? la[i] : "<end>";
    const std::string y = i < lb.size() ? lb[i] : "<end>";
    if (x != y) {
      return "line " + std::to_string(i + 1) + ":\n  a: " + x.substr(0, 400) +
             "\n  b: " + y.substr(0, 400);
    }
  }
  return "differ only in the final newline";
}

}  // namespace scanscope::testing
