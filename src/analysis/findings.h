#pragma once
// Peculiar access (docs/design.md, the reference's section 2): what changed this
// month, found from the daily series of every port type against its own
// robust baseline over the weeks before the month. Four kinds:
//   surge          daily accesses or sources well above the baseline, one day or several
//   new            absent or negligible before the month, substantial in it
//   concentration  the excess comes mostly from one source (or one point)
//   fall           a port that was large and fell away for several days
// The method, its thresholds and its references are in docs/findings.md; its
// measured precision and recall come from `./run bench-detect`.
//
// In parts: DetectFindings (findings.cc) works on in-memory series only
// (FindingInput), so the evaluation harness can feed it synthetic months
// quickly; the store adapters (findings_evidence.cc: BuildFindingInput,
// GatherEvidence, AddEvidence) read those series, and the evidence of each
// finding, from a Store; FigureFinding and FindingsToJson
// (findings_figures.cc) give a finding's figures without words; the English
// paragraphs and text are in findings_english.h, the only place with words.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "record/port_type.h"
#include "store/store.h"

namespace scanscope {

// One port type's figures on one day, summed over the points.
struct DayCell {
  uint64_t accesses = 0;
  uint64_t sources = 0;              // gross sources (source, point) of the day
  uint64_t top_source_accesses = 0;  // the largest single source-day row (one point)
  uint64_t top_source_id = 0;        // a hash of that row's source (0: none)
  uint64_t top_point_accesses = 0;   // accesses at the busiest point of the day
};

// days[i] is day (month.first_day - history_days + i); the series covers the
// history days and the month's days. top_source_accesses is needed for the
// month's days only.
struct PortSeries {
  PortType port;
  std::vector<DayCell> days;
  // Each of FindingInput::coverage's points' share of this port's accesses
  // over the history days that point was observed (same order). Empty: the
  // input's point_shares (all ports) stand in.
  std::vector<double> point_shares;
};

// One point's coverage as the detector sees it (docs/findings.md,
// "Coverage"): whether the point was observed (CoverageDays::Observed) on
// each day of the series, history days then the month's days.
struct PointObserved {
  std::string point;
  std::vector<bool> observed;
};

// A point blind (not observed) on the month's days [from_day, to_day].
struct CoverageNotice {
  std::string point;
  int32_t from_day = 0;
  int32_t to_day = 0;
  int days() const { return to_day - from_day + 1; }
};

struct FindingInput {
  Month month;
  int history_days = 0;  // days before the month in each series (0: no history)
  // Days of the history that the store has any data for. A port absent from
  // a history that holds no data at all is not "new": nothing was watched.
  int history_days_with_data = 0;
  // Per history day: whether the store has any data that day. Days without
  // data stay out of the baselines. Empty: every history day has data.
  std::vector<bool> history_has_data;
  int points = 0;               // points active in the month
  uint64_t month_accesses = 0;  // all port types, the month's days
  uint64_t month_sources = 0;   // gross sources, all port types, the month's days
  std::vector<PortSeries> ports;
  // The points with recorded coverage that were blind on some day of the
  // series. Empty: every point watched every day, and the findings are
  // what they were before coverage was known.
  std::vector<PointObserved> coverage;
  // Each coverage point's share of all ports' accesses (history days it
  // was observed; without history, the month's): what a port without
  // accesses of its own at those points is weighed with. Empty: equal shares.
  std::vector<double> point_shares;
};

// Every threshold and top-N of the detector, its evidence and its paragraphs.
// Sizes are fractions of the month's total accesses F (and gross sources
// F_S), so that they scale with the size of the system; docs/findings.md
// explains each. The defaults are what `./run bench-detect` measures.
struct FindingOptions {
  // The data and the baseline.
  int history_days = 56;      // BuildFindingInput reads this many days before the month
  int baseline_days = 28;     // the baseline window: the last days before the month with data
  int min_history_days = 14;  // fewer days with data: the baseline is the month's own median
  // A port still in a fall when the month starts: its newest days in the
  // window (recovery_recent_days) at or below fall_ratio x the median of the
  // rest. A run from the month's first day must then rise above the level
  // before the fall (the rest's recovery_quantile) to be a surge. Checked
  // when the window holds at least recovery_min_window days.
  int recovery_recent_days = 7;
  int recovery_min_window = 14;
  double recovery_quantile = 0.75;
  int run_gap_days = 1;  // flagged days form runs; a gap of up to this many days is bridged

  // surge: up days, runs of them, and what makes a run a finding.
  double z_day = 3.5;          // robust z of a day that counts toward a run
  double z_single = 6.0;       // a run of fewer than surge_min_days up days needs this much
  int surge_min_days = 2;      // up days that make a run persistent
  double cusum_k = 1.0;        // CUSUM slack (in sigmas) for slow rises
  double cusum_h = 8.0;        // CUSUM alarm level
  double day_floor = 0.0002;   // a day's excess must be >= this x F (and x F_S for sources)
  double ratio_floor = 0.5;    // ... and >= this x the baseline median (a 50% rise)
  double surge_floor = 0.002;  // a surge's total excess accesses >= this x F
  // Without history: a run from the month's first day or to its last that
  // spans at least 1/no_history_run_part of the month is a level shift that
  // cannot be judged (a fall in the other part of the month looks alike).
  int no_history_run_part = 3;

  // new: negligible before the month, substantial in it.
  double new_floor = 0.0007;      // a new port's month accesses >= this x F
  double new_history = 0.02;      // "negligible" before: history accesses <= this x month's
  double new_history_min = 5;     // ... or <= this many accesses, whichever is larger
  double new_period_share = 0.1;  // its period: the days with >= this share of its peak day

  // concentration: one source (or one point) made the rise.
  // One source made >= concentration_share of a run's excess accesses and
  // sent >= concentration_floor x F, or >= concentration_repeat_factor x
  // that when it was the day's largest source on concentration_repeat_days
  // days or more.
  double concentration_share = 0.5;
  double concentration_floor = 0.004;
  int concentration_repeat_days = 2;
  double concentration_repeat_factor = 0.5;
  // A hot day: its largest source >= concentration_top x the month's usual
  // largest (and >= day_floor x F), and the port rose by >=
  // concentration_lift x that source's excess over the usual largest.
  double concentration_top = 2;
  double concentration_lift = 0.5;
  // One point: the days' busiest points hold >= point_share of a run's
  // accesses, judged only with point_min_points points or more in the month.
  double point_share = 0.75;
  int point_min_points = 3;

  // fall: a large port well below its baseline for several days.
  double fall_level = 0.008;  // a port that may fall: baseline daily >= this x F / days
  double fall_ratio = 0.7;    // a day is down at <= this x the baseline median (and sources too)
  double fall_z = 2.0;        // ... and its sources this many sigmas below theirs
  int fall_days = 3;          // down days in a run
  double fall_mean = 0.55;    // ... whose mean is <= this x the baseline median

  // Coverage: a port's blind share of a day is the share of its accesses
  // carried by the points not observed that day. A history day with any
  // blind share stays out of the baseline; a month day with blind_share or
  // more is never a down day; below it, a fall is judged against the
  // baseline x (1 - blind share): what the watching points would have seen.
  // Rises are judged on every day: a blind point only takes accesses away.
  double blind_share = 0.5;

  // Evidence and paragraphs.
  int top_sources = 5;  // sources kept as each finding's evidence
  // A new port's paragraph names its main source when that source sent at
  // least this share of the period's accesses.
  double paragraph_source_share = 0.5;
  // A concentration's paragraph names one source when that source sent at
  // least this share of the excess accesses; else the point the accesses
  // concentrated on.
  double paragraph_one_source_share = 0.5;
};

enum class FindingKind { kSurge, kNew, kConcentration, kFall };
std::string_view FindingKindName(FindingKind kind);  // "surge", "new", ...

struct FindingSource {
  IpAddress source;
  uint64_t accesses = 0;
  int days = 0;
  std::vector<std::string> points;
  std::string country;  // ISO code, "" when no geo database
};

struct FindingPoint {
  std::string point;
  uint64_t accesses = 0;
};

struct Finding {
  FindingKind kind = FindingKind::kSurge;
  PortType port;
  int32_t first_day = 0;  // the period, local days
  int32_t last_day = 0;
  int32_t alarm_day = 0;  // the first day on which the data up to it already showed it
  // Magnitude: accesses (and sources) above the baseline over the period
  // (negative for a fall), the baseline's daily median, the peak day.
  int64_t excess_accesses = 0;
  int64_t excess_sources = 0;
  uint64_t period_accesses = 0;
  uint64_t period_sources = 0;
  double baseline_accesses = 0;  // median accesses per day before
  double baseline_sources = 0;
  int32_t peak_day = 0;
  uint64_t peak_accesses = 0;
  // Accesses of the period's main source (the one with the most accesses
  // as the day's largest source-day row) / period accesses.
  double top_source_share = 0;
  // Ranking: |excess accesses| as a percentage of an average day's total
  // accesses (all ports) of the month.
  double score = 0;
  // Evidence, filled by GatherEvidence (empty from DetectFindings alone),
  // and the English paragraph, written by AddEvidence.
  std::vector<FindingSource> top_sources;
  std::vector<FindingPoint> points;
  std::vector<uint64_t> daily_accesses;  // the month's days, for the chart
  std::string paragraph;
};

// Finds the month's peculiar accesses in `input`, ranked by score
// (descending). Deterministic; no I/O. (findings.cc)
std::vector<Finding> DetectFindings(const FindingInput& input, const FindingOptions& options = {});

// The runs of the month's days on which each coverage point was blind, by
// point then day: what `findings` lists instead of findings it cannot judge.
std::vector<CoverageNotice> CoverageNotices(const FindingInput& input);

// The store adapters (findings_evidence.cc).
//
// Reads the series of `month` and of options.history_days days before it
// from the store's block totals in `zone` (which it ensures), the month's
// largest source-day rows, and the points' coverage (LoadCoverageDays).
Result<FindingInput> BuildFindingInput(Store& store, const Month& month, const TimeZone& zone,
                                       const FindingOptions& options = {});

// Optional knowledge for the evidence and the paragraphs: the country of a
// source ("" if unknown), a country's name, and a port's description ("" if none).
struct FindingKnowledge {
  std::function<std::string(const IpAddress&)> country_code;
  std::function<std::string(const std::string& code)> country_name;
  std::function<std::string(PortType)> port_description;
};

// Fills top sources (up to options.top_sources, with their countries),
// points and the daily chart of each finding from the store's rows. No words:
// what a report in any language, or the console, shows beside a finding.
Status GatherEvidence(Store& store, const TimeZone& zone, const Month& month,
                      const FindingKnowledge& knowledge, std::vector<Finding>* findings,
                      const FindingOptions& options = {});

// GatherEvidence, then each finding's English paragraph (findings_english.h).
Status AddEvidence(Store& store, const TimeZone& zone, const Month& month,
                   const FindingKnowledge& knowledge, std::vector<Finding>* findings,
                   const FindingOptions& options = {});

// The figures a finding's paragraph states, in any language
// (findings_figures.cc): worked out once from the finding, its evidence and
// the options, so that the English paragraphs and any other wording (another
// language, the console) say the same thing. Shares of counts are printed
// with common's FormatRatio from the counts they come from.

// Where a period lies in its month ("in the early part of May"): within one
// third of the month, else within one half, else the whole month.
enum class MonthPart { kEarly, kMiddle, kLatter, kFirstHalf, kSecondHalf, kWhole };
MonthPart MonthPartOf(int32_t first_day, int32_t last_day, const Month& month);

struct FindingFigures {
  MonthPart part = MonthPart::kWhole;
  int days = 0;                 // days in the period
  uint64_t usual_accesses = 0;  // the baseline's accesses a day, rounded
  // Accesses above the baseline over the period (surge, new, concentration)
  // or below it (fall); 0 when the finding went the other way.
  uint64_t excess_accesses = 0;
  // surge: the period's accesses / (baseline x days); 0 without a baseline.
  double times_usual = 0;
  // fall: the period's accesses a day, rounded, and how much lower than the
  // baseline that is, as a fraction (0.55: 55% less); 0 without a baseline.
  uint64_t accesses_a_day = 0;
  double drop = 0;
  // new, concentration: the one source the paragraph names (top_sources[0]),
  // when it made enough of the period (new) or of the excess (concentration).
  bool names_source = false;
  // concentration without one source: the point the accesses concentrated
  // on (points[0]; "" when there is no evidence) and its accesses.
  std::string point;
  uint64_t point_accesses = 0;
};

FindingFigures FigureFinding(const Finding& finding, const Month& month,
                             const FindingOptions& options = {});

// `findings --json`: {month, timezone, findings: [...], coverage_notices:
// [{point, from_day, to_day, days}]} (findings_figures.cc; the paragraph
// and, for a month without findings, the summary are English).
nlohmann::ordered_json FindingsToJson(const std::vector<Finding>& findings, const Month& month,
                                      const std::string& zone,
                                      const std::vector<CoverageNotice>& notices = {});

}  // namespace scanscope
