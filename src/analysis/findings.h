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
// Two halves: DetectFindings works on in-memory series only (FindingInput),
// so the evaluation harness can feed it synthetic months quickly; the store
// adapters (BuildFindingInput, AddEvidence) read those series, and the
// evidence of each finding, from a Store.

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
};

// The thresholds, as fractions of the month's total accesses F (and gross
// sources F_S), so they scale with the size of the system; docs/findings.md
// explains each. The defaults are what `./run bench-detect` measures.
struct FindingOptions {
  int baseline_days = 28;              // the baseline window: the last days before the month
  int min_history_days = 14;           // fewer: the baseline is the month's own median
  double z_day = 3.5;                  // robust z of a day that counts toward a run
  double z_single = 6.0;               // a run of one day needs this much
  double cusum_k = 1.0;                // CUSUM slack (in sigmas) for slow rises
  double cusum_h = 8.0;                // CUSUM alarm level
  double day_floor = 0.0002;           // a day's excess must be >= this x F (and x F_S for sources)
  double ratio_floor = 0.5;            // ... and >= this x the baseline median (a 50% rise)
  double surge_floor = 0.002;          // a surge's total excess accesses >= this x F
  double new_floor = 0.0007;           // a new port's month accesses >= this x F
  double new_history = 0.02;           // "negligible" before: history accesses <= this x month's
  double concentration_share = 0.5;    // one source >= this share of the run's accesses
  double concentration_floor = 0.004;  // ... and >= this x F (half that when it is the
                                       // day's largest source on 2 days or more)
  double concentration_top = 2;        // a day's largest source >= this x the month's usual largest
  double point_share = 0.75;           // one point >= this share of a surge's excess: concentration
  double fall_level = 0.008;           // a port that may fall: baseline daily >= this x F / days
  double fall_ratio = 0.7;             // a day is down at <= this x the baseline median
  double fall_z = 2.0;                 // ... and this many sigmas below it
  int fall_days = 3;                   // down days in a run
  double fall_mean = 0.55;             // ... whose mean is <= this x the baseline median
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
  // Accesses of the period's main source (the one most often the day's
  // largest source-day row) / period accesses.
  double top_source_share = 0;
  // Ranking: |excess accesses| as a percentage of an average day's total
  // accesses (all ports) of the month.
  double score = 0;
  // Evidence, filled by AddEvidence (empty from DetectFindings alone).
  std::vector<FindingSource> top_sources;
  std::vector<FindingPoint> points;
  std::vector<uint64_t> daily_accesses;  // the month's days, for the chart
  std::string paragraph;
};

// Finds the month's peculiar accesses in `input`, ranked by score
// (descending). Deterministic; no I/O.
std::vector<Finding> DetectFindings(const FindingInput& input, const FindingOptions& options = {});

// Reads the series of `month` and of `history_days` days before it from the
// store's block totals in `zone` (which it ensures), and the month's largest
// source-day rows.
Result<FindingInput> BuildFindingInput(Store& store, const Month& month, const TimeZone& zone,
                                       int history_days = 56);

// Optional knowledge for the evidence and the paragraphs: the country of a
// source ("" if unknown) and a port's description ("" if none).
struct FindingKnowledge {
  std::function<std::string(const IpAddress&)> country_code;
  std::function<std::string(const std::string& code)> country_name;
  std::function<std::string(PortType)> port_description;
};

// Fills top sources (up to `top`), points and the daily chart of each
// finding from the store's rows, then writes its paragraph.
Status AddEvidence(Store& store, const TimeZone& zone, const Month& month,
                   const FindingKnowledge& knowledge, std::vector<Finding>* findings, int top = 5);

// The paragraph in the reference's tone ("Access to the port 2967/tcp
// tended to increase in the early part of May...").
std::string FindingParagraph(const Finding& finding, const Month& month,
                             const FindingKnowledge& knowledge);

// `findings --json`: {month, timezone, findings: [...]} and the text form.
nlohmann::ordered_json FindingsToJson(const std::vector<Finding>& findings, const Month& month,
                                      const std::string& zone);
std::string FindingsToText(const std::vector<Finding>& findings, const Month& month,
                           const std::string& zone);

}  // namespace scanscope
