#include "analysis/baselines.h"

#include <algorithm>
#include <cmath>

namespace scanscope {

namespace {

constexpr int kLongWindow = 30;
constexpr int kRecentWindow = 3;

double Mean(const PortSeries& s, int from, int to, bool sources) {  // [from, to), clipped
  from = std::max(from, 0);
  to = std::min(to, static_cast<int>(s.days.size()));
  if (to <= from) return 0;
  double sum = 0;
  for (int i = from; i < to; ++i) {
    const DayCell& c = s.days[static_cast<size_t>(i)];
    sum += static_cast<double>(sources ? c.sources : c.accesses);
  }
  return sum / (to - from);
}

bool SilentBefore(const PortSeries& s, int history_days) {
  for (int i = std::max(0, history_days - kLongWindow); i < history_days; ++i) {
    if (s.days[static_cast<size_t>(i)].accesses > 0) return false;
  }
  return history_days > 0;
}

// Runs of flagged days (gap of one bridged) into alarms.
void AddRuns(const FindingInput& input, const PortSeries& series, const std::vector<int>& flag,
             const std::vector<double>& score, std::vector<BaselineAlarm>* out) {
  const int m = input.month.days;
  const bool silent = SilentBefore(series, input.history_days);
  int d = 0;
  while (d < m) {
    int direction = flag[static_cast<size_t>(d)];
    if (direction == 0) {
      ++d;
      continue;
    }
    BaselineAlarm a;
    a.port = series.port;
    a.kind =
        direction < 0 ? FindingKind::kFall : (silent ? FindingKind::kNew : FindingKind::kSurge);
    a.first_day = a.last_day = a.alarm_day = input.month.first_day + d;
    a.score = score[static_cast<size_t>(d)];
    int last = d;
    int e = d + 1;
    while (e < m && e - last <= 2) {
      if (flag[static_cast<size_t>(e)] == direction) {
        last = e;
        a.score = std::max(a.score, std::fabs(score[static_cast<size_t>(e)]));
      }
      ++e;
    }
    a.last_day = input.month.first_day + last;
    out->push_back(a);
    d = last + 1;
  }
}

}  // namespace

double DShieldTrendScore(double sources, double targets, double mean_sources, double mean_targets) {
  double s = std::max(mean_sources, 1.0), t = std::max(mean_targets, 1.0);
  return std::sqrt((sources - s) * (sources - s) / s + (targets - t) * (targets - t) / t);
}

double GreyNoiseTrend(double recent_mean, double long_term_mean) {
  double l = std::max(long_term_mean, 1.0);
  return (recent_mean - l) / l;
}

std::vector<double> DShieldScores(const PortSeries& series, int history_days, int month_days) {
  std::vector<double> out(static_cast<size_t>(month_days), 0);
  if (static_cast<int>(series.days.size()) != history_days + month_days) return out;
  for (int d = 0; d < month_days; ++d) {
    int i = history_days + d;
    const DayCell& c = series.days[static_cast<size_t>(i)];
    double s = Mean(series, i - kLongWindow, i, true);
    double t = Mean(series, i - kLongWindow, i, false);
    out[static_cast<size_t>(d)] =
        DShieldTrendScore(static_cast<double>(c.sources), static_cast<double>(c.accesses), s, t);
  }
  return out;
}

std::vector<double> GreyNoiseScores(const PortSeries& series, int history_days, int month_days) {
  std::vector<double> out(static_cast<size_t>(month_days), 0);
  if (static_cast<int>(series.days.size()) != history_days + month_days) return out;
  for (int d = 0; d < month_days; ++d) {
    int i = history_days + d;
    double recent = Mean(series, i - kRecentWindow + 1, i + 1, false);
    double long_term =
        Mean(series, i - kRecentWindow + 1 - kLongWindow, i - kRecentWindow + 1, false);
    out[static_cast<size_t>(d)] = GreyNoiseTrend(recent, long_term);
  }
  return out;
}

std::vector<BaselineAlarm> DShieldAlarms(const FindingInput& input, double threshold,
                                         double min_change) {
  std::vector<BaselineAlarm> out;
  const int h = input.history_days, m = input.month.days;
  for (const PortSeries& series : input.ports) {
    if (static_cast<int>(series.days.size()) != h + m) continue;
    std::vector<double> score = DShieldScores(series, h, m);
    std::vector<int> flag(static_cast<size_t>(m), 0);
    for (int d = 0; d < m; ++d) {
      if (score[static_cast<size_t>(d)] < threshold) continue;
      int i = h + d;
      double t = Mean(series, i - kLongWindow, i, false);
      double a = static_cast<double>(series.days[static_cast<size_t>(i)].accesses);
      if (std::fabs(a - t) < min_change) continue;
      flag[static_cast<size_t>(d)] = a < t ? -1 : 1;
    }
    AddRuns(input, series, flag, score, &out);
  }
  return out;
}

std::vector<BaselineAlarm> GreyNoiseAlarms(const FindingInput& input, double up_threshold,
                                           double down_threshold, double min_change) {
  std::vector<BaselineAlarm> out;
  const int h = input.history_days, m = input.month.days;
  for (const PortSeries& series : input.ports) {
    if (static_cast<int>(series.days.size()) != h + m) continue;
    std::vector<double> score = GreyNoiseScores(series, h, m);
    std::vector<int> flag(static_cast<size_t>(m), 0);
    for (int d = 0; d < m; ++d) {
      double x = score[static_cast<size_t>(d)];
      int i = h + d;
      double recent = Mean(series, i - kRecentWindow + 1, i + 1, false);
      double long_term =
          Mean(series, i - kRecentWindow + 1 - kLongWindow, i - kRecentWindow + 1, false);
      if (std::fabs(recent - long_term) < min_change) continue;
      flag[static_cast<size_t>(d)] = x >= up_threshold ? 1 : (x <= -down_threshold ? -1 : 0);
    }
    AddRuns(input, series, flag, score, &out);
  }
  return out;
}

}  // namespace scanscope
