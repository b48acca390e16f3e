#pragma once
// Test support for the backend parity tests: generate months with
// `scanscope generate`, ingest the same files into two stores, and collect
// every output of `stats`, `points`, `findings` and `report` for a month, so
// a test can require them byte-identical. `binary` is the scanscope binary.

#include <map>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace scanscope::testing {

// Generated captures of several months: `dir`/capture-YYYY-MM/point-NN.pcap
// and scanscope.toml each.
struct GeneratedMonths {
  std::string dir;
  std::vector<std::string> months;  // "YYYY-MM", oldest first
  int points = 0;
};

// Runs `scanscope generate` for every month (seed + index). "" on success,
// else what failed.
std::string GenerateMonths(const std::string& binary, const std::string& dir,
                           const std::vector<std::string>& months, int points,
                           uint64_t packets_per_month, uint64_t seed, GeneratedMonths* out);

// Ingests every point file of every month into `db` (one `scanscope ingest`
// per point and month). "" on success, else what failed.
std::string IngestAll(const std::string& binary, const GeneratedMonths& months,
                      const std::string& db);

// Every output for `month` on `db`, by name: "stats.json", "stats.txt",
// "stats-tokyo.json", "stats-tokyo.txt", "points.txt", "points.json",
// "findings.json", "findings.txt", and each file of `report --out` as
// "report/<relative path>". Report files go to `report_dir`. A command that
// fails gives its name with "!exit" and its stderr. Lines of index.html that
// name the store (hold `db`) are removed, and the count of removed lines is
// in "report/index.html:store-lines".
std::map<std::string, std::string> CollectOutputs(const std::string& binary, const std::string& db,
                                                  const std::string& month,
                                                  const std::string& report_dir);

// The first difference of two texts, "line N:\n  a: ...\n  b: ...", or "".
std::string FirstDifference(const std::string& a, const std::string& b);

}  // namespace scanscope::testing
