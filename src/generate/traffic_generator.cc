#include "generate/traffic_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "generate/country_prefixes.h"
#include "generate/frame_writer.h"
#include "generate/port_mix.h"
#include "generate/random.h"
#include "record/access_record.h"

namespace scanscope {
namespace {

using generate::Behavior;
using generate::HashOf;
using generate::LinkDirection;
using generate::Mix64;
using generate::PacketSpec;
using generate::Payload;
using generate::PortEntry;
using generate::Rng;
using generate::Shape;
using generate::TcpOptions;
using generate::UnitFromBits;
using generate::Wave;

// Tags that keep the hash streams of different quantities apart.
enum Tag : uint64_t {
  kTagPoint = 1,
  kTagSlot,
  kTagHeavy,
  kTagV6,
  kTagPointDay,
  kTagEvent,
  kTagMonth,
  kTagPortDrift,
  kTagNewPort,
  kTagDayWeight,
};

// The generator's clock counts microseconds (pcap's resolution).
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerMilli = 1'000;
constexpr int kHeavySlots = 48;
constexpr int kV6Slots = 128;
// Fractions of base sessions: a heavy hitter, an IPv6 prober (IPv6 points),
// a fragmented echo.
constexpr double kHeavyChance = 0.004;
constexpr double kV6Chance = 0.04;
constexpr double kFragmentChance = 0.0015;
// Share of a point-day's packets that are accesses, around which it drifts.
constexpr double kAccessShare = 0.915;

int MonthIndex(const Month& m) { return m.year * 12 + static_cast<int>(m.month) - 1; }

IpAddress V6(uint64_t high, uint64_t low) {
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  return IpAddress::FromBytes(b);
}

// Infrastructure around the points, outside every watched prefix (points use
// .8-.239 of the documentation /24s).
const IpAddress kResolverV4 = IpAddress::FromV4(0xCB0071FDu);   // 203.0.113.253
const IpAddress kNtpServerV4 = IpAddress::FromV4(0xC63364FCu);  // 198.51.100.252
const IpAddress kWebServerV4 = IpAddress::FromV4(0x5DB8D822u);  // 93.184.216.34
const IpAddress kResolverV6 = V6(0x20010DB8FFFF0000ull, 0x53);
const IpAddress kWebServerV6 = V6(0x2606280002200001ull, 0x0248189325C81946ull);
const IpAddress kLinkLocalRouter = V6(0xFE80000000000000ull, 1);
const IpAddress kAllNodes = V6(0xFF02000000000000ull, 1);

struct Point {
  int index = 0;
  std::string name;
  Prefix v4;
  uint32_t v4_base = 0;
  uint32_t v4_size = 1;
  IpAddress host_v4;
  bool has_v6 = false;
  Prefix v6;
  uint64_t v6_high = 0;
  IpAddress host_v6;
  IpAddress gateway_v4;
  IpAddress neighbor_v4;
  IpAddress subnet_broadcast_v4;
  double weight = 1;
  std::string description;
  generate::PointLink link{};
};

// Whose network stack sends a prober's packets: it sets the TTL, the ephemeral
// ports, the TCP options and window, and whether SYNs are retried.
enum class ProberStack : uint8_t {
  kWindows,
  kLinux,
  kRawScanner,  // a tool that writes its own packets (masscan, zmap)
};

// A source as the base traffic sees it this month.
struct Prober {
  IpAddress address;
  uint64_t id = 0;
  ProberStack stack = ProberStack::kWindows;
  uint8_t hops = 12;
  bool multi_port = false;
  const PortEntry* primary = nullptr;
};

enum class EventKind : uint8_t { kSurge, kNew, kConcentration, kFall };

std::string_view EventKindName(EventKind k) {
  switch (k) {
    case EventKind::kSurge:
      return "surge";
    case EventKind::kNew:
      return "new";
    case EventKind::kConcentration:
      return "concentration";
    case EventKind::kFall:
      return "fall";
  }
  return "?";
}

struct Event {
  EventKind kind = EventKind::kSurge;
  PortType port;
  Behavior behavior = Behavior::kWorm;
  int point = -1;                   // -1: all points
  int first_day = 0, last_day = 0;  // 0-based days of the month, inclusive
  double level = 0;                 // peak extra accesses per point-day, as a fraction of the mean
  bool single_source = false;
  IpAddress source;
  std::string_view country;
  // What the generation did.
  int64_t accesses = 0;  // added (negative for a fall: removed)
  std::vector<int64_t> daily;
  std::set<IpAddress> sources;
  std::set<std::tuple<IpAddress, int, int>> gross;  // (source, day, point)

  bool Active(int point_index, int day) const {
    return day >= first_day && day <= last_day && (point < 0 || point == point_index);
  }
};

struct Plan {
  const GenerateOptions* options = nullptr;
  int month_index = 0;
  int days = 0;
  std::vector<Point> points;
  std::vector<int64_t> day_start_us;  // days + 1 entries, UTC
  std::vector<double> port_cum;       // cumulative port weights this month
  std::vector<double> heavy_cum;
  uint64_t slots = 1000;
  std::vector<std::vector<uint64_t>> pd_packets;  // [point][day]
  std::vector<std::vector<uint64_t>> pd_accesses;
  double mean_access_pd = 1;
  std::vector<Event> events;
};

// ---------------------------------------------------------------------------
// Points

constexpr std::array<std::string_view, 6> kDescriptions = {
    "residential DSL-like connection", "residential cable-modem connection",
    "residential FTTH connection",     "mobile broadband router",
    "university dormitory line",       "home office connection behind a NAT-less modem",
};

std::vector<Point> MakePoints(uint64_t seed, int count, int month_index) {
  static constexpr std::array<uint32_t, 3> kRanges = {0xC0000200u, 0xC6336400u, 0xCB007100u};
  std::vector<Point> points;
  bool any_v6 = false;
  for (int i = 0; i < count; ++i) {
    uint64_t h = HashOf({seed, kTagPoint, static_cast<uint64_t>(i)});
    Point p;
    p.index = i;
    p.name = fmt::format("point-{:02d}", i + 1);
    uint32_t range = kRanges[i % 3];
    uint32_t slot_base = range + 8u * static_cast<uint32_t>(1 + i / 3);
    bool small_prefix = (h % 4) == 0;
    if (small_prefix) {
      p.v4_base = slot_base;
      p.v4_size = 8;
      p.v4 = Prefix(IpAddress::FromV4(slot_base), 96 + 29);
      p.host_v4 = IpAddress::FromV4(slot_base + 1);
      p.description = "generated: small-office business line with a /29";
    } else {
      p.v4_base = slot_base + 1 + static_cast<uint32_t>((h >> 8) % 6);
      p.v4_size = 1;
      p.v4 = Prefix(IpAddress::FromV4(p.v4_base), 128);
      p.host_v4 = p.v4.base();
      p.description = "generated: " + std::string(kDescriptions[(h >> 16) % kDescriptions.size()]);
    }
    p.has_v6 = ((h >> 24) % 3) == 0;
    if (i == count - 1 && !any_v6 && count >= 2) p.has_v6 = true;
    any_v6 = any_v6 || p.has_v6;
    if (p.has_v6) {
      p.v6_high = 0x20010DB800000000ull | (static_cast<uint64_t>(i + 1) << 16);
      p.v6 = Prefix(V6(p.v6_high, 0), 64);
      p.host_v6 = V6(p.v6_high, 0x10);
    }
    p.gateway_v4 = IpAddress::FromV4(range + 254);
    p.neighbor_v4 = IpAddress::FromV4(range + 241 + static_cast<uint32_t>(i % 8));
    p.subnet_broadcast_v4 = IpAddress::FromV4(range + 255);
    // Some points get more: a fixed weight per point, drifting a little.
    double base = 0.55 + 1.3 * UnitFromBits(Mix64(h ^ 0xBEEF));
    if (small_prefix) base *= 1.6;
    double phase = UnitFromBits(Mix64(h ^ 0xFACE));
    p.weight = base * (1.0 + 0.08 * Wave(month_index / 11.0 + phase));
    const uint8_t host_mac[6] = {0x02, 0x53, 0x53, 0x00, static_cast<uint8_t>(i + 1), 0x10};
    const uint8_t gw_mac[6] = {0x02, 0x53, 0x53, 0x00, static_cast<uint8_t>(i + 1), 0xFE};
    const uint8_t nb_mac[6] = {0x02, 0x53, 0x53, 0x00, static_cast<uint8_t>(i + 1), 0x41};
    std::copy(host_mac, host_mac + 6, p.link.host_mac);
    std::copy(gw_mac, gw_mac + 6, p.link.gateway_mac);
    std::copy(nb_mac, nb_mac + 6, p.link.neighbor_mac);
    points.push_back(std::move(p));
  }
  return points;
}

// ---------------------------------------------------------------------------
// Sources

// A slot of the background population keeps its identity for a lifetime of
// 1..12 months (so roughly 15% of the population turns over each month).
uint64_t SlotIdentity(uint64_t seed, uint64_t tag, uint64_t slot, int month_index,
                      uint64_t max_life) {
  uint64_t h = HashOf({seed, tag, slot});
  uint64_t life = 1 + h % max_life;
  uint64_t phase = (h >> 8) % life;
  uint64_t generation = (static_cast<uint64_t>(month_index) + phase) / life;
  return HashOf({seed, tag, slot, generation});
}

void FillProberTraits(Prober* p, const Plan& plan) {
  uint64_t id = p->id;
  // 72% Windows, 18% Linux, 10% raw scanners.
  uint64_t stack = (id >> 20) % 100;
  p->stack = stack < 72 ? ProberStack::kWindows
                        : (stack < 90 ? ProberStack::kLinux : ProberStack::kRawScanner);
  p->hops = static_cast<uint8_t>(8 + (id >> 28) % 20);
  p->multi_port = ((id >> 36) % 100) < 7;
  p->primary = &generate::PickPort(plan.port_cum, UnitFromBits(Mix64(id ^ 0xA11CE)));
}

Prober BackgroundProber(const Plan& plan, Rng& rng) {
  double u = rng.Unit();
  // Density ~ 1/sqrt(slot): low slots are drawn far more often than high
  // ones, which gives a heavy-tailed number of days and points per source.
  auto slot = static_cast<uint64_t>(static_cast<double>(plan.slots) * u * u);
  Prober p;
  p.id = SlotIdentity(plan.options->seed, kTagSlot, slot, plan.month_index, 12);
  p.address = generate::Ipv4SourceFromBits(p.id).address;
  FillProberTraits(&p, plan);
  return p;
}

// ---------------------------------------------------------------------------
// Session building: specs with times relative to the session start.

struct SessionBuilder {
  const Plan& plan;
  Rng& rng;
  std::vector<PacketSpec>& out;

  uint16_t EphemeralPort(const Prober& p) {
    switch (p.stack) {
      case ProberStack::kWindows:
        return static_cast<uint16_t>(rng.Range(1025, 4999));
      case ProberStack::kLinux:
        return static_cast<uint16_t>(rng.Range(32768, 60999));
      case ProberStack::kRawScanner:
        break;
    }
    return static_cast<uint16_t>(rng.Range(1024, 65535));
  }

  uint8_t Ttl(const Prober& p) const {
    int initial = p.stack == ProberStack::kWindows
                      ? 128
                      : (p.stack == ProberStack::kLinux ? 64 : ((p.id >> 44) & 1 ? 255 : 64));
    return static_cast<uint8_t>(initial - p.hops);
  }

  PacketSpec Inbound(const Prober& p, const IpAddress& dst, int64_t t, PortType port) {
    PacketSpec s;
    s.time_us = t;
    s.src = p.address;
    s.dst = dst;
    s.ttl = Ttl(p);
    s.ip_id = static_cast<uint16_t>(rng.Next());
    s.link = LinkDirection::kInbound;
    s.access = true;
    s.port_code = port.Code();
    return s;
  }

  // One connection attempt: a SYN, and for a connect() from a real stack the
  // retransmissions of the same SYN at +3 s and +9 s.
  void TcpAttempt(const Prober& p, const IpAddress& dst, uint16_t port, int64_t t, bool retries) {
    PacketSpec s = Inbound(p, dst, t, PortType::Tcp(port));
    s.shape = Shape::kTcp;
    s.sport = EphemeralPort(p);
    s.dport = port;
    s.seq = static_cast<uint32_t>(rng.Next());
    s.tcp_flags = kTcpSyn;
    s.options = static_cast<uint8_t>(
        p.stack == ProberStack::kWindows
            ? TcpOptions::kWindows
            : (p.stack == ProberStack::kLinux ? TcpOptions::kLinux : TcpOptions::kNone));
    s.window =
        p.stack == ProberStack::kWindows ? 65535 : (p.stack == ProberStack::kLinux ? 5840 : 1024);
    out.push_back(s);
    if (!retries || p.stack == ProberStack::kRawScanner) return;
    for (int64_t back : {3 * kMicrosPerSecond, 9 * kMicrosPerSecond}) {
      PacketSpec r = s;
      r.time_us = t + back + rng.Range(0, 15 * kMicrosPerMilli);
      r.ip_id = static_cast<uint16_t>(s.ip_id + (back == 3 * kMicrosPerSecond ? 1 : 2));
      out.push_back(r);
    }
  }

  void UdpProbe(const Prober& p, const IpAddress& dst, uint16_t port, Payload kind, int64_t t) {
    PacketSpec s = Inbound(p, dst, t, PortType::Udp(port));
    s.shape = Shape::kUdp;
    s.sport = kind == Payload::kNbnsStatus ? 137 : EphemeralPort(p);
    s.dport = port;
    s.payload_kind = kind;
    switch (kind) {
      case Payload::kMessenger:
        s.payload = static_cast<uint16_t>(rng.Range(420, 820));
        break;
      case Payload::kNbnsStatus:
        s.payload = 50;
        break;
      case Payload::kSlammer:
        s.payload = 376;
        break;
      case Payload::kSipOptions:
        s.payload = static_cast<uint16_t>(rng.Range(330, 420));
        break;
      case Payload::kDnsQuery:
        s.payload = 33;
        break;
      default:
        s.payload = static_cast<uint16_t>(rng.Range(0, 48));
        break;
    }
    out.push_back(s);
  }

  void Ping(const Prober& p, const IpAddress& dst, int64_t t, uint16_t id, uint16_t seq) {
    PacketSpec s = Inbound(p, dst, t, PortType::Icmp());
    s.shape = Shape::kIcmpEcho;
    s.seq = (uint32_t{id} << 16) | seq;
    bool welchia = p.stack == ProberStack::kWindows && (p.id >> 50) % 3 == 0;
    s.payload_kind = welchia ? Payload::kWelchiaPing : Payload::kWindowsPing;
    s.payload = welchia ? 64 : (p.stack == ProberStack::kWindows ? 32 : 56);
    out.push_back(s);
  }

  // A large echo request in 2-3 IPv4 fragments, each fragment an access.
  void FragmentedPing(const Prober& p, const IpAddress& dst, int64_t t) {
    uint16_t payload = static_cast<uint16_t>(rng.Range(1600, 4000));
    uint16_t ip_id = static_cast<uint16_t>(rng.Next());
    uint32_t seq = static_cast<uint32_t>(rng.Next());
    int n = generate::FragmentCount(payload);
    for (int i = 0; i < n; ++i) {
      PacketSpec s = Inbound(p, dst, t + i * 40, PortType::Icmp());
      s.shape = Shape::kIcmpEchoFragment;
      s.ip_id = ip_id;
      s.seq = seq;
      s.payload = payload;
      s.payload_kind = Payload::kPattern;
      s.window = static_cast<uint16_t>(i);
      out.push_back(s);
    }
  }

  // `attempts` probes of one port by one prober, starting at t; returns the
  // time after the last.
  int64_t Probe(const Prober& p, const IpAddress& dst, const PortEntry& entry, int attempts,
                int64_t t, bool single_packet) {
    PortType port = entry.port;
    Behavior behavior = entry.behavior;
    Payload payload = entry.payload;
    if (behavior == Behavior::kRandomHigh) {
      uint16_t high = generate::RandomHighPort(rng.Next());
      port = port.kind() == PortKind::kTcp ? PortType::Tcp(high) : PortType::Udp(high);
    }
    uint16_t ping_id = static_cast<uint16_t>(rng.Next());
    for (int a = 0; a < attempts; ++a) {
      switch (port.kind()) {
        case PortKind::kTcp: {
          double retry = behavior == Behavior::kWorm    ? 0.6
                         : behavior == Behavior::kBrute ? 0.55
                                                        : 0.3;
          TcpAttempt(p, dst, port.port(), t, !single_packet && rng.Chance(retry));
          int64_t gap = behavior == Behavior::kBrute
                            ? rng.Range(2 * kMicrosPerSecond, 20 * kMicrosPerSecond)
                            : rng.Range(150 * kMicrosPerMilli, 4 * kMicrosPerSecond);
          t += gap;
          break;
        }
        case PortKind::kUdp:
          UdpProbe(p, dst, port.port(), payload, t);
          t += rng.Range(500 * kMicrosPerMilli, 40 * kMicrosPerSecond);
          break;
        default:
          Ping(p, dst, t, ping_id, static_cast<uint16_t>(a + 1));
          t += kMicrosPerSecond + rng.Range(0, 20 * kMicrosPerMilli);
          break;
      }
    }
    return t;
  }

  int Attempts(Behavior b) {
    double u = rng.Unit();
    int n;
    if (u < 0.80) {
      n = 1;
    } else if (u < 0.91) {
      n = 2;
    } else {
      n = 3 + static_cast<int>(std::min(30.0, 1.5 / rng.UnitPositive()));
    }
    if (b == Behavior::kBrute && rng.Chance(0.35)) n += static_cast<int>(rng.Range(1, 6));
    if (b == Behavior::kPing && n == 1 && rng.Chance(0.15)) n = 4;  // ping.exe
    return n;
  }

  IpAddress Target(const Point& point) {
    if (point.v4_size == 1) return point.host_v4;
    // Scanners sweep the /29; the live host gets a little more.
    if (rng.Chance(0.25)) return point.host_v4;
    return IpAddress::FromV4(point.v4_base + static_cast<uint32_t>(rng.Below(point.v4_size)));
  }

  // A base session: a prober's visit to a point on one day.
  void Base(const Point& point) {
    if (rng.Chance(kFragmentChance)) {
      Prober p = BackgroundProber(plan, rng);
      FragmentedPing(p, Target(point), 0);
      return;
    }
    if (point.has_v6 && rng.Chance(kV6Chance)) {
      V6Session(point);
      return;
    }
    if (rng.Chance(kHeavyChance)) {
      Heavy(point);
      return;
    }
    Prober p = BackgroundProber(plan, rng);
    IpAddress dst = Target(point);
    if (p.multi_port) {
      int ports = static_cast<int>(rng.Range(2, 7));
      int64_t t = 0;
      for (int i = 0; i < ports; ++i) {
        const PortEntry& e = generate::PickPort(plan.port_cum, rng.Unit());
        t = Probe(p, dst, e, 1, t, /*single_packet=*/true) +
            rng.Range(10 * kMicrosPerMilli, kMicrosPerSecond);
      }
      return;
    }
    Probe(p, dst, *p.primary, Attempts(p.primary->behavior), 0, false);
  }

  // A heavy hitter: thousands of packets from one source in one visit.
  void Heavy(const Point& point) {
    auto rank = std::upper_bound(plan.heavy_cum.begin(), plan.heavy_cum.end(),
                                 rng.Unit() * plan.heavy_cum.back()) -
                plan.heavy_cum.begin();
    Prober p;
    p.id = SlotIdentity(plan.options->seed, kTagHeavy, static_cast<uint64_t>(rank),
                        plan.month_index, 4);
    p.address = generate::Ipv4SourceFromBits(p.id).address;
    FillProberTraits(&p, plan);
    p.multi_port = false;
    static const std::array<PortEntry, 6> kHeavyPorts = {{
        {PortType::Tcp(445), 1, Behavior::kWorm, Payload::kNone},
        {PortType::Tcp(22), 1, Behavior::kBrute, Payload::kNone},
        {PortType::Tcp(1433), 1, Behavior::kBrute, Payload::kNone},
        {PortType::Icmp(), 1, Behavior::kPing, Payload::kNone},
        {PortType::Tcp(135), 1, Behavior::kWorm, Payload::kNone},
        {PortType::Tcp(3389), 1, Behavior::kBrute, Payload::kNone},
    }};
    static constexpr std::array<int, 6> kHeavyCum = {40, 55, 65, 76, 88, 91};
    int r = static_cast<int>((p.id >> 40) % 100);
    auto packets = static_cast<size_t>(20 + std::min(4000.0, 25.0 / rng.UnitPositive()));
    IpAddress dst = Target(point);
    int64_t t = 0;
    size_t start = out.size();
    if (r >= kHeavyCum.back()) {  // a vertical scan over many ports
      while (out.size() - start < packets) {
        const PortEntry& e = generate::PickPort(plan.port_cum, rng.Unit());
        t = Probe(p, dst, e, 1, t, true) + rng.Range(5 * kMicrosPerMilli, 300 * kMicrosPerMilli);
      }
      return;
    }
    size_t which = 0;
    while (r >= kHeavyCum[which]) ++which;
    while (out.size() - start < packets) t = Probe(p, dst, kHeavyPorts[which], 1, t, false);
  }

  void V6Session(const Point& point) {
    uint64_t slot = rng.Below(kV6Slots);
    Prober p;
    p.id = SlotIdentity(plan.options->seed, kTagV6, slot, plan.month_index, 12);
    p.address = generate::Ipv6SourceFromBits(p.id).address;
    p.stack = (p.id >> 20) % 2 == 0 ? ProberStack::kLinux : ProberStack::kRawScanner;
    p.hops = static_cast<uint8_t>(8 + (p.id >> 28) % 16);
    static const std::array<PortEntry, 7> kV6Ports = {{
        {PortType::Tcp(22), 1, Behavior::kBrute, Payload::kNone},
        {PortType::Icmp(), 1, Behavior::kPing, Payload::kNone},
        {PortType::Tcp(80), 1, Behavior::kScan, Payload::kNone},
        {PortType::Tcp(443), 1, Behavior::kScan, Payload::kNone},
        {PortType::Tcp(23), 1, Behavior::kScan, Payload::kNone},
        {PortType::Tcp(3389), 1, Behavior::kBrute, Payload::kNone},
        {PortType::Tcp(445), 1, Behavior::kWorm, Payload::kNone},
    }};
    const PortEntry& e = kV6Ports[(p.id >> 33) % kV6Ports.size()];
    // IPv6 scanners try the addresses people number by hand, or the host.
    static constexpr std::array<uint64_t, 5> kLow = {0x1, 0x2, 0x10, 0x100, 0xBEEF};
    IpAddress dst = V6(point.v6_high, kLow[rng.Below(kLow.size())]);
    Probe(p, dst, e, Attempts(e.behavior), 0, false);
  }
};

// ---------------------------------------------------------------------------
// Placement in the day

// Diurnal weights per local hour: quiet before dawn, busiest in the evening.
constexpr std::array<double, 24> kHourWeight = {0.96, 0.92, 0.88, 0.84, 0.80, 0.78, 0.80, 0.84,
                                                0.90, 0.96, 1.00, 1.02, 1.04, 1.05, 1.06, 1.07,
                                                1.09, 1.11, 1.15, 1.19, 1.22, 1.20, 1.12, 1.03};

// A position in the day [0, 1) drawn from the diurnal curve.
double DiurnalFraction(double u, double v) {
  static const std::array<double, 24> kCum = [] {
    std::array<double, 24> c{};
    double s = 0;
    for (size_t i = 0; i < 24; ++i) c[i] = s += kHourWeight[i];
    return c;
  }();
  double x = u * kCum.back();
  size_t h = static_cast<size_t>(std::upper_bound(kCum.begin(), kCum.end(), x) - kCum.begin());
  if (h > 23) h = 23;
  return (static_cast<double>(h) + v) / 24.0;
}

// Moves a session (times relative to 0) to a start drawn in [start, end) of
// the day, keeping every packet inside the day; appends it to `day_specs`.
void Place(std::vector<PacketSpec>& session, int64_t start, int64_t end, Rng& rng,
           std::vector<PacketSpec>& day_specs) {
  if (session.empty()) return;
  int64_t duration = 0;
  for (const PacketSpec& s : session) duration = std::max(duration, s.time_us);
  int64_t span = end - start;
  if (duration > span - 2 * kMicrosPerSecond) {  // squeeze an over-long session into the day
    double f = static_cast<double>(span - 2 * kMicrosPerSecond) / static_cast<double>(duration);
    for (PacketSpec& s : session)
      s.time_us = static_cast<int64_t>(static_cast<double>(s.time_us) * f);
    duration = span - 2 * kMicrosPerSecond;
  }
  double frac = DiurnalFraction(rng.Unit(), rng.Unit());
  int64_t t0 = start + static_cast<int64_t>(frac * static_cast<double>(span));
  if (t0 + duration >= end) t0 = end - 1 - duration;
  if (t0 < start) t0 = start;
  for (PacketSpec& s : session) {
    s.time_us += t0;
    day_specs.push_back(s);
  }
}

// ---------------------------------------------------------------------------
// Non-access traffic: the host's own flows and their answers, link chatter.

struct BackgroundBuilder {
  const Point& point;
  Rng& rng;
  std::vector<PacketSpec>& out;

  PacketSpec Make(const IpAddress& src, const IpAddress& dst, int64_t t, LinkDirection link) {
    PacketSpec s;
    s.time_us = t;
    s.src = src;
    s.dst = dst;
    s.link = link;
    s.ip_id = static_cast<uint16_t>(rng.Next());
    s.ttl = link == LinkDirection::kOutbound ? 64 : 57;
    s.access = false;
    return s;
  }

  void Dns() {
    bool v6 = point.has_v6 && rng.Chance(0.3);
    IpAddress host = v6 ? point.host_v6 : point.host_v4;
    IpAddress resolver = v6 ? kResolverV6 : kResolverV4;
    auto port = static_cast<uint16_t>(rng.Range(49152, 65535));
    PacketSpec q = Make(host, resolver, 0, LinkDirection::kOutbound);
    q.shape = Shape::kUdp;
    q.sport = port;
    q.dport = 53;
    q.payload = 33;
    q.payload_kind = Payload::kDnsQuery;
    out.push_back(q);
    PacketSpec r = Make(resolver, host, rng.Range(4 * kMicrosPerMilli, 60 * kMicrosPerMilli),
                        LinkDirection::kInbound);
    r.shape = Shape::kUdp;
    r.sport = 53;
    r.dport = port;
    r.payload = static_cast<uint16_t>(rng.Range(49, 200));
    r.payload_kind = Payload::kDnsQuery;
    out.push_back(r);
  }

  void Https() {
    bool v6 = point.has_v6 && rng.Chance(0.4);
    IpAddress host = v6 ? point.host_v6 : point.host_v4;
    IpAddress server = v6 ? kWebServerV6 : kWebServerV4;
    auto port = static_cast<uint16_t>(rng.Range(49152, 65535));
    int64_t rtt = rng.Range(15 * kMicrosPerMilli, 160 * kMicrosPerMilli);
    uint32_t cseq = static_cast<uint32_t>(rng.Next());
    uint32_t sseq = static_cast<uint32_t>(rng.Next());
    int64_t t = 0;
    auto seg = [&](bool outbound, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t len,
                   int64_t at) {
      PacketSpec s = outbound ? Make(host, server, at, LinkDirection::kOutbound)
                              : Make(server, host, at, LinkDirection::kInbound);
      s.shape = Shape::kTcp;
      s.sport = outbound ? port : 443;
      s.dport = outbound ? 443 : port;
      s.tcp_flags = flags;
      s.seq = seq;
      s.ack = ack;
      s.window = outbound ? 502 : 501;
      s.payload = len;
      s.payload_kind = len > 0 ? Payload::kTls : Payload::kNone;
      s.options = static_cast<uint8_t>((flags & kTcpSyn) ? TcpOptions::kLinux : TcpOptions::kNone);
      if (flags & kTcpSyn) s.window = 64240;
      out.push_back(s);
    };
    seg(true, kTcpSyn, cseq, 0, 0, t);
    seg(false, kTcpSyn | kTcpAck, sseq, cseq + 1, 0, t += rtt);
    seg(true, kTcpAck, cseq + 1, sseq + 1, 0, t += 100);
    seg(true, kTcpPsh | kTcpAck, cseq + 1, sseq + 1, 517, t += 200);
    seg(false, kTcpAck, sseq + 1, cseq + 518, 1400, t += rtt);
    seg(true, kTcpAck, cseq + 518, sseq + 1401, 0, t += 150);
    seg(false, kTcpPsh | kTcpAck, sseq + 1401, cseq + 518, 620, t += 900);
    seg(true, kTcpAck, cseq + 518, sseq + 2021, 0, t += 120);
    t += rng.Range(200 * kMicrosPerMilli, 20 * kMicrosPerSecond);
    seg(true, kTcpFin | kTcpAck, cseq + 518, sseq + 2021, 0, t);
    seg(false, kTcpFin | kTcpAck, sseq + 2021, cseq + 519, 0, t += rtt);
    seg(true, kTcpAck, cseq + 519, sseq + 2022, 0, t += 100);
  }

  void Arp() {
    PacketSpec q = Make(point.gateway_v4, point.host_v4, 0, LinkDirection::kBroadcast);
    q.shape = Shape::kArpRequest;
    out.push_back(q);
    PacketSpec r =
        Make(point.host_v4, point.gateway_v4, rng.Range(100, 900), LinkDirection::kOutbound);
    r.shape = Shape::kArpReply;
    out.push_back(r);
  }

  // The host asks a time server that has no NTP service: the server answers
  // with ICMP port unreachable quoting the host's datagram (a reply, not an access).
  void NtpRefused() {
    auto port = static_cast<uint16_t>(rng.Range(49152, 65535));
    PacketSpec q = Make(point.host_v4, kNtpServerV4, 0, LinkDirection::kOutbound);
    q.shape = Shape::kUdp;
    q.sport = port;
    q.dport = 123;
    q.payload = 48;
    q.payload_kind = Payload::kNtp;
    out.push_back(q);
    PacketSpec e =
        Make(kNtpServerV4, point.host_v4, rng.Range(10 * kMicrosPerMilli, 90 * kMicrosPerMilli),
             LinkDirection::kInbound);
    e.shape = Shape::kIcmpPortUnreachable;
    e.sport = 123;   // the quoted destination port
    e.dport = port;  // the quoted source port
    e.payload = 48;
    e.ack = q.ip_id;
    out.push_back(e);
  }

  void Broadcast() {
    uint64_t which = rng.Below(3);
    PacketSpec s;
    if (which == 0) {  // DHCP discover from a neighbour
      s = Make(IpAddress::FromV4(0), IpAddress::FromV4(0xFFFFFFFFu), 0, LinkDirection::kBroadcast);
      s.sport = 68;
      s.dport = 67;
      s.payload = 300;
      s.ttl = 128;
    } else if (which == 1) {  // NetBIOS name query to the subnet broadcast
      s = Make(point.neighbor_v4, point.subnet_broadcast_v4, 0, LinkDirection::kBroadcast);
      s.sport = 137;
      s.dport = 137;
      s.payload = 50;
      s.payload_kind = Payload::kNbnsStatus;
      s.ttl = 128;
    } else {  // SSDP discovery
      s = Make(point.neighbor_v4, IpAddress::FromV4(0xEFFFFFFAu), 0, LinkDirection::kBroadcast);
      s.sport = static_cast<uint16_t>(rng.Range(49152, 65535));
      s.dport = 1900;
      s.payload = 125;
      s.ttl = 4;
    }
    s.shape = Shape::kUdp;
    if (s.payload_kind == Payload::kNone) s.payload_kind = Payload::kPattern;
    out.push_back(s);
  }

  void NeighborSolicit() {
    PacketSpec s = Make(kLinkLocalRouter, point.host_v6, 0, LinkDirection::kInbound);
    s.shape = Shape::kNeighborSolicit;
    s.ttl = 255;
    out.push_back(s);
  }

  void RouterAdvert() {
    PacketSpec s = Make(kLinkLocalRouter, kAllNodes, 0, LinkDirection::kBroadcast);
    s.shape = Shape::kRouterAdvert;
    s.ttl = 255;
    out.push_back(s);
  }

  void One() {
    double w6 = point.has_v6 ? 1.0 : 0.0;
    const std::array<double, 7> weights = {34, 20, 14, 6, 16, 6 * w6, 4 * w6};
    double total = 0;
    for (double w : weights) total += w;
    double x = rng.Unit() * total;
    size_t k = 0;
    while (k + 1 < weights.size() && x >= weights[k]) x -= weights[k++];
    switch (k) {
      case 0:
        return Dns();
      case 1:
        return Https();
      case 2:
        return Arp();
      case 3:
        return NtpRefused();
      case 4:
        return Broadcast();
      case 5:
        return NeighborSolicit();
      default:
        return RouterAdvert();
    }
  }
};

// Keeps the first `n` packets of a session in time order.
void Truncate(std::vector<PacketSpec>& session, size_t n) {
  if (session.size() <= n) return;
  std::stable_sort(session.begin(), session.end(),
                   [](const PacketSpec& a, const PacketSpec& b) { return a.time_us < b.time_us; });
  session.resize(n);
}

// ---------------------------------------------------------------------------
// The month's plan

std::vector<double> MonthPortWeights(uint64_t seed, int month_index) {
  std::vector<double> cum;
  double total = 0;
  auto mix = generate::BasePortMix();
  for (size_t i = 0; i < mix.size(); ++i) {
    double phase = UnitFromBits(HashOf({seed, kTagPortDrift, i}));
    double period = 8.0 + 10.0 * UnitFromBits(HashOf({seed, kTagPortDrift, i, 1}));
    double drift = 1.0 + 0.12 * Wave(month_index / period + phase);
    total += mix[i].weight * drift;
    cum.push_back(total);
  }
  return cum;
}

// Splits `total` in proportion to `weights` exactly (largest remainder).
std::vector<uint64_t> Apportion(uint64_t total, const std::vector<double>& weights) {
  double sum = 0;
  for (double w : weights) sum += w;
  std::vector<uint64_t> parts(weights.size());
  std::vector<std::pair<double, size_t>> rest;
  uint64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    double exact = static_cast<double>(total) * weights[i] / sum;
    parts[i] = static_cast<uint64_t>(exact);
    given += parts[i];
    rest.emplace_back(exact - static_cast<double>(parts[i]), i);
  }
  std::sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t k = 0; given < total; ++k, ++given) ++parts[rest[k % rest.size()].second];
  return parts;
}

void PlanEvents(Plan* plan) {
  const uint64_t seed = plan->options->seed;
  Rng rng(HashOf({seed, kTagEvent, static_cast<uint64_t>(plan->month_index)}));
  const int days = plan->days;
  const int points = static_cast<int>(plan->points.size());
  auto clamp_day = [days](int d) { return std::clamp(d, 0, days - 1); };

  static const std::array<PortType, 7> kSurgePorts = {
      PortType::Tcp(2967), PortType::Tcp(5900), PortType::Tcp(8080), PortType::Tcp(4899),
      PortType::Udp(1434), PortType::Udp(5060), PortType::Tcp(3306)};
  static const std::array<PortType, 3> kConcentrationPorts = {PortType::Tcp(22), PortType::Tcp(23),
                                                              PortType::Tcp(3389)};
  static const std::array<PortType, 5> kFallPorts = {PortType::Udp(1026), PortType::Udp(1027),
                                                     PortType::Tcp(135), PortType::Tcp(139),
                                                     PortType::Tcp(1433)};
  bool surge = rng.Chance(0.7);
  bool fresh = rng.Chance(0.6);
  bool concentration = rng.Chance(0.5);
  bool fall = rng.Chance(0.35);
  if (!surge && !fresh && !concentration && !fall) surge = true;

  if (surge) {
    Event e;
    e.kind = EventKind::kSurge;
    e.port = kSurgePorts[rng.Below(kSurgePorts.size())];
    e.behavior = e.port.kind() == PortKind::kUdp ? Behavior::kUdpProbe : Behavior::kWorm;
    e.first_day = clamp_day(static_cast<int>(rng.Range(0, 9)));
    e.last_day = clamp_day(e.first_day + static_cast<int>(rng.Range(5, 12)));
    e.level = 0.04 + 0.08 * rng.Unit();
    plan->events.push_back(e);
  }
  if (fresh) {
    auto candidates = generate::NewPortCandidates();
    // Rotating through the candidates by month: never the same port two months running.
    uint16_t port =
        candidates[(HashOf({seed, kTagNewPort}) + static_cast<uint64_t>(plan->month_index)) %
                   candidates.size()];
    bool both = rng.Chance(0.5);
    Event e;
    e.kind = EventKind::kNew;
    e.point = static_cast<int>(rng.Below(static_cast<uint64_t>(points)));
    e.first_day = clamp_day(static_cast<int>(rng.Range(0, 10)));
    e.last_day = clamp_day(e.first_day + static_cast<int>(rng.Range(3, 9)));
    e.level = 0.25 + 0.5 * rng.Unit();
    e.single_source = true;
    auto src = generate::Ipv4SourceFromBits(rng.Next());
    e.source = src.address;
    e.country = src.country;
    e.port = PortType::Tcp(port);
    e.behavior = Behavior::kScan;
    if (both) e.level *= 0.6;
    plan->events.push_back(e);
    if (both) {
      e.port = PortType::Udp(port);
      e.behavior = Behavior::kUdpProbe;
      e.level *= 0.7;
      plan->events.push_back(e);
    }
  }
  if (concentration) {
    Event e;
    e.kind = EventKind::kConcentration;
    e.port = kConcentrationPorts[rng.Below(kConcentrationPorts.size())];
    e.behavior = Behavior::kBrute;
    e.point = static_cast<int>(rng.Below(static_cast<uint64_t>(points)));
    e.first_day = clamp_day(static_cast<int>(rng.Range(0, days - 3)));
    e.last_day = clamp_day(e.first_day + static_cast<int>(rng.Range(0, 2)));
    e.level = 0.5 + 0.8 * rng.Unit();
    e.single_source = true;
    auto src = generate::Ipv4SourceFromBits(rng.Next());
    e.source = src.address;
    e.country = src.country;
    plan->events.push_back(e);
  }
  if (fall) {
    Event e;
    e.kind = EventKind::kFall;
    e.port = kFallPorts[rng.Below(kFallPorts.size())];
    e.first_day = clamp_day(static_cast<int>(rng.Range(8, 20)));
    e.last_day =
        rng.Chance(0.5) ? days - 1 : clamp_day(e.first_day + static_cast<int>(rng.Range(5, 10)));
    e.level = 0.9;  // share of the port's sessions dropped on those days
    plan->events.push_back(e);
  }
  for (Event& e : plan->events) e.daily.assign(static_cast<size_t>(days), 0);
}

Plan MakePlan(const GenerateOptions& o) {
  Plan plan;
  plan.options = &o;
  plan.month_index = MonthIndex(o.month);
  plan.days = o.month.days;
  plan.points = MakePoints(o.seed, o.points, plan.month_index);
  for (int d = 0; d <= plan.days; ++d) {
    plan.day_start_us.push_back(o.zone.DayStartUtcNs(o.month.first_day + d) / 1000);
  }
  plan.port_cum = MonthPortWeights(o.seed, plan.month_index);
  double total = 0;
  for (int r = 0; r < kHeavySlots; ++r) {
    total += 1.0 / (r + 1.0);
    plan.heavy_cum.push_back(total);
  }
  const double month_phase = UnitFromBits(HashOf({o.seed, kTagMonth}));
  const double share = kAccessShare + 0.025 * Wave(plan.month_index / 9.0 + month_phase);
  const double accesses = static_cast<double>(o.packets) * share;
  plan.slots = std::max<uint64_t>(
      500, static_cast<uint64_t>(accesses / 5.0 *
                                 (1.0 + 0.1 * Wave(plan.month_index / 13.0 + month_phase))));

  // Point-day weights: the point's level, the weekday, day-to-day noise and
  // the day's length (DST days have 23 or 25 hours).
  static constexpr std::array<double, 7> kWeekday = {1.03, 1.04, 1.03, 1.02, 0.99, 0.93, 0.96};
  std::vector<double> weights;
  for (const Point& p : plan.points) {
    for (int d = 0; d < plan.days; ++d) {
      int32_t day = o.month.first_day + d;
      Rng r(HashOf({o.seed, kTagDayWeight, static_cast<uint64_t>(plan.month_index),
                    static_cast<uint64_t>(p.index), static_cast<uint64_t>(d)}));
      double noise = 0.85 + 0.3 * r.Unit() + (r.Chance(0.05) ? 0.25 : 0.0);
      double hours = static_cast<double>(plan.day_start_us[d + 1] - plan.day_start_us[d]) /
                     (3600.0 * kMicrosPerSecond);
      weights.push_back(p.weight * kWeekday[static_cast<size_t>((day + 3) % 7)] * noise * hours /
                        24.0);
    }
  }
  std::vector<uint64_t> parts = Apportion(o.packets, weights);
  plan.pd_packets.assign(plan.points.size(), std::vector<uint64_t>(plan.days));
  plan.pd_accesses = plan.pd_packets;
  for (size_t p = 0; p < plan.points.size(); ++p) {
    for (int d = 0; d < plan.days; ++d) {
      uint64_t n = parts[p * static_cast<size_t>(plan.days) + static_cast<size_t>(d)];
      Rng r(HashOf({o.seed, kTagDayWeight, static_cast<uint64_t>(plan.month_index), p,
                    static_cast<uint64_t>(d), 1}));
      double s = share + 0.02 * (r.Unit() - 0.5);
      plan.pd_packets[p][d] = n;
      plan.pd_accesses[p][d] =
          std::min<uint64_t>(n, static_cast<uint64_t>(static_cast<double>(n) * s + 0.5));
    }
  }
  plan.mean_access_pd = accesses / (static_cast<double>(plan.points.size()) * plan.days);
  PlanEvents(&plan);
  return plan;
}

// ---------------------------------------------------------------------------
// Events inside a point-day

// The surge's shape over its days: a quick rise, then a slower decay.
double SurgeProfile(const Event& e, int day) {
  double len = e.last_day - e.first_day + 1;
  double x = (day - e.first_day + 0.5) / len;
  double shape = x < 0.35 ? x / 0.35 : (1.0 - x) / 0.65;
  return 0.25 + 0.75 * shape;
}

void RecordEventPacket(Event& e, const PacketSpec& s, int day, int point) {
  e.accesses += 1;
  e.daily[static_cast<size_t>(day)] += 1;
  if (e.sources.size() < 100000) e.sources.insert(s.src);
  if (e.gross.size() < 200000) e.gross.emplace(s.src, day, point);
}

// Adds the active events' packets of one point-day; returns how many.
uint64_t AddEvents(Plan& plan, const Point& point, int day, uint64_t budget, Rng& rng,
                   std::vector<PacketSpec>& session, std::vector<PacketSpec>& day_specs) {
  const int64_t start = plan.day_start_us[day];
  const int64_t end = plan.day_start_us[day + 1];
  uint64_t used = 0;
  for (Event& e : plan.events) {
    if (e.kind == EventKind::kFall || !e.Active(point.index, day)) continue;
    double level = e.level * (0.7 + 0.6 * rng.Unit());
    if (e.kind == EventKind::kSurge) level *= SurgeProfile(e, day) * point.weight;
    uint64_t cap = (budget - used) * 6 / 10;
    uint64_t want = std::min(cap, static_cast<uint64_t>(plan.mean_access_pd * level + 0.5));
    SessionBuilder b{plan, rng, session};
    const PortEntry entry{e.port, 1, e.behavior,
                          e.port.kind() == PortKind::kUdp ? Payload::kPattern : Payload::kNone};
    uint64_t added = 0;
    if (e.single_source) {
      // One source hammering one point: bursts spread over a window of hours.
      Prober p;
      p.address = e.source;
      p.id = Mix64(e.source.Low());
      p.stack = e.kind == EventKind::kNew ? ProberStack::kRawScanner : ProberStack::kLinux;
      p.hops = 14;
      int64_t window_start = start + rng.Range(0, 10) * 3600 * kMicrosPerSecond;
      int64_t window = rng.Range(4, 13) * 3600 * kMicrosPerSecond;
      while (added < want) {
        session.clear();
        int64_t t = rng.Range(0, window);
        b.Probe(p, b.Target(point), entry, static_cast<int>(rng.Range(1, 8)), 0, false);
        Truncate(session, want - added);
        for (PacketSpec& s : session) {
          s.time_us =
              std::min(window_start + t + s.time_us, end - 1 - rng.Range(0, kMicrosPerSecond));
          RecordEventPacket(e, s, day, point.index);
          day_specs.push_back(s);
        }
        added += session.size();
      }
    } else {
      // Many sources of the background population turn to one port.
      while (added < want) {
        session.clear();
        Prober p = BackgroundProber(plan, rng);
        b.Probe(p, b.Target(point), entry, b.Attempts(e.behavior), 0, false);
        Truncate(session, want - added);
        size_t before = day_specs.size();
        Place(session, start, end, rng, day_specs);
        for (size_t i = before; i < day_specs.size(); ++i) {
          RecordEventPacket(e, day_specs[i], day, point.index);
        }
        added += session.size();
      }
    }
    used += added;
  }
  return used;
}

// ---------------------------------------------------------------------------
// Output

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

Status WriteText(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Status::IoError(path + ": cannot create");
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (std::fclose(f) == 0) && ok;
  return ok ? Status::Ok() : Status::IoError(path + ": write failed");
}

std::string ConfigText(const Plan& plan) {
  const GenerateOptions& o = *plan.options;
  std::string t = fmt::format(
      "# Written by `scanscope generate` (seed {}): the generated monitoring points.\n"
      "# Their addresses depend on the seed only, so every generated month shares them.\n\n"
      "[report]\ntimezone = \"{}\"\n",
      o.seed, o.zone.name());
  for (const Point& p : plan.points) {
    std::string watch = fmt::format("\"{}\"", p.v4.ToString());
    if (p.has_v6) watch += fmt::format(", \"{}\"", p.v6.ToString());
    t += fmt::format("\n[[point]]\nname = \"{}\"\nwatch = [{}]\ndescription = \"{}\"\n", p.name,
                     watch, JsonEscape(p.description));
  }
  return t;
}

std::string EventsJson(const Plan& plan) {
  const GenerateOptions& o = *plan.options;
  std::string j = fmt::format(
      "{{\n  \"generator\": \"scanscope generate\",\n  \"month\": \"{}\",\n  \"seed\": {},\n"
      "  \"timezone\": \"{}\",\n  \"points\": {},\n  \"events\": [",
      o.month.ToString(), o.seed, JsonEscape(o.zone.name()), plan.points.size());
  bool first = true;
  for (const Event& e : plan.events) {
    std::string points;
    for (const Point& p : plan.points) {
      if (e.point >= 0 && e.point != p.index) continue;
      points += fmt::format("{}\"{}\"", points.empty() ? "" : ", ", p.name);
    }
    std::string daily;
    for (size_t d = 0; d < e.daily.size(); ++d) {
      daily += fmt::format("{}{}", d ? ", " : "", e.daily[d]);
    }
    j += first ? "\n" : ",\n";
    first = false;
    j += fmt::format(
        "    {{\n      \"kind\": \"{}\",\n      \"port_type\": \"{}\",\n      \"points\": [{}],\n"
        "      \"first_day\": \"{}\",\n      \"last_day\": \"{}\",\n"
        "      \"sources\": {},\n      \"gross_sources\": {},\n      \"accesses_added\": {},\n",
        EventKindName(e.kind), e.port.ToString(), points,
        FormatDay(o.month.first_day + e.first_day), FormatDay(o.month.first_day + e.last_day),
        e.sources.size(), e.gross.size(), e.accesses);
    if (e.single_source) {
      j += fmt::format("      \"source_addresses\": [\"{}\"],\n      \"source_country\": \"{}\",\n",
                       e.source.ToString(), e.country);
    }
    j += "      \"daily_accesses\": [" + daily + "]\n    }";
  }
  j += first ? "]\n}\n" : "\n  ]\n}\n";
  return j;
}

}  // namespace

Result<GenerateSummary> GenerateMonth(const GenerateOptions& options,
                                      const std::function<void(double fraction)>& progress) {
  if (options.points < 1 || options.points > kMaxGeneratedPoints) {
    return Status::InvalidArgument(
        fmt::format("--points must be 1..{}, got {}", kMaxGeneratedPoints, options.points));
  }
  if (options.out_dir.empty())
    return Status::InvalidArgument("--out: an output directory is required");
  if (options.packets > (uint64_t{1} << 40)) {
    return Status::InvalidArgument(fmt::format("--packets {} is too many", options.packets));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return Status::IoError(options.out_dir + ": cannot create: " + ec.message());

  Plan plan = MakePlan(options);
  const std::filesystem::path dir(options.out_dir);
  GenerateSummary summary;
  std::vector<PacketSpec> day_specs;
  std::vector<PacketSpec> session;
  std::vector<std::pair<int64_t, uint32_t>> order;
  const double total_days = static_cast<double>(plan.points.size()) * plan.days;

  for (const Point& point : plan.points) {
    std::string path = (dir / (point.name + ".pcap")).string();
    generate::PcapFileWriter writer;
    SCANSCOPE_RETURN_IF_ERROR(writer.Open(path));
    for (int day = 0; day < plan.days; ++day) {
      Rng rng(HashOf({options.seed, kTagPointDay, static_cast<uint64_t>(plan.month_index),
                      static_cast<uint64_t>(point.index), static_cast<uint64_t>(day)}));
      const int64_t start = plan.day_start_us[day];
      const int64_t end = plan.day_start_us[day + 1];
      const uint64_t access_budget = plan.pd_accesses[point.index][day];
      const uint64_t other_budget = plan.pd_packets[point.index][day] - access_budget;
      day_specs.clear();

      uint64_t used = AddEvents(plan, point, day, access_budget, rng, session, day_specs);
      Event* fall = nullptr;
      for (Event& e : plan.events) {
        if (e.kind == EventKind::kFall && e.Active(point.index, day)) fall = &e;
      }
      SessionBuilder builder{plan, rng, session};
      while (used < access_budget) {
        session.clear();
        builder.Base(point);
        if (fall != nullptr && rng.Chance(fall->level)) {
          uint32_t code = fall->port.Code();
          auto it = std::remove_if(session.begin(), session.end(),
                                   [code](const PacketSpec& s) { return s.port_code == code; });
          auto removed = static_cast<int64_t>(session.end() - it);
          fall->accesses -= removed;
          fall->daily[static_cast<size_t>(day)] -= removed;
          session.erase(it, session.end());
        }
        Truncate(session, access_budget - used);
        used += session.size();
        Place(session, start, end, rng, day_specs);
      }

      BackgroundBuilder background{point, rng, session};
      uint64_t other = 0;
      while (other < other_budget) {
        session.clear();
        background.One();
        Truncate(session, other_budget - other);
        other += session.size();
        Place(session, start, end, rng, day_specs);
      }

      order.clear();
      for (uint32_t i = 0; i < day_specs.size(); ++i) order.emplace_back(day_specs[i].time_us, i);
      std::sort(order.begin(), order.end());
      for (const auto& [time, index] : order) {
        const PacketSpec& s = day_specs[index];
        SCANSCOPE_RETURN_IF_ERROR(writer.Write(s, point.link));
        if (s.access) ++summary.accesses;
      }
      if (progress) progress((point.index * plan.days + day + 1) / total_days);
    }
    summary.packets_written += writer.packets();
    SCANSCOPE_RETURN_IF_ERROR(writer.Close());
    summary.files.push_back(path);
  }

  summary.config_path = (dir / "scanscope.toml").string();
  SCANSCOPE_RETURN_IF_ERROR(WriteText(summary.config_path, ConfigText(plan)));
  summary.events_path = (dir / "events.json").string();
  SCANSCOPE_RETURN_IF_ERROR(WriteText(summary.events_path, EventsJson(plan)));
  return summary;
}

}  // namespace scanscope
