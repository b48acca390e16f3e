#pragma once
// The report's thresholds and sizes, each with its meaning. The figures
// (report_figures.h) apply them and the prose words them from these values,
// so a changed option changes the text with the numbers.

#include <cstdint>

namespace scanscope {

// What counts as a change of a port type between last month and this one:
// section 1's paragraph on Chart 1-2 and, without detector findings, section
// 2. Shares are fractions of a month's accesses (0.005 is 0.5 %).
struct ChangeRules {
  // New: no access last month (which has data), and now at least
  // `new_share` of the month's accesses and at least `new_accesses`.
  double new_share = 0.002;
  uint64_t new_accesses = 20;
  // Rise: a port of some weight (at least `weight_share` of this month) at
  // least `rise_factor` times last month, gaining at least `step_share` of
  // this month's accesses.
  double weight_share = 0.005;
  double rise_factor = 1.5;
  double step_share = 0.0025;
  // Fall: a port of some weight last month (at least `weight_share` of last
  // month) now at most `fall_factor` times what it was, losing at least
  // `step_share` of last month's accesses.
  double fall_factor = 0.67;
  // Of each kind (new, rise, fall) the report lists at most this many, the
  // largest changes in accesses first.
  int listed = 5;
};

struct ReportOptions {
  // Port types (areas) shown by name in charts, section 5 and the prose; the
  // rest is "Others".
  int top_ports = 10;
  int top_areas = 10;
  // Months of section 1's and section 4's trends, this month included (>= 1).
  int trend_months = 6;
  // Chart 1-1's sentence: a change of per point per day within this fraction
  // of last month's (either way) "stayed at almost the same level".
  double steady_band = 0.1;
  ChangeRules changes;
  // Section 2 from the findings detector (src/analysis/findings.h); false:
  // from `changes` only.
  bool detect_findings = true;
  // Section 2's subsections at most (findings, or new and rising ports).
  int max_peculiar = 6;
  // Rows of each finding's table of its largest sources.
  int finding_sources = 5;
};

}  // namespace scanscope
