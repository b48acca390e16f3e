#pragma once
// The two published baselines that `./run bench-detect` compares the
// findings detector with, on the same series (FindingInput):
//
// - DShield's port trend score (SANS Internet Storm Center, "port report"
//   trend column): sqrt((S - s)^2 / s + (T - t)^2 / t), S and T a port's
//   sources and targets today, s and t their daily means over the previous
//   30 days. The store keeps no destination per source-day, so T is the
//   port's accesses of the day (DShield's "reports"), t their 30-day mean.
// - GreyNoise-style trending: (recent mean - long-term mean) / long-term
//   mean, here over a port's daily accesses, recent = the last 3 days,
//   long-term = the 30 days before them.
// Means are floored at 1 so that a port never seen before gives a large but
// finite score. Neither baseline has a published alarm threshold; the
// harness calibrates one on quiet months (docs/findings.md).

#include <vector>

#include "analysis/findings.h"

namespace scanscope {

double DShieldTrendScore(double sources, double targets, double mean_sources, double mean_targets);
double GreyNoiseTrend(double recent_mean, double long_term_mean);

// Per day of the month: the baseline's score of `series` on that day.
// `history_days` and `month_days` as in FindingInput.
std::vector<double> DShieldScores(const PortSeries& series, int history_days, int month_days);
std::vector<double> GreyNoiseScores(const PortSeries& series, int history_days, int month_days);

// A baseline's alarm: a run of days whose score passed the threshold
// (gaps of one day bridged), with the kind it implies: "new" when the port
// had no accesses in the 30 days before the month, "fall" when the day is
// below the means, else "surge" (the baselines cannot tell a concentration).
struct BaselineAlarm {
  PortType port;
  FindingKind kind = FindingKind::kSurge;
  int32_t first_day = 0;
  int32_t last_day = 0;
  int32_t alarm_day = 0;
  double score = 0;  // the largest score in the run
};

// `min_change`: a day alarms only when its accesses differ from the 30-day
// mean by at least this many (0: the baseline as published).
std::vector<BaselineAlarm> DShieldAlarms(const FindingInput& input, double threshold,
                                         double min_change = 0);
// Up alarms at trend >= up_threshold, fall alarms at trend <= -down_threshold.
std::vector<BaselineAlarm> GreyNoiseAlarms(const FindingInput& input, double up_threshold,
                                           double down_threshold, double min_change = 0);

}  // namespace scanscope
