// `./run bench-detect`: how often the findings detector is right, against
// the two published baselines, on synthetic months with labelled events.
//
// Each month is built in memory as the detector's own input (FindingInput:
// per port type and day, accesses, gross sources, the largest single
// source-day row and the busiest point), from a model shaped like the
// generator's (docs/generate.md): 10 points of different weights, a weekday
// rhythm, day-to-day noise with spike days, the reference's port mix with
// slow drifts, a long tail of random ports, sessions of ~3 accesses, and
// heavy hitters (one source, up to about one average point-day of accesses
// on 445/tcp, 22/tcp, 1433/tcp, ICMP, 135/tcp, 3389/tcp). 56 days of history
// precede every month. Event months get 1-4 injected events of graded size
// and shape; quiet months none. docs/findings.md states the threshold of
// "what an analyst would call out" that the goals apply to.
//
// Usage: detect_bench [--months N] [--quiet N] [--seed N]

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/baselines.h"
#include "analysis/findings.h"

namespace scanscope {
namespace {

// xoshiro256** seeded by splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& x : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      x = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double UnitPositive() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }
  int Range(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return Unit() < p; }
  double LogUniform(double lo, double hi) { return lo * std::exp(Unit() * std::log(hi / lo)); }
  uint64_t Poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda > 40) {  // normal approximation
      double u1 = UnitPositive(), u2 = Unit();
      double n = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
      return static_cast<uint64_t>(std::max(0.0, std::round(lambda + n * std::sqrt(lambda))));
    }
    double l = std::exp(-lambda), p = 1;
    uint64_t k = 0;
    do {
      ++k;
      p *= Unit();
    } while (p > l);
    return k - 1;
  }
  // Accesses of one session: 1 + geometric, mean ~3.1.
  uint64_t SessionAccesses() {
    uint64_t n = 1;
    while (n < 200 && Chance(2.1 / 3.1)) ++n;
    return n;
  }

 private:
  std::array<uint64_t, 4> s_{};
};

bool g_verbose = false;
constexpr int kPoints = 10;
constexpr int kHistoryDays = 56;

struct PortShare {
  PortType port;
  double share;
};

std::vector<PortShare> BaseMix() {
  return {{PortType::Tcp(445), 0.38},   {PortType::Tcp(135), 0.11},   {PortType::Icmp(), 0.086},
          {PortType::Tcp(22), 0.072},   {PortType::Tcp(1433), 0.043}, {PortType::Tcp(139), 0.041},
          {PortType::Tcp(80), 0.03},    {PortType::Udp(1026), 0.025}, {PortType::Udp(1027), 0.02},
          {PortType::Tcp(3389), 0.015}, {PortType::Tcp(23), 0.012},   {PortType::Tcp(8080), 0.01},
          {PortType::Tcp(5900), 0.008}, {PortType::Tcp(3306), 0.006}, {PortType::Tcp(25), 0.005},
          {PortType::Udp(137), 0.005},  {PortType::Udp(1434), 0.004}, {PortType::Udp(5060), 0.004},
          {PortType::Udp(53), 0.003},   {PortType::Tcp(2967), 0.003}, {PortType::Tcp(4899), 0.002}};
}

enum class Shape { kBurst, kSlowRise, kWeekend, kOneDay };

struct Event {
  FindingKind kind;
  PortType port;
  int first = 0;  // month day index
  int last = 0;
  Shape shape = Shape::kBurst;
  double level = 0;  // accesses per point-day at the peak, as a fraction of U (surge, new, conc.)
  int point = 0;
  std::vector<int> points;  // surge
  int sources = 1;          // new: 1-3 sources
  double drop = 0;          // fall: share of sessions removed
  uint64_t source_id = 0;   // new, concentration: the source
  // Truth, measured on the built month.
  double added = 0;  // accesses added (removed, for a fall)
  double peak_added = 0;
  bool notable = false;
};

struct MonthCase {
  FindingInput input;
  std::vector<Event> events;
};

double SurgeProfile(const Event& e, int d) {
  if (d < e.first || d > e.last) return 0;
  double len = e.last - e.first + 1;
  switch (e.shape) {
    case Shape::kSlowRise:
      return (d - e.first + 1) / len;
    case Shape::kBurst: {
      double x = (d - e.first + 0.5) / len;
      double shape = x < 0.35 ? x / 0.35 : (1.0 - x) / 0.65;
      return 0.25 + 0.75 * shape;
    }
    case Shape::kWeekend:
    case Shape::kOneDay:
      return 1.0;
  }
  return 0;
}

// One month: background plus `event_count` events (0: a quiet month).
MonthCase BuildMonth(uint64_t seed, int event_count) {
  Rng rng(seed);
  MonthCase mc;
  Month month = *ParseMonth(fmt::format("{:04d}-{:02d}", 2009 + rng.Range(0, 5), rng.Range(1, 12)));
  const int m = month.days, span = kHistoryDays + m;
  const int32_t first_day = month.first_day - kHistoryDays;
  const double u = rng.LogUniform(150, 1500);  // accesses per point per day
  std::array<double, kPoints> weight{};
  for (double& w : weight) w = 0.55 + 1.3 * rng.Unit();
  double wsum = 0;
  for (double w : weight) wsum += w;
  for (double& w : weight) w *= kPoints / wsum;
  static constexpr std::array<double, 7> kWeekday = {1.03, 1.04, 1.03, 1.02, 0.99, 0.93, 0.96};

  std::vector<PortShare> mix = BaseMix();
  std::set<uint32_t> used;
  for (const auto& p : mix) used.insert(p.port.Code());
  // The random tail: 300 high ports sharing 5% of the traffic, Zipf-like.
  std::vector<double> tail_w;
  double tail_sum = 0;
  for (int i = 0; i < 300; ++i) {
    PortType port;
    do {
      port = rng.Chance(0.6) ? PortType::Tcp(static_cast<uint16_t>(rng.Range(1025, 65535)))
                             : PortType::Udp(static_cast<uint16_t>(rng.Range(1025, 65535)));
    } while (used.count(port.Code()));
    used.insert(port.Code());
    tail_w.push_back(1.0 / std::pow(i + 1.0, 0.8));
    tail_sum += tail_w.back();
    mix.push_back({port, 0});
  }
  for (size_t i = 0; i < tail_w.size(); ++i) mix[21 + i].share = 0.05 * tail_w[i] / tail_sum;
  const size_t n_ports = mix.size();
  // Slow drifts per port: +-12% with a period of 240-540 days.
  std::vector<double> phase(n_ports), period(n_ports);
  for (size_t i = 0; i < n_ports; ++i) {
    phase[i] = rng.Unit() * 2 * M_PI;
    period[i] = rng.Range(240, 540);
  }

  // Events.
  static const std::array<PortType, 7> kSurgePorts = {
      PortType::Tcp(2967), PortType::Tcp(5900), PortType::Tcp(8080), PortType::Tcp(4899),
      PortType::Udp(1434), PortType::Udp(5060), PortType::Tcp(3306)};
  static const std::array<PortType, 4> kConcPorts = {PortType::Tcp(22), PortType::Tcp(23),
                                                     PortType::Tcp(3389), PortType::Tcp(80)};
  static const std::array<PortType, 5> kFallPorts = {PortType::Udp(1026), PortType::Udp(1027),
                                                     PortType::Tcp(135), PortType::Tcp(139),
                                                     PortType::Tcp(1433)};
  std::set<uint32_t> event_ports;
  for (int k = 0; k < event_count; ++k) {
    Event e;
    e.kind = static_cast<FindingKind>(rng.Range(0, 3));
    for (int tries = 0; tries < 20; ++tries) {
      switch (e.kind) {
        case FindingKind::kSurge:
          e.port = kSurgePorts[static_cast<size_t>(rng.Range(0, 6))];
          break;
        case FindingKind::kNew:
          e.port = rng.Chance(0.6) ? PortType::Tcp(static_cast<uint16_t>(rng.Range(1025, 65535)))
                                   : PortType::Udp(static_cast<uint16_t>(rng.Range(1025, 65535)));
          if (used.count(e.port.Code())) continue;
          break;
        case FindingKind::kConcentration:
          e.port = kConcPorts[static_cast<size_t>(rng.Range(0, 3))];
          break;
        case FindingKind::kFall:
          e.port = kFallPorts[static_cast<size_t>(rng.Range(0, 4))];
          break;
      }
      if (!event_ports.count(e.port.Code())) break;
    }
    if (event_ports.count(e.port.Code())) continue;
    event_ports.insert(e.port.Code());
    e.source_id = rng.Next() | 1;
    switch (e.kind) {
      case FindingKind::kSurge: {
        int r = rng.Range(0, 9);
        e.shape = r < 5   ? Shape::kBurst
                  : r < 7 ? Shape::kSlowRise
                  : r < 9 ? Shape::kWeekend
                          : Shape::kOneDay;
        if (e.shape == Shape::kBurst) {
          e.first = rng.Range(0, m - 6);
          e.last = std::min(m - 1, e.first + rng.Range(3, 12));
        } else if (e.shape == Shape::kSlowRise) {
          e.first = rng.Range(0, m - 10);
          e.last = std::min(m - 1, e.first + rng.Range(8, 16));
        } else if (e.shape == Shape::kWeekend) {
          int d = rng.Range(0, m - 2);
          while ((month.first_day + d + 3) % 7 != 5 && d < m - 2) ++d;  // a Saturday
          e.first = d;
          e.last = std::min(m - 1, d + 1);
        } else {
          e.first = e.last = rng.Range(0, m - 1);
        }
        e.level = rng.LogUniform(0.003, 0.2);
        int n = rng.Chance(0.6) ? kPoints : rng.Range(3, kPoints);
        std::vector<int> all(kPoints);
        for (int i = 0; i < kPoints; ++i) all[static_cast<size_t>(i)] = i;
        for (int i = 0; i < n; ++i) {
          std::swap(all[static_cast<size_t>(i)],
                    all[static_cast<size_t>(rng.Range(i, kPoints - 1))]);
          e.points.push_back(all[static_cast<size_t>(i)]);
        }
        break;
      }
      case FindingKind::kNew:
        e.first = rng.Range(0, m * 2 / 3);
        e.last = std::min(m - 1, e.first + rng.Range(0, 9));
        e.level = rng.LogUniform(0.01, 0.8);
        e.point = rng.Range(0, kPoints - 1);
        e.sources = rng.Chance(0.7) ? 1 : rng.Range(2, 3);
        break;
      case FindingKind::kConcentration:
        e.first = rng.Range(0, m - 1);
        e.last = std::min(m - 1, e.first + rng.Range(0, 2));
        e.level = rng.LogUniform(0.1, 3.0);
        e.point = rng.Range(0, kPoints - 1);
        break;
      case FindingKind::kFall:
        e.first = rng.Range(5, m - 6);
        e.last = rng.Chance(0.5) ? m - 1 : std::min(m - 1, e.first + rng.Range(4, 9));
        e.drop = 0.2 + 0.75 * rng.Unit();
        break;
    }
    mc.events.push_back(e);
  }
  for (const Event& e : mc.events) {
    if (e.kind == FindingKind::kNew) mix.push_back({e.port, 0});
  }

  // Build the series.
  std::vector<PortSeries> series(mix.size());
  for (size_t i = 0; i < mix.size(); ++i) {
    series[i].port = mix[i].port;
    series[i].days.resize(static_cast<size_t>(span));
  }
  std::map<uint32_t, size_t> index;
  for (size_t i = 0; i < mix.size(); ++i) index[mix[i].port.Code()] = i;
  std::vector<double> port_day_expected(static_cast<size_t>(span) * mix.size(), 0);
  static const std::array<std::pair<PortType, int>, 6> kHeavy = {{{PortType::Tcp(445), 40},
                                                                  {PortType::Tcp(22), 15},
                                                                  {PortType::Tcp(1433), 10},
                                                                  {PortType::Icmp(), 11},
                                                                  {PortType::Tcp(135), 12},
                                                                  {PortType::Tcp(3389), 12}}};
  for (int i = 0; i < span; ++i) {
    const int32_t day = first_day + i;
    const int md = i - kHistoryDays;  // month day index (negative in history)
    std::vector<uint64_t> point_acc(mix.size() * kPoints, 0);
    auto add = [&](size_t port, int point, uint64_t accesses, uint64_t sources, uint64_t top,
                   uint64_t id = 0) {
      DayCell& c = series[port].days[static_cast<size_t>(i)];
      c.accesses += accesses;
      c.sources += sources;
      if (top > c.top_source_accesses) {
        c.top_source_accesses = top;
        c.top_source_id = id ? id : (rng.Next() | 1);
      }
      point_acc[port * kPoints + static_cast<size_t>(point)] += accesses;
    };
    for (int p = 0; p < kPoints; ++p) {
      double noise = 0.85 + 0.3 * rng.Unit() + (rng.Chance(0.05) ? 0.25 : 0.0);
      double factor =
          weight[static_cast<size_t>(p)] * kWeekday[static_cast<size_t>((day + 3) % 7)] * noise;
      for (size_t k = 0; k < mix.size(); ++k) {
        if (mix[k].share == 0) continue;
        double share = mix[k].share * (1 + 0.12 * std::sin(2 * M_PI * day / period[k] + phase[k]));
        double expected = u * factor * share;
        port_day_expected[static_cast<size_t>(i) * mix.size() + k] += expected;
        double keep = 1;
        for (Event& e : mc.events) {
          if (e.kind == FindingKind::kFall && e.port == mix[k].port && md >= e.first &&
              md <= e.last) {
            keep = 1 - e.drop;
          }
        }
        uint64_t sessions = rng.Poisson(expected / 3.1);
        uint64_t acc = 0, src = 0, top = 0, lost = 0;
        for (uint64_t s = 0; s < sessions; ++s) {
          uint64_t a = rng.SessionAccesses();
          if (keep < 1 && !rng.Chance(keep)) {
            lost += a;
            continue;
          }
          acc += a;
          ++src;
          top = std::max(top, a);
        }
        for (Event& e : mc.events) {
          if (e.kind == FindingKind::kFall && e.port == mix[k].port)
            e.added -= static_cast<double>(lost);
        }
        if (acc) add(k, p, acc, src, top);
      }
      // Heavy hitters: one source, up to about one average point-day.
      uint64_t heavy = rng.Poisson(u * factor * 0.004 / 3.1);
      for (uint64_t h = 0; h < heavy; ++h) {
        int r = rng.Range(0, 99), which = 0, cum = 0;
        for (; which < 5; ++which) {
          cum += kHeavy[static_cast<size_t>(which)].second;
          if (r < cum) break;
        }
        auto a = static_cast<uint64_t>(u * (0.05 + std::min(1.0, 0.02 / rng.UnitPositive())));
        add(index[kHeavy[static_cast<size_t>(which)].first.Code()], p, a, 1, a);
      }
      // Events at this point-day.
      for (Event& e : mc.events) {
        if (md < e.first || md > e.last || e.kind == FindingKind::kFall) continue;
        size_t k = index[e.port.Code()];
        if (e.kind == FindingKind::kSurge) {
          if (std::find(e.points.begin(), e.points.end(), p) == e.points.end()) continue;
          double want = u * e.level * SurgeProfile(e, md) * weight[static_cast<size_t>(p)] *
                        (0.8 + 0.4 * rng.Unit());
          uint64_t sessions = rng.Poisson(want / 3.1);
          uint64_t acc = 0, top = 0;
          for (uint64_t s = 0; s < sessions; ++s) {
            uint64_t a = rng.SessionAccesses();
            acc += a;
            top = std::max(top, a);
          }
          add(k, p, acc, sessions, top);
          e.added += static_cast<double>(acc);
        } else {
          if (p != e.point) continue;
          auto want = static_cast<uint64_t>(u * e.level * (0.7 + 0.6 * rng.Unit()) + 1);
          int n = e.kind == FindingKind::kNew ? e.sources : 1;
          uint64_t top = (want + static_cast<uint64_t>(n) - 1) / static_cast<uint64_t>(n);
          add(k, p, want, static_cast<uint64_t>(n), top, e.source_id);
          e.added += static_cast<double>(want);
        }
      }
    }
    for (size_t k = 0; k < mix.size(); ++k) {
      uint64_t best = 0;
      for (int p = 0; p < kPoints; ++p)
        best = std::max(best, point_acc[k * kPoints + static_cast<size_t>(p)]);
      series[k].days[static_cast<size_t>(i)].top_point_accesses = best;
    }
  }
  FindingInput& in = mc.input;
  in.month = month;
  in.history_days = kHistoryDays;
  in.history_days_with_data = kHistoryDays;
  in.points = kPoints;
  for (auto& s : series) {
    uint64_t total = 0;
    for (const DayCell& c : s.days) total += c.accesses;
    for (int d = 0; d < m; ++d) {
      in.month_accesses += s.days[static_cast<size_t>(kHistoryDays + d)].accesses;
      in.month_sources += s.days[static_cast<size_t>(kHistoryDays + d)].sources;
    }
    if (total) in.ports.push_back(std::move(s));
  }

  // Ground truth: what an analyst would call out (docs/findings.md).
  const double f = static_cast<double>(in.month_accesses);
  for (Event& e : mc.events) {
    size_t k = index[e.port.Code()];
    double expected = 0, observed = 0;  // over the event's days, all points
    int days = e.last - e.first + 1;
    for (int d = e.first; d <= e.last; ++d) {
      expected += port_day_expected[static_cast<size_t>(kHistoryDays + d) * mix.size() + k];
    }
    for (const PortSeries& s : in.ports) {
      if (s.port == e.port) {
        for (int d = e.first; d <= e.last; ++d) {
          observed += static_cast<double>(s.days[static_cast<size_t>(kHistoryDays + d)].accesses);
        }
      }
    }
    switch (e.kind) {
      case FindingKind::kSurge:
        // Adds at least 0.3% of the month, and at least doubles the port on its days.
        e.notable = e.added >= 0.003 * f && e.added >= expected;
        break;
      case FindingKind::kNew:
        e.notable = e.added >= 0.001 * f;
        break;
      case FindingKind::kConcentration:
        // One source adding at least 0.5% of the month's accesses to a port
        // (0.25% when it came back on 2 days or more).
        e.notable = e.added >= (days >= 2 ? 0.0025 : 0.005) * f;
        (void)observed;
        break;
      case FindingKind::kFall:
        // A port of at least 1% of the traffic losing at least 60%, for 4 days or more.
        e.notable = mix[k].share >= 0.01 && e.drop >= 0.6 && days >= 4;
        break;
    }
  }
  return mc;
}

struct Detection {
  FindingKind kind;
  PortType port;
  int32_t first, last, alarm;
};

bool Compatible(FindingKind event, FindingKind found, bool strict) {
  if (strict) return event == found;
  if (event == FindingKind::kFall || found == FindingKind::kFall) return event == found;
  return true;  // a baseline cannot tell surge, new and concentration apart
}

struct Tally {
  std::array<int, 4> notable{}, recalled{}, small{}, small_recalled{};
  std::array<int, 4> tp{}, fp{};
  std::array<std::vector<int>, 4> delays;
  int quiet_months = 0, quiet_false = 0, quiet_max = 0;
};

void Score(const MonthCase& mc, const std::vector<Detection>& found, bool strict, Tally* t) {
  const int32_t first = mc.input.month.first_day;
  if (mc.events.empty()) {
    if (g_verbose && strict) {
      for (const Detection& x : found) {
        fmt::print("  quiet false {} {} {}..{}\n", FindingKindName(x.kind), x.port.ToString(),
                   FormatDay(x.first), FormatDay(x.last));
      }
    }
    ++t->quiet_months;
    t->quiet_false += static_cast<int>(found.size());
    t->quiet_max = std::max(t->quiet_max, static_cast<int>(found.size()));
    return;
  }
  auto overlaps = [&](const Event& e, const Detection& x) {
    return x.port == e.port && x.first <= first + e.last + 1 && x.last >= first + e.first - 1;
  };
  for (const Event& e : mc.events) {
    auto k = static_cast<size_t>(e.kind);
    int best = -1;
    for (const Detection& x : found) {
      if (overlaps(e, x) && Compatible(e.kind, x.kind, strict)) {
        int delay = std::max(0, x.alarm - (first + e.first));
        if (best < 0 || delay < best) best = delay;
      }
    }
    if (g_verbose && strict && e.notable && best < 0) {
      fmt::print("  missed {} {} days {}..{} level {:.3f} drop {:.2f} added {:.0f} of {}\n",
                 FindingKindName(e.kind), e.port.ToString(), e.first, e.last, e.level, e.drop,
                 e.added, mc.input.month_accesses);
    }
    if (e.notable) {
      ++t->notable[k];
      if (best >= 0) {
        ++t->recalled[k];
        t->delays[k].push_back(best);
      }
    } else {
      ++t->small[k];
      if (best >= 0) ++t->small_recalled[k];
    }
  }
  for (const Detection& x : found) {
    auto k = static_cast<size_t>(x.kind);
    bool hit = false, ignore = false;
    for (const Event& e : mc.events) {
      if (!overlaps(e, x)) continue;
      if (!e.notable) {
        ignore = true;
      } else if (Compatible(e.kind, x.kind, strict)) {
        hit = true;
      }
    }
    if (hit) {
      ++t->tp[k];
    } else if (!ignore) {
      ++t->fp[k];
      if (g_verbose && strict) {
        fmt::print("  false {} {} {}..{} (month {}, {} events)\n", FindingKindName(x.kind),
                   x.port.ToString(), FormatDay(x.first), FormatDay(x.last),
                   mc.input.month.ToString(), mc.events.size());
      }
    }
  }
}

std::vector<Detection> FromFindings(const std::vector<Finding>& v) {
  std::vector<Detection> out;
  for (const Finding& x : v) out.push_back({x.kind, x.port, x.first_day, x.last_day, x.alarm_day});
  return out;
}
std::vector<Detection> FromAlarms(const std::vector<BaselineAlarm>& v) {
  std::vector<Detection> out;
  for (const BaselineAlarm& x : v)
    out.push_back({x.kind, x.port, x.first_day, x.last_day, x.alarm_day});
  return out;
}

void Print(const std::string& name, const Tally& t, bool per_kind_precision) {
  fmt::print("\n{}\n", name);
  fmt::print("  {:<14} {:>8} {:>8} {:>10} {:>12} {:>12} {:>14}\n", "kind", "events", "recall",
             "precision", "delay mean", "delay p90", "recall (small)");
  int all_tp = 0, all_fp = 0;
  for (size_t k = 0; k < 4; ++k) {
    std::vector<int> d = t.delays[k];
    std::sort(d.begin(), d.end());
    double mean = 0;
    for (int x : d) mean += x;
    mean = d.empty() ? 0 : mean / static_cast<double>(d.size());
    int p90 = d.empty() ? 0 : d[std::min(d.size() - 1, d.size() * 9 / 10)];
    double recall = t.notable[k] ? static_cast<double>(t.recalled[k]) / t.notable[k] : 0;
    double small = t.small[k] ? static_cast<double>(t.small_recalled[k]) / t.small[k] : 0;
    std::string precision = "-";
    if (per_kind_precision && t.tp[k] + t.fp[k] > 0) {
      precision = fmt::format("{:.3f}", static_cast<double>(t.tp[k]) / (t.tp[k] + t.fp[k]));
    }
    all_tp += t.tp[k];
    all_fp += t.fp[k];
    fmt::print("  {:<14} {:>8} {:>8.3f} {:>10} {:>12.2f} {:>12} {:>9.3f} of {}\n",
               FindingKindName(static_cast<FindingKind>(k)), t.notable[k], recall, precision, mean,
               p90, small, t.small[k]);
  }
  fmt::print("  all kinds: precision {:.3f} ({} true, {} false findings in event months)\n",
             all_tp + all_fp ? static_cast<double>(all_tp) / (all_tp + all_fp) : 0.0, all_tp,
             all_fp);
  fmt::print("  quiet months: {:.2f} false findings per month (max {} in one month, {} months)\n",
             t.quiet_months ? static_cast<double>(t.quiet_false) / t.quiet_months : 0.0,
             t.quiet_max, t.quiet_months);
}

// The smallest threshold on the grid whose alarms per quiet month are <= 1.
template <typename AlarmsOf>
double Calibrate(const std::vector<MonthCase>& quiet, const std::vector<double>& grid,
                 AlarmsOf alarms_of) {
  for (double x : grid) {
    size_t n = 0;
    for (const MonthCase& mc : quiet) n += alarms_of(mc.input, x).size();
    if (static_cast<double>(n) <= static_cast<double>(quiet.size())) return x;
  }
  return grid.back();
}

int Main(int argc, char** argv) {
  int months = 300, quiet = 100, calibration = 40;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--months")) months = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--quiet")) quiet = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--verbose")) g_verbose = argv[i + 1][0] == '1';
    if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  fmt::print(
      "bench-detect: {} event months (1-4 events each), {} quiet months, {} quiet months "
      "to calibrate the baselines; 10 points, 56 days of history; seed {}\n",
      months, quiet, calibration, seed);
  std::vector<MonthCase> calib;
  for (int i = 0; i < calibration; ++i)
    calib.push_back(BuildMonth(seed * 1'000'003 + 900'000 + static_cast<uint64_t>(i), 0));
  std::vector<double> grid, down_grid;
  for (double x = 0.5; x < 1e7; x *= 1.15) grid.push_back(x);
  for (double x = 0.3; x < 1.0; x += 0.02) down_grid.push_back(x);
  // Each baseline twice: as published (a calibrated threshold only) and
  // gated by scanscope's minimum daily size (day_floor x the month's accesses).
  const FindingOptions defaults;
  auto gate = [&](const FindingInput& in, bool gated) {
    return gated ? defaults.day_floor * static_cast<double>(in.month_accesses) : 0.0;
  };
  struct Baseline {
    std::string name;
    bool gated;
    double dshield = 0, up = 0, down = 0;
    Tally ds, gn;
  };
  std::vector<Baseline> baselines = {{"as published", false},
                                     {"with scanscope's minimum size", true}};
  for (Baseline& b : baselines) {
    b.dshield = Calibrate(calib, grid, [&](const FindingInput& in, double x) {
      return DShieldAlarms(in, x, gate(in, b.gated));
    });
    // Up and down each get half of the budget of one false alarm per quiet month.
    auto only = [](std::vector<BaselineAlarm> v, bool fall) {
      std::erase_if(v,
                    [&](const BaselineAlarm& a) { return (a.kind == FindingKind::kFall) != fall; });
      return v;
    };
    b.up = Calibrate(calib, grid, [&](const FindingInput& in, double x) {
      auto v = only(GreyNoiseAlarms(in, x, 2.0, gate(in, b.gated)), false);
      v.resize(v.size() * 2);
      return v;
    });
    b.down = Calibrate(calib, down_grid, [&](const FindingInput& in, double x) {
      auto v = only(GreyNoiseAlarms(in, 1e18, x, gate(in, b.gated)), true);
      v.resize(v.size() * 2);
      return v;
    });
    fmt::print(
        "calibrated on quiet months ({}): DShield trend score >= {:.1f}; GreyNoise trend "
        ">= {:.2f} or <= -{:.2f}\n",
        b.name, b.dshield, b.up, b.down);
  }

  Tally ours;
  for (int i = 0; i < months + quiet; ++i) {
    uint64_t s = seed * 1'000'003 + static_cast<uint64_t>(i);
    MonthCase mc = BuildMonth(s, i < months ? 1 + static_cast<int>(s % 4) : 0);
    Score(mc, FromFindings(DetectFindings(mc.input)), true, &ours);
    for (Baseline& b : baselines) {
      double g = gate(mc.input, b.gated);
      Score(mc, FromAlarms(DShieldAlarms(mc.input, b.dshield, g)), false, &b.ds);
      Score(mc, FromAlarms(GreyNoiseAlarms(mc.input, b.up, b.down, g)), false, &b.gn);
    }
  }
  Print("scanscope findings (kind must match)", ours, true);
  for (const Baseline& b : baselines) {
    Print(fmt::format("DShield trend score, {} (any up kind matches an up event)", b.name), b.ds,
          true);
    Print(fmt::format("GreyNoise-style trending, {} (any up kind matches an up event)", b.name),
          b.gn, true);
  }
  fmt::print(
      "\nevents: notable = what an analyst would call out (docs/findings.md); "
      "recall (small) = share of the sub-threshold events found anyway, not scored.\n");
  return 0;
}

}  // namespace
}  // namespace scanscope

int main(int argc, char** argv) { return scanscope::Main(argc, argv); }
