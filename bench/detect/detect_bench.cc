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
// "what an analyst would call out" that the goals apply to. Every month is
// then built again with point outages (the same draws, each point-day's
// data cut to its watched share) and run by the detector with its coverage
// and without, to show what coverage changes.
//
// Usage: detect_bench [--months N] [--quiet N] [--seed N] [--verbose 1]

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
#include "analysis/coverage_days.h"
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

// Point outages of one month (docs/findings.md, "Coverage"): the share of
// each point-day watched, [series day * kPoints + point], 1 when watched.
struct Outages {
  std::vector<double> watched;
  double At(int day, int point) const {
    return watched.empty() ? 1.0 : watched[static_cast<size_t>(day * kPoints + point)];
  }
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

// The weekday rhythm, Monday first.
constexpr std::array<double, 7> kWeekday = {1.03, 1.04, 1.03, 1.02, 0.99, 0.93, 0.96};
constexpr int kTailPorts = 300;  // random high ports sharing kTailShare of the traffic
constexpr double kTailShare = 0.05;

// The events' ports, by kind (a new event draws a port never used).
constexpr std::array<PortType, 7> kSurgePorts = {
    PortType::Tcp(2967), PortType::Tcp(5900), PortType::Tcp(8080), PortType::Tcp(4899),
    PortType::Udp(1434), PortType::Udp(5060), PortType::Tcp(3306)};
constexpr std::array<PortType, 4> kConcentrationPorts = {PortType::Tcp(22), PortType::Tcp(23),
                                                         PortType::Tcp(3389), PortType::Tcp(80)};
constexpr std::array<PortType, 5> kFallPorts = {PortType::Udp(1026), PortType::Udp(1027),
                                                PortType::Tcp(135), PortType::Tcp(139),
                                                PortType::Tcp(1433)};
// Heavy hitters' ports and their weights in percent (the last takes the rest).
constexpr std::array<std::pair<PortType, int>, 6> kHeavy = {{{PortType::Tcp(445), 40},
                                                             {PortType::Tcp(22), 15},
                                                             {PortType::Tcp(1433), 10},
                                                             {PortType::Icmp(), 11},
                                                             {PortType::Tcp(135), 12},
                                                             {PortType::Tcp(3389), 12}}};

// What an analyst would call out (docs/findings.md), as shares of the
// month's accesses: the events the goals apply to.
constexpr double kNotableSurge = 0.003;  // a surge adds this much (and doubles the port)
constexpr double kNotableNew = 0.001;
constexpr double kNotableConcentration = 0.005;         // one source adds this much,
constexpr double kNotableConcentrationRepeat = 0.0025;  // ... or this on 2 days or more
constexpr double kNotableFallPort = 0.01;               // a port of this share of the traffic
constexpr double kNotableFallDrop = 0.6;                // ... losing this much
constexpr int kNotableFallDays = 4;                     // ... for this many days or more

// One month's background: its calendar, traffic level, points and ports.
struct Background {
  Month month;
  double u = 0;                          // accesses per point per day
  std::array<double, kPoints> weight{};  // the points' weights, mean 1
  std::vector<PortShare> mix;            // the reference's ports, the tail, then new events' ports
  std::set<uint32_t> used;               // codes of the reference's ports and the tail
  std::vector<double> phase, period;     // each port's slow drift (reference's and tail)
};

PortType RandomHighPort(Rng& rng) {
  return rng.Chance(0.6) ? PortType::Tcp(static_cast<uint16_t>(rng.Range(1025, 65535)))
                         : PortType::Udp(static_cast<uint16_t>(rng.Range(1025, 65535)));
}

// The random tail: kTailPorts high ports sharing kTailShare, Zipf-like.
void AddTail(Rng& rng, Background* b) {
  const size_t base = b->mix.size();
  std::vector<double> tail_w;
  double tail_sum = 0;
  for (int i = 0; i < kTailPorts; ++i) {
    PortType port;
    do {
      port = RandomHighPort(rng);
    } while (b->used.count(port.Code()));
    b->used.insert(port.Code());
    tail_w.push_back(1.0 / std::pow(i + 1.0, 0.8));
    tail_sum += tail_w.back();
    b->mix.push_back({port, 0});
  }
  for (size_t i = 0; i < tail_w.size(); ++i) {
    b->mix[base + i].share = kTailShare * tail_w[i] / tail_sum;
  }
}

Background DrawBackground(Rng& rng) {
  Background b;
  b.month = *ParseMonth(fmt::format("{:04d}-{:02d}", 2009 + rng.Range(0, 5), rng.Range(1, 12)));
  b.u = rng.LogUniform(150, 1500);
  for (double& w : b.weight) w = 0.55 + 1.3 * rng.Unit();
  double wsum = 0;
  for (double w : b.weight) wsum += w;
  for (double& w : b.weight) w *= kPoints / wsum;
  b.mix = BaseMix();
  for (const auto& p : b.mix) b.used.insert(p.port.Code());
  AddTail(rng, &b);
  // Slow drifts per port: +-12% with a period of 240-540 days.
  const size_t n_ports = b.mix.size();
  b.phase.resize(n_ports);
  b.period.resize(n_ports);
  for (size_t i = 0; i < n_ports; ++i) {
    b.phase[i] = rng.Unit() * 2 * M_PI;
    b.period[i] = rng.Range(240, 540);
  }
  return b;
}

// An event's port, from its kind's list (new: a port never used), not one
// another event of the month has (`taken`); false when 20 draws found none.
bool DrawEventPort(Rng& rng, const std::set<uint32_t>& used, const std::set<uint32_t>& taken,
                   Event* e) {
  for (int tries = 0; tries < 20; ++tries) {
    switch (e->kind) {
      case FindingKind::kSurge:
        e->port = kSurgePorts[static_cast<size_t>(rng.Range(0, 6))];
        break;
      case FindingKind::kNew:
        e->port = RandomHighPort(rng);
        if (used.count(e->port.Code())) continue;
        break;
      case FindingKind::kConcentration:
        e->port = kConcentrationPorts[static_cast<size_t>(rng.Range(0, 3))];
        break;
      case FindingKind::kFall:
        e->port = kFallPorts[static_cast<size_t>(rng.Range(0, 4))];
        break;
    }
    if (!taken.count(e->port.Code())) break;
  }
  return !taken.count(e->port.Code());
}

// A surge's shape, days, size and points.
void DrawSurge(Rng& rng, const Month& month, Event* e) {
  const int m = month.days;
  int r = rng.Range(0, 9);
  e->shape = r < 5   ? Shape::kBurst
             : r < 7 ? Shape::kSlowRise
             : r < 9 ? Shape::kWeekend
                     : Shape::kOneDay;
  if (e->shape == Shape::kBurst) {
    e->first = rng.Range(0, m - 6);
    e->last = std::min(m - 1, e->first + rng.Range(3, 12));
  } else if (e->shape == Shape::kSlowRise) {
    e->first = rng.Range(0, m - 10);
    e->last = std::min(m - 1, e->first + rng.Range(8, 16));
  } else if (e->shape == Shape::kWeekend) {
    int d = rng.Range(0, m - 2);
    while ((month.first_day + d + 3) % 7 != 5 && d < m - 2) ++d;  // a Saturday
    e->first = d;
    e->last = std::min(m - 1, d + 1);
  } else {
    e->first = e->last = rng.Range(0, m - 1);
  }
  e->level = rng.LogUniform(0.003, 0.2);
  int n = rng.Chance(0.6) ? kPoints : rng.Range(3, kPoints);
  std::vector<int> all(kPoints);
  for (int i = 0; i < kPoints; ++i) all[static_cast<size_t>(i)] = i;
  for (int i = 0; i < n; ++i) {
    std::swap(all[static_cast<size_t>(i)], all[static_cast<size_t>(rng.Range(i, kPoints - 1))]);
    e->points.push_back(all[static_cast<size_t>(i)]);
  }
}

// An event's days, size and place, by kind.
void DrawEventShape(Rng& rng, const Month& month, Event* e) {
  const int m = month.days;
  switch (e->kind) {
    case FindingKind::kSurge:
      DrawSurge(rng, month, e);
      break;
    case FindingKind::kNew:
      e->first = rng.Range(0, m * 2 / 3);
      e->last = std::min(m - 1, e->first + rng.Range(0, 9));
      e->level = rng.LogUniform(0.01, 0.8);
      e->point = rng.Range(0, kPoints - 1);
      e->sources = rng.Chance(0.7) ? 1 : rng.Range(2, 3);
      break;
    case FindingKind::kConcentration:
      e->first = rng.Range(0, m - 1);
      e->last = std::min(m - 1, e->first + rng.Range(0, 2));
      e->level = rng.LogUniform(0.1, 3.0);
      e->point = rng.Range(0, kPoints - 1);
      break;
    case FindingKind::kFall:
      e->first = rng.Range(5, m - 6);
      e->last = rng.Chance(0.5) ? m - 1 : std::min(m - 1, e->first + rng.Range(4, 9));
      e->drop = 0.2 + 0.75 * rng.Unit();
      break;
  }
}

// Up to `count` events on distinct ports; the new ones' ports join the mix.
std::vector<Event> DrawEvents(Rng& rng, int count, Background* b) {
  std::vector<Event> events;
  std::set<uint32_t> taken;
  for (int k = 0; k < count; ++k) {
    Event e;
    e.kind = static_cast<FindingKind>(rng.Range(0, 3));
    if (!DrawEventPort(rng, b->used, taken, &e)) continue;
    taken.insert(e.port.Code());
    e.source_id = rng.Next() | 1;
    DrawEventShape(rng, b->month, &e);
    events.push_back(e);
  }
  for (const Event& e : events) {
    if (e.kind == FindingKind::kNew) b->mix.push_back({e.port, 0});
  }
  return events;
}

// Builds every port's series over the history and the month, day by day:
// at each point the background, heavy hitters, then the events. Records
// what each event added (removed, for a fall) in its `added`.
class SeriesBuilder {
 public:
  SeriesBuilder(Rng& rng, const Background& b, std::vector<Event>* events, const Outages& outages)
      : rng_(rng), b_(b), events_(*events), outages_(outages), span_(kHistoryDays + b.month.days) {
    history_at_.assign(b.mix.size() * kPoints, 0);
    full_top_.assign(b.mix.size() * static_cast<size_t>(span_), 0);
    series_.resize(b.mix.size());
    for (size_t k = 0; k < b.mix.size(); ++k) {
      series_[k].port = b.mix[k].port;
      series_[k].days.resize(static_cast<size_t>(span_));
      index_[b.mix[k].port.Code()] = k;
    }
    expected_.assign(static_cast<size_t>(span_) * b.mix.size(), 0);
  }

  void Build() {
    for (int i = 0; i < span_; ++i) Day(i);
  }
  std::vector<PortSeries>& series() { return series_; }
  // The background's expected accesses of mix port k on series day i (all points).
  double Expected(int i, size_t k) const {
    return expected_[static_cast<size_t>(i) * b_.mix.size() + k];
  }
  size_t Index(PortType port) const { return index_.at(port.Code()); }
  // Accesses of mix port k at `point` over the history days it was observed.
  double HistoryAt(size_t k, int point) const {
    return history_at_[k * kPoints + static_cast<size_t>(point)];
  }

 private:
  void Day(int i) {
    day_ = i;
    point_accesses_.assign(b_.mix.size() * kPoints, 0);
    const int32_t day = b_.month.first_day - kHistoryDays + i;
    for (int p = 0; p < kPoints; ++p) {
      double noise = 0.85 + 0.3 * rng_.Unit() + (rng_.Chance(0.05) ? 0.25 : 0.0);
      double factor =
          b_.weight[static_cast<size_t>(p)] * kWeekday[static_cast<size_t>((day + 3) % 7)] * noise;
      BackgroundAt(p, day, factor);
      HeavyHittersAt(p, factor);
      EventsAt(p);
    }
    for (size_t k = 0; k < b_.mix.size(); ++k) {
      uint64_t best = 0;
      for (int p = 0; p < kPoints; ++p) {
        best = std::max(best, point_accesses_[k * kPoints + static_cast<size_t>(p)]);
      }
      series_[k].days[static_cast<size_t>(i)].top_point_accesses = best;
    }
  }

  int MonthDay() const { return day_ - kHistoryDays; }  // negative in the history

  // What the point saw of what came: its watched share of the day, rounded
  // down. The largest row's id is drawn as in the month fully watched (on
  // the unscaled rows), so that a month with outages has the same draws.
  void Add(size_t port, int point, uint64_t accesses, uint64_t sources, uint64_t top,
           uint64_t id = 0) {
    DayCell& c = series_[port].days[static_cast<size_t>(day_)];
    uint64_t& full_top = full_top_[port * static_cast<size_t>(span_) + static_cast<size_t>(day_)];
    const bool drawn = top > full_top;
    if (drawn) {
      full_top = top;
      id = id ? id : (rng_.Next() | 1);
    }
    const double watched = outages_.At(day_, point);
    if (watched < 1) {
      accesses = static_cast<uint64_t>(static_cast<double>(accesses) * watched);
      sources = static_cast<uint64_t>(static_cast<double>(sources) * watched);
      top = std::min(top, accesses);
      if (accesses == 0) return;
    }
    if (day_ < kHistoryDays && watched >= kObservedDayShare) {
      history_at_[port * kPoints + static_cast<size_t>(point)] += static_cast<double>(accesses);
    }
    c.accesses += accesses;
    c.sources += sources;
    if (top > c.top_source_accesses) {
      c.top_source_accesses = top;
      c.top_source_id = id ? id : (port * 1'000'003 + static_cast<uint64_t>(day_)) * 2 + 1;
    }
    point_accesses_[port * kPoints + static_cast<size_t>(point)] += accesses;
  }

  // The share of port k's sessions a fall event keeps today (1: all).
  double Kept(size_t k) const {
    double keep = 1;
    for (const Event& e : events_) {
      if (e.kind == FindingKind::kFall && e.port == b_.mix[k].port && MonthDay() >= e.first &&
          MonthDay() <= e.last) {
        keep = 1 - e.drop;
      }
    }
    return keep;
  }

  // Sessions of ~3.1 accesses on every port of the mix, by its drifting share.
  void BackgroundAt(int p, int32_t day, double factor) {
    for (size_t k = 0; k < b_.mix.size(); ++k) {
      if (b_.mix[k].share == 0) continue;
      double share =
          b_.mix[k].share * (1 + 0.12 * std::sin(2 * M_PI * day / b_.period[k] + b_.phase[k]));
      double expected = b_.u * factor * share;
      expected_[static_cast<size_t>(day_) * b_.mix.size() + k] += expected;
      const double keep = Kept(k);
      uint64_t sessions = rng_.Poisson(expected / 3.1);
      uint64_t acc = 0, src = 0, top = 0, lost = 0;
      for (uint64_t s = 0; s < sessions; ++s) {
        uint64_t a = rng_.SessionAccesses();
        if (keep < 1 && !rng_.Chance(keep)) {
          lost += a;
          continue;
        }
        acc += a;
        ++src;
        top = std::max(top, a);
      }
      for (Event& e : events_) {
        if (e.kind == FindingKind::kFall && e.port == b_.mix[k].port) {
          e.added -= static_cast<double>(lost);
        }
      }
      if (acc) Add(k, p, acc, src, top);
    }
  }

  // Heavy hitters: one source, up to about one average point-day.
  void HeavyHittersAt(int p, double factor) {
    uint64_t heavy = rng_.Poisson(b_.u * factor * 0.004 / 3.1);
    for (uint64_t h = 0; h < heavy; ++h) {
      int r = rng_.Range(0, 99), which = 0, cum = 0;
      for (; which < 5; ++which) {
        cum += kHeavy[static_cast<size_t>(which)].second;
        if (r < cum) break;
      }
      auto a = static_cast<uint64_t>(b_.u * (0.05 + std::min(1.0, 0.02 / rng_.UnitPositive())));
      Add(Index(kHeavy[static_cast<size_t>(which)].first), p, a, 1, a);
    }
  }

  // The surge, new and concentration events of this point-day.
  void EventsAt(int p) {
    const int md = MonthDay();
    for (Event& e : events_) {
      if (md < e.first || md > e.last || e.kind == FindingKind::kFall) continue;
      size_t k = Index(e.port);
      if (e.kind == FindingKind::kSurge) {
        if (std::find(e.points.begin(), e.points.end(), p) == e.points.end()) continue;
        double want = b_.u * e.level * SurgeProfile(e, md) * b_.weight[static_cast<size_t>(p)] *
                      (0.8 + 0.4 * rng_.Unit());
        uint64_t sessions = rng_.Poisson(want / 3.1);
        uint64_t acc = 0, top = 0;
        for (uint64_t s = 0; s < sessions; ++s) {
          uint64_t a = rng_.SessionAccesses();
          acc += a;
          top = std::max(top, a);
        }
        Add(k, p, acc, sessions, top);
        e.added += static_cast<double>(acc);
      } else {
        if (p != e.point) continue;
        auto want = static_cast<uint64_t>(b_.u * e.level * (0.7 + 0.6 * rng_.Unit()) + 1);
        int n = e.kind == FindingKind::kNew ? e.sources : 1;
        uint64_t top = (want + static_cast<uint64_t>(n) - 1) / static_cast<uint64_t>(n);
        Add(k, p, want, static_cast<uint64_t>(n), top, e.source_id);
        e.added += static_cast<double>(want);
      }
    }
  }

  Rng& rng_;
  const Background& b_;
  std::vector<Event>& events_;
  const Outages& outages_;
  const int span_;
  std::vector<PortSeries> series_;
  std::map<uint32_t, size_t> index_;  // port type code -> mix and series index
  std::vector<double> expected_;
  int day_ = 0;                           // the series day being built
  std::vector<uint64_t> point_accesses_;  // [port * kPoints + point], that day
  std::vector<double> history_at_;        // [port * kPoints + point], observed history days
  std::vector<uint64_t> full_top_;        // [port * span + day]: the largest unscaled row
};

// The detector's input: the ports with any access, and the month's totals.
FindingInput ToInput(const Month& month, std::vector<PortSeries>* series) {
  FindingInput in;
  in.month = month;
  in.history_days = kHistoryDays;
  in.history_days_with_data = kHistoryDays;
  in.points = kPoints;
  for (auto& s : *series) {
    uint64_t total = 0;
    for (const DayCell& c : s.days) total += c.accesses;
    for (int d = 0; d < month.days; ++d) {
      in.month_accesses += s.days[static_cast<size_t>(kHistoryDays + d)].accesses;
      in.month_sources += s.days[static_cast<size_t>(kHistoryDays + d)].sources;
    }
    if (total) in.ports.push_back(std::move(s));
  }
  return in;
}

// Ground truth: whether each event is one an analyst would call out.
void MarkNotable(const Background& b, const SeriesBuilder& built, const FindingInput& in,
                 std::vector<Event>* events) {
  const double f = static_cast<double>(in.month_accesses);
  for (Event& e : *events) {
    const size_t k = built.Index(e.port);
    const int days = e.last - e.first + 1;
    double expected = 0;  // the background over the event's days, all points
    for (int d = e.first; d <= e.last; ++d) expected += built.Expected(kHistoryDays + d, k);
    switch (e.kind) {
      case FindingKind::kSurge:
        e.notable = e.added >= kNotableSurge * f && e.added >= expected;
        break;
      case FindingKind::kNew:
        e.notable = e.added >= kNotableNew * f;
        break;
      case FindingKind::kConcentration:
        e.notable =
            e.added >= (days >= 2 ? kNotableConcentrationRepeat : kNotableConcentration) * f;
        break;
      case FindingKind::kFall:
        e.notable = b.mix[k].share >= kNotableFallPort && e.drop >= kNotableFallDrop &&
                    days >= kNotableFallDays;
        break;
    }
  }
}

// A month's outages, from their own random stream: 1-3 of them, each whole
// days or some hours a day, at one point or at 2-4, over 2-19 days, one in
// five from the history's last days into the month.
Outages DrawOutages(uint64_t seed, const Month& month) {
  Rng rng(seed ^ 0x9e3779b97f4a7c15ull);
  Outages o;
  o.watched.assign(static_cast<size_t>((kHistoryDays + month.days) * kPoints), 1.0);
  const int count = rng.Range(1, 3);
  for (int n = 0; n < count; ++n) {
    const int points = rng.Chance(0.5) ? 1 : rng.Range(2, 4);
    const double watched = rng.Chance(0.5) ? 0.0 : rng.Range(4, 17) / 24.0;
    const int days = rng.Range(2, 19);
    const int first = rng.Chance(0.2) ? kHistoryDays - rng.Range(1, 10)
                                      : kHistoryDays + rng.Range(0, month.days - 2);
    const int last = std::min(first + days - 1, kHistoryDays + month.days - 1);
    for (int k = 0; k < points; ++k) {
      const int point = rng.Range(0, kPoints - 1);
      for (int d = first; d <= last; ++d)
        o.watched[static_cast<size_t>(d * kPoints + point)] = watched;
    }
  }
  return o;
}

// The detector's coverage of a month with outages: the points not observed
// on some day, and their shares of each port's accesses on the history days
// they were observed.
void AddCoverage(const SeriesBuilder& built, const Background& b, const Outages& outages,
                 FindingInput* in) {
  const int span = kHistoryDays + b.month.days;
  std::vector<int> points;
  for (int p = 0; p < kPoints; ++p) {
    PointObserved c{fmt::format("point-{}", p), std::vector<bool>(static_cast<size_t>(span))};
    bool blind = false;
    for (int d = 0; d < span; ++d) {
      c.observed[static_cast<size_t>(d)] = outages.At(d, p) >= kObservedDayShare;
      blind = blind || !c.observed[static_cast<size_t>(d)];
    }
    if (!blind) continue;
    points.push_back(p);
    in->coverage.push_back(std::move(c));
  }
  for (PortSeries& s : in->ports) {
    const size_t k = built.Index(s.port);
    double total = 0;
    for (int p = 0; p < kPoints; ++p) total += built.HistoryAt(k, p);
    if (total == 0) continue;
    for (int p : points) s.point_shares.push_back(built.HistoryAt(k, p) / total);
  }
}

// One month: background plus `event_count` events (0: a quiet month), and
// with `outages` its points' outages (the same draws, the same events).
MonthCase BuildMonth(uint64_t seed, int event_count, bool outages = false) {
  Rng rng(seed);
  Background b = DrawBackground(rng);
  MonthCase mc;
  mc.events = DrawEvents(rng, event_count, &b);
  const Outages o = outages ? DrawOutages(seed, b.month) : Outages{};
  SeriesBuilder built(rng, b, &mc.events, o);
  built.Build();
  mc.input = ToInput(b.month, &built.series());
  MarkNotable(b, built, mc.input, &mc.events);
  if (outages) AddCoverage(built, b, o, &mc.input);
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

// A quiet month: every detection is false.
void ScoreQuiet(const std::vector<Detection>& found, bool strict, Tally* t) {
  if (g_verbose && strict) {
    for (const Detection& x : found) {
      fmt::print("  quiet false {} {} {}..{}\n", FindingKindName(x.kind), x.port.ToString(),
                 FormatDay(x.first), FormatDay(x.last));
    }
  }
  ++t->quiet_months;
  t->quiet_false += static_cast<int>(found.size());
  t->quiet_max = std::max(t->quiet_max, static_cast<int>(found.size()));
}

// A detection matches an event on its port that it overlaps (+-1 day).
bool Overlaps(const MonthCase& mc, const Event& e, const Detection& x) {
  const int32_t first = mc.input.month.first_day;
  return x.port == e.port && x.first <= first + e.last + 1 && x.last >= first + e.first - 1;
}

// Recall and delay: each event found by a compatible detection, or not.
void ScoreEvents(const MonthCase& mc, const std::vector<Detection>& found, bool strict, Tally* t) {
  const int32_t first = mc.input.month.first_day;
  for (const Event& e : mc.events) {
    auto k = static_cast<size_t>(e.kind);
    int best = -1;
    for (const Detection& x : found) {
      if (Overlaps(mc, e, x) && Compatible(e.kind, x.kind, strict)) {
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
}

// Precision: each detection true (a notable event it matches), false, or
// not counted (it only overlaps sub-threshold events).
void ScoreDetections(const MonthCase& mc, const std::vector<Detection>& found, bool strict,
                     Tally* t) {
  for (const Detection& x : found) {
    auto k = static_cast<size_t>(x.kind);
    bool hit = false, ignore = false;
    for (const Event& e : mc.events) {
      if (!Overlaps(mc, e, x)) continue;
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

void Score(const MonthCase& mc, const std::vector<Detection>& found, bool strict, Tally* t) {
  if (mc.events.empty()) {
    ScoreQuiet(found, strict, t);
    return;
  }
  ScoreEvents(mc, found, strict, t);
  ScoreDetections(mc, found, strict, t);
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

struct Args {
  int months = 300;      // event months
  int quiet = 100;       // quiet months
  int calibration = 40;  // quiet months to calibrate the baselines on
  uint64_t seed = 1;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--months")) a.months = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--quiet")) a.quiet = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--verbose")) g_verbose = argv[i + 1][0] == '1';
    if (!std::strcmp(argv[i], "--seed")) a.seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  return a;
}

// A published baseline run as published (a calibrated threshold only) or
// gated by scanscope's minimum daily size (day_floor x the month's accesses).
struct BaselineRun {
  std::string name;
  bool gated;
  double dshield = 0, up = 0, down = 0;  // calibrated thresholds
  Tally ds, gn;
};

double Gate(const FindingInput& in, bool gated) {
  return gated ? FindingOptions().day_floor * static_cast<double>(in.month_accesses) : 0.0;
}

// DShield's threshold, and GreyNoise's up and down thresholds, each the
// smallest with at most one false alarm per quiet month (up and down each
// get half of that budget).
void CalibrateBaseline(const std::vector<MonthCase>& calib, BaselineRun* b) {
  std::vector<double> grid, down_grid;
  for (double x = 0.5; x < 1e7; x *= 1.15) grid.push_back(x);
  for (double x = 0.3; x < 1.0; x += 0.02) down_grid.push_back(x);
  b->dshield = Calibrate(calib, grid, [&](const FindingInput& in, double x) {
    return DShieldAlarms(in, x, Gate(in, b->gated));
  });
  auto only = [](std::vector<BaselineAlarm> v, bool fall) {
    std::erase_if(v,
                  [&](const BaselineAlarm& a) { return (a.kind == FindingKind::kFall) != fall; });
    return v;
  };
  b->up = Calibrate(calib, grid, [&](const FindingInput& in, double x) {
    auto v = only(GreyNoiseAlarms(in, x, 2.0, Gate(in, b->gated)), false);
    v.resize(v.size() * 2);
    return v;
  });
  b->down = Calibrate(calib, down_grid, [&](const FindingInput& in, double x) {
    auto v = only(GreyNoiseAlarms(in, 1e18, x, Gate(in, b->gated)), true);
    v.resize(v.size() * 2);
    return v;
  });
  fmt::print(
      "calibrated on quiet months ({}): DShield trend score >= {:.1f}; GreyNoise trend "
      ">= {:.2f} or <= -{:.2f}\n",
      b->name, b->dshield, b->up, b->down);
}

// The same months with point outages, run by the detector with coverage
// and without it; a finding is caused by an outage when the month fully
// watched has no finding of its kind on its port overlapping it.
struct OutageRun {
  Tally with, without;
  int caused_with = 0, caused_without = 0, months = 0;
};

int CausedByOutage(const std::vector<Finding>& found, const std::vector<Finding>& watched) {
  int caused = 0;
  for (const Finding& x : found) {
    caused += std::none_of(watched.begin(), watched.end(), [&](const Finding& y) {
      return y.kind == x.kind && y.port == x.port && y.first_day <= x.last_day &&
             y.last_day >= x.first_day;
    });
  }
  return caused;
}

void RunOutages(uint64_t seed, int event_count, const MonthCase& watched,
                const std::vector<Finding>& watched_found, OutageRun* r) {
  MonthCase mc = BuildMonth(seed, event_count, true);
  for (size_t e = 0; e < mc.events.size(); ++e) mc.events[e].notable = watched.events[e].notable;
  const std::vector<Finding> with = DetectFindings(mc.input);
  FindingInput blindfold = mc.input;
  blindfold.coverage.clear();
  blindfold.point_shares.clear();
  for (PortSeries& s : blindfold.ports) s.point_shares.clear();
  const std::vector<Finding> without = DetectFindings(blindfold);
  Score(mc, FromFindings(with), true, &r->with);
  Score(mc, FromFindings(without), true, &r->without);
  r->caused_with += CausedByOutage(with, watched_found);
  r->caused_without += CausedByOutage(without, watched_found);
  ++r->months;
}

void PrintOutages(const OutageRun& r) {
  fmt::print(
      "\nthe same {} months with 1-3 point outages each (whole days or 4-17 hours a day, at one "
      "point or at 2-4, 2-19 days, some from the history into the month; events during them)\n",
      r.months);
  Print("scanscope findings with coverage (kind must match)", r.with, true);
  Print("scanscope findings without coverage (kind must match)", r.without, true);
  fmt::print(
      "  findings caused by an outage (none like it in the month fully watched): {} with "
      "coverage, {} without\n",
      r.caused_with, r.caused_without);
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  fmt::print(
      "bench-detect: {} event months (1-4 events each), {} quiet months, {} quiet months "
      "to calibrate the baselines; {} points, {} days of history; seed {}\n",
      args.months, args.quiet, args.calibration, kPoints, kHistoryDays, args.seed);
  std::vector<MonthCase> calib;
  for (int i = 0; i < args.calibration; ++i) {
    calib.push_back(BuildMonth(args.seed * 1'000'003 + 900'000 + static_cast<uint64_t>(i), 0));
  }
  std::vector<BaselineRun> baselines = {{"as published", false},
                                        {"with scanscope's minimum size", true}};
  for (BaselineRun& b : baselines) CalibrateBaseline(calib, &b);

  Tally ours;
  OutageRun outages;
  for (int i = 0; i < args.months + args.quiet; ++i) {
    uint64_t s = args.seed * 1'000'003 + static_cast<uint64_t>(i);
    const int event_count = i < args.months ? 1 + static_cast<int>(s % 4) : 0;
    MonthCase mc = BuildMonth(s, event_count);
    const std::vector<Finding> found = DetectFindings(mc.input);
    Score(mc, FromFindings(found), true, &ours);
    RunOutages(s, event_count, mc, found, &outages);
    for (BaselineRun& b : baselines) {
      double g = Gate(mc.input, b.gated);
      Score(mc, FromAlarms(DShieldAlarms(mc.input, b.dshield, g)), false, &b.ds);
      Score(mc, FromAlarms(GreyNoiseAlarms(mc.input, b.up, b.down, g)), false, &b.gn);
    }
  }
  Print("scanscope findings (kind must match)", ours, true);
  for (const BaselineRun& b : baselines) {
    Print(fmt::format("DShield trend score, {} (any up kind matches an up event)", b.name), b.ds,
          true);
    Print(fmt::format("GreyNoise-style trending, {} (any up kind matches an up event)", b.name),
          b.gn, true);
  }
  fmt::print(
      "\nevents: notable = what an analyst would call out (docs/findings.md); "
      "recall (small) = share of the sub-threshold events found anyway, not scored.\n");
  PrintOutages(outages);
  return 0;
}

}  // namespace
}  // namespace scanscope

int main(int argc, char** argv) { return scanscope::Main(argc, argv); }
