// End to end: captures and firewall logs built byte by byte, ingested by the
// scanscope binary, and every figure of `stats --json` compared with an
// independent computation written here (its own calendar arithmetic, its own
// rules for what is an access, its own counting of sources).

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "support/run_command.h"

namespace scanscope::testing {
namespace {

constexpr int64_t kNs = 1'000'000'000;

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
std::string DayText(int64_t days) {
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04d}-{:02d}-{:02d}", y + (m <= 2), m, d);
}

// The zones of this test, with their offsets written out by hand.
// America/New_York in 2026: EDT (-4) from 2026-03-08 07:00 UTC to 2026-11-01 06:00 UTC.
int64_t OffsetSeconds(const std::string& zone, int64_t t_sec) {
  if (zone == "UTC") return 0;
  if (zone == "Asia/Tokyo") return 9 * 3600;
  if (zone == "America/New_York") {
    int64_t dst_start = DaysFromCivil(2026, 3, 8) * 86400 + 7 * 3600;
    int64_t dst_end = DaysFromCivil(2026, 11, 1) * 86400 + 6 * 3600;
    return (t_sec >= dst_start && t_sec < dst_end) ? -4 * 3600 : -5 * 3600;
  }
  ADD_FAILURE() << "zone " << zone;
  return 0;
}
int64_t LocalDay(const std::string& zone, int64_t t_ns) {
  int64_t s = t_ns / kNs;  // all test times are positive
  int64_t local = s + OffsetSeconds(zone, s);
  return local / 86400;
}

struct Expected {
  // (point, port) -> per day accesses and sources
  std::map<std::tuple<int64_t, std::string, std::string>,
           std::pair<uint64_t, std::set<std::string>>>
      cells;
};

// One access the test expects scanscope to count.
struct ExpectedAccess {
  int64_t time_ns;
  std::string point;
  std::string port;
  std::string source;
};

std::string PortText(uint8_t proto, uint16_t port) {
  if (proto == kTcp) return fmt::format("{}/tcp", port);
  if (proto == kUdp) return fmt::format("{}/udp", port);
  if (proto == kIcmp || proto == kIcmpV6) return "ICMP";
  return fmt::format("proto-{}", proto);
}

std::string V4Text(const V4Address& a) {
  return fmt::format("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
}

// Counters the test expects in one file's ingest report.
struct ExpectedCounters {
  uint64_t packets = 0;
  uint64_t accesses = 0;
  uint64_t reply = 0;
  uint64_t icmp_own = 0;
  uint64_t outbound = 0;
  uint64_t not_watched = 0;
  uint64_t not_ip = 0;
  uint64_t neighbor = 0;
  uint64_t malformed = 0;
  uint64_t not_netfilter = 0;
};

class Scenario {
 public:
  explicit Scenario(uint64_t seed) : rng_(seed) {
    for (int i = 0; i < 160; ++i) {
      sources_.push_back(V4Address{static_cast<uint8_t>(1 + rng_() % 180),
                                   static_cast<uint8_t>(rng_()), static_cast<uint8_t>(rng_()),
                                   static_cast<uint8_t>(1 + rng_() % 250)});
    }
  }
  std::mt19937_64& rng() { return rng_; }
  const V4Address& Source() { return sources_[Zipf(sources_.size())]; }
  uint16_t Port() {
    static const uint16_t kTcpPorts[] = {445, 135, 22, 1433, 139, 80, 3389, 23, 8080, 2967, 11245};
    return kTcpPorts[Zipf(std::size(kTcpPorts))];
  }
  // Heavy-ish tail: index i with weight 1/(i+1).
  size_t Zipf(size_t n) {
    double total = 0;
    for (size_t i = 0; i < n; ++i) total += 1.0 / (i + 1);
    double x = std::uniform_real_distribution<double>(0, total)(rng_);
    for (size_t i = 0; i < n; ++i) {
      x -= 1.0 / (i + 1);
      if (x <= 0) return i;
    }
    return n - 1;
  }
  // A time between two days before the month and two days after, in whole
  // microseconds (pcap's resolution) or seconds.
  int64_t Time(bool whole_seconds) {
    int64_t lo = (DaysFromCivil(2026, 11, 1) - 2) * 86400 * kNs;
    int64_t hi = (DaysFromCivil(2026, 12, 1) + 2) * 86400 * kNs;
    int64_t t = std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
    return whole_seconds ? t / kNs * kNs : t / 1000 * 1000;
  }
  // Times right around local midnights of the zones, to test day edges.
  int64_t EdgeTime() {
    static const int64_t kOffsets[] = {0, -9 * 3600, 4 * 3600, 5 * 3600};
    int64_t day = DaysFromCivil(2026, 11, 1) + static_cast<int64_t>(rng_() % 31) - 1;
    int64_t base = (day * 86400 + kOffsets[rng_() % 4]) * kNs;
    int64_t jitter = static_cast<int64_t>(rng_() % 4000) - 2000;  // +-2 ms
    return (base + jitter * 1'000'000) / 1000 * 1000;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<V4Address> sources_;
};

struct TimedFrame {
  int64_t time_ns;
  Bytes data;
  uint32_t interface_id = 0;
};

// Builds one capture point's traffic: frames plus the accesses expected.
class CapturePoint {
 public:
  CapturePoint(std::string name, std::vector<V4Address> watched, Scenario* s)
      : name_(std::move(name)), watched_(std::move(watched)), s_(s) {}

  // Wraps an IP packet for interface `iface` (set by the caller's link choice).
  std::function<Bytes(const Bytes& ip, bool v6, uint32_t* iface)> wrap;

  void Access(int64_t t, const Bytes& ip, bool v6, const std::string& port,
              const std::string& src) {
    Add(t, ip, v6);
    accesses_.push_back({t, name_, port, src});
    ++counters_.accesses;
  }
  void Add(int64_t t, const Bytes& ip, bool v6) {
    uint32_t iface = 0;
    Bytes frame = wrap(ip, v6, &iface);
    frames_.push_back({t, std::move(frame), iface});
    ++counters_.packets;
  }
  void AddRaw(int64_t t, Bytes frame) {
    frames_.push_back({t, std::move(frame), 0});
    ++counters_.packets;
  }

  void Generate(int n, bool with_v6, bool ethernet = true) {
    for (int i = 0; i < n; ++i) {
      int64_t t = (i % 7 == 0) ? s_->EdgeTime() : s_->Time(false);
      const V4Address& dst = watched_[s_->rng()() % watched_.size()];
      const V4Address& src = s_->Source();
      int kind = static_cast<int>(s_->rng()() % 100);
      if (!ethernet && kind >= 88 && kind < 92) kind = 99;  // no link-layer frames in raw IP
      if (kind < 40) {                                      // TCP SYN scan, sometimes with retries
        uint16_t port = s_->Port();
        uint16_t sport = static_cast<uint16_t>(1024 + s_->rng()() % 60000);
        int tries = 1 + static_cast<int>(s_->rng()() % 3);
        for (int k = 0; k < tries; ++k) {
          Access(t + k * 3 * kNs,
                 Ipv4({.source = src, .destination = dst, .protocol = kTcp, .ttl = 113},
                      Tcp({.source_port = sport, .destination_port = port, .flags = kSyn})),
                 false, PortText(kTcp, port), V4Text(src));
        }
      } else if (kind < 55) {  // UDP
        uint16_t port = (s_->rng()() % 2) ? 1026 : 1027;
        Access(t,
               Ipv4({.source = src, .destination = dst, .protocol = kUdp},
                    Udp(5555, port, Bytes(20, 'x'))),
               false, PortText(kUdp, port), V4Text(src));
      } else if (kind < 65) {  // ping
        Access(t,
               Ipv4({.source = src, .destination = dst, .protocol = kIcmp}, IcmpEcho(true, 77, 1)),
               false, "ICMP", V4Text(src));
      } else if (kind < 68) {  // GRE
        Access(t, Ipv4({.source = src, .destination = dst, .protocol = kGre}, Bytes(8, 0)), false,
               "proto-47", V4Text(src));
      } else if (kind < 74) {  // the host's own flow and its reply; sometimes a late "reply"
        ++flow_;
        V4Address remote{8, 8, static_cast<uint8_t>(flow_ >> 8), static_cast<uint8_t>(flow_)};
        uint16_t lport = static_cast<uint16_t>(20000 + flow_ % 40000);
        Add(t,
            Ipv4({.source = dst, .destination = remote, .protocol = kTcp},
                 Tcp({.source_port = lport, .destination_port = 443, .flags = kSyn})),
            false);
        ++counters_.outbound;
        Bytes reply =
            Ipv4({.source = remote, .destination = dst, .protocol = kTcp},
                 Tcp({.source_port = 443, .destination_port = lport, .flags = kSyn | kAck}));
        if (kind == 73) {  // an hour later: no longer a reply, an access to the local port
          Access(t + 3600 * kNs, reply, false, PortText(kTcp, lport), V4Text(remote));
        } else {
          Add(t + 20'000'000, reply, false);
          ++counters_.reply;
        }
      } else if (kind < 77) {  // ICMP port unreachable quoting the host's own UDP packet
        V4Address remote{9, 9, 9, static_cast<uint8_t>(1 + kind)};
        Bytes own = Ipv4({.source = dst, .destination = remote, .protocol = kUdp},
                         Udp(33000, 53, Bytes(12, 0)));
        Add(t,
            Ipv4({.source = remote, .destination = dst, .protocol = kIcmp}, IcmpError(3, 3, own)),
            false);
        ++counters_.icmp_own;
      } else if (kind < 79) {  // backscatter: an error quoting a packet the host never sent
        Bytes other =
            Ipv4({.source = V4("192.0.2.77"), .destination = src, .protocol = kTcp},
                 Tcp({.source_port = 80, .destination_port = 1234, .flags = kSyn | kAck}));
        Access(t,
               Ipv4({.source = src, .destination = dst, .protocol = kIcmp}, IcmpError(3, 1, other)),
               false, "ICMP", V4Text(src));
      } else if (kind < 82) {  // a fragmented UDP datagram: both fragments are accesses of its port
        uint16_t id = static_cast<uint16_t>(s_->rng()());
        Bytes first_payload = Concat(Udp(4000, 1434, Bytes(40, 'a')), Bytes{});
        first_payload.resize(24);
        Access(t,
               Ipv4({.source = src,
                     .destination = dst,
                     .protocol = kUdp,
                     .id = id,
                     .more_fragments = true},
                    first_payload),
               false, "1434/udp", V4Text(src));
        Access(t + 1000,
               Ipv4({.source = src,
                     .destination = dst,
                     .protocol = kUdp,
                     .id = id,
                     .fragment_offset_units = 3},
                    Bytes(24, 'b')),
               false, "1434/udp", V4Text(src));
      } else if (kind < 84) {  // a lone non-first fragment: its protocol only
        Access(t,
               Ipv4({.source = src,
                     .destination = dst,
                     .protocol = kUdp,
                     .id = 4242,
                     .fragment_offset_units = 100},
                    Bytes(16, 'c')),
               false, "proto-17", V4Text(src));
      } else if (kind < 88) {  // to an address nobody watches
        Add(t,
            Ipv4({.source = src, .destination = V4("192.0.2.99"), .protocol = kTcp},
                 Tcp({.destination_port = 445})),
            false);
        ++counters_.not_watched;
      } else if (kind < 90) {  // ARP
        AddRaw(t, Ethernet(kEtherArp, Bytes(28, 1)));
        ++counters_.not_ip;
      } else if (kind < 92) {  // a truncated IPv4 header
        AddRaw(t, Ethernet(kEtherIpv4,
                           FirstBytes(Ipv4({.source = src, .destination = dst}, Tcp({})), 12)));
        ++counters_.malformed;
      } else if (with_v6 && kind < 97) {  // IPv6 scans to the /64
        V6Address d6 = V6("2001:db8:10::1");
        d6[15] = static_cast<uint8_t>(1 + s_->rng()() % 3);
        V6Address s6 = V6("2400:cb00::1");
        s6[14] = static_cast<uint8_t>(s_->rng()() % 3);
        s6[15] = static_cast<uint8_t>(s_->rng()() % 5);
        std::string s6_text = fmt::format("2400:cb00::{:x}", (s6[14] << 8) | s6[15]);
        uint16_t port = s_->Port();
        Access(t,
               Ipv6({.source = s6, .destination = d6, .next_header = kTcp},
                    Tcp({.destination_port = port, .flags = kSyn}), {Ipv6OptionsHeader(0)}),
               true, PortText(kTcp, port), s6_text);
      } else if (with_v6 && kind < 99) {  // neighbor solicitation: link control, not an access
        Add(t,
            Ipv6({.source = V6("fe80::1"),
                  .destination = V6("2001:db8:10::1"),
                  .next_header = kIcmpV6,
                  .hop_limit = 255},
                 Icmpv6(135, 0, 0, Bytes(16, 0))),
            true);
        ++counters_.neighbor;
      } else {  // one more SYN, with a VLAN tag decided by the wrapper
        Access(t,
               Ipv4({.source = src, .destination = dst, .protocol = kTcp},
                    Tcp({.destination_port = 22})),
               false, "22/tcp", V4Text(src));
      }
    }
    std::stable_sort(frames_.begin(), frames_.end(), [](const TimedFrame& a, const TimedFrame& b) {
      return a.time_ns < b.time_ns;
    });
  }

  std::vector<CapturedPacket> Packets() const {
    std::vector<CapturedPacket> out;
    for (const TimedFrame& f : frames_) out.push_back({f.time_ns, f.data, 0, f.interface_id});
    return out;
  }
  const std::vector<ExpectedAccess>& accesses() const { return accesses_; }
  const ExpectedCounters& counters() const { return counters_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<V4Address> watched_;
  Scenario* s_;
  std::vector<TimedFrame> frames_;
  std::vector<ExpectedAccess> accesses_;
  ExpectedCounters counters_;
  int flow_ = 0;
};

bool WriteGzip(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb6");
  if (f == nullptr) return false;
  bool ok = gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size());
  return gzclose(f) == Z_OK && ok;
}

// A netfilter log for one point, with the lines' expected accesses.
struct LogPoint {
  std::string text;
  std::vector<ExpectedAccess> accesses;
  ExpectedCounters counters;
};

LogPoint BuildLog(Scenario* s, const std::string& point, const std::string& watched) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct Line {
    int64_t t;
    std::string text;
  };
  std::vector<Line> lines;
  LogPoint out;
  // Classic stamps are Tokyo wall time (the test passes --log-tz Asia/Tokyo).
  auto classic = [&](int64_t t_ns) {
    int64_t local = t_ns / kNs + 9 * 3600;
    std::string day = DayText(local / 86400);  // YYYY-MM-DD
    int month = std::stoi(day.substr(5, 2));
    int dom = std::stoi(day.substr(8, 2));
    int64_t sod = local % 86400;
    return fmt::format("{} {:2d} {:02d}:{:02d}:{:02d} fw1 kernel: [{}.{:06d}] ", kMonths[month - 1],
                       dom, sod / 3600, sod / 60 % 60, sod % 60, 1000 + t_ns / kNs % 100000, 0);
  };
  auto iso = [&](int64_t t_ns) {
    int64_t local = t_ns / kNs - 5 * 3600;  // written with an explicit -05:00 offset
    int64_t sod = ((local % 86400) + 86400) % 86400;
    return fmt::format("{}T{:02d}:{:02d}:{:02d}.250000-05:00 fw1 kernel: ", DayText(local / 86400),
                       sod / 3600, sod / 60 % 60, sod % 60);
  };
  for (int i = 0; i < 1500; ++i) {
    int64_t t = (i % 5 == 0) ? s->EdgeTime() / kNs * kNs : s->Time(true);
    bool use_iso = s->rng()() % 3 == 0;
    std::string stamp = use_iso ? iso(t) : classic(t);
    const V4Address& src = s->Source();
    std::string srcs = V4Text(src);
    int kind = static_cast<int>(s->rng()() % 100);
    std::string head =
        fmt::format("{}IN=eth0 OUT= MAC=00:16:3e:00:00:01:00:16:3e:00:00:02:08:00 SRC={} DST={} ",
                    kind % 2 ? "[UFW BLOCK] " : "DROP-IN: ", srcs, watched);
    std::string text;
    if (kind < 50) {
      uint16_t port = s->Port();
      text =
          stamp + head +
          fmt::format(
              "LEN=52 TOS=0x00 PREC=0x00 TTL=115 ID=2345 DF PROTO=TCP SPT=51234 DPT={} WINDOW=8192 "
              "RES=0x00 SYN URGP=0",
              port);
      out.accesses.push_back({t, point, PortText(kTcp, port), srcs});
    } else if (kind < 62) {
      text = stamp + head +
             "LEN=420 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT=5070 DPT=5060 LEN=400";
      out.accesses.push_back({t, point, "5060/udp", srcs});
    } else if (kind < 72) {
      text = stamp + head +
             "LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=77 PROTO=ICMP TYPE=8 CODE=0 ID=512 SEQ=1";
      out.accesses.push_back({t, point, "ICMP", srcs});
    } else if (kind < 75) {
      text = stamp + head + "LEN=48 TOS=0x00 PREC=0x00 TTL=50 ID=78 PROTO=47";
      out.accesses.push_back({t, point, "proto-47", srcs});
    } else if (kind < 80) {  // an ICMP error quoting the host's own packet: a reply
      text = stamp + head +
             fmt::format(
                 "LEN=88 TOS=0x00 PREC=0xC0 TTL=60 ID=9 PROTO=ICMP TYPE=3 CODE=3 [SRC={} DST={} "
                 "LEN=60 "
                 "TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDP SPT=33000 DPT=53 LEN=40 ] ",
                 watched, srcs);
      ++out.counters.icmp_own;
    } else if (kind < 84) {  // the host's own dropped outbound packet
      text = stamp +
             fmt::format(
                 "DROP-OUT: IN= OUT=eth0 SRC={} DST={} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=5 DF "
                 "PROTO=TCP SPT=40000 DPT=25 WINDOW=64240 RES=0x00 SYN URGP=0",
                 watched, srcs);
      ++out.counters.outbound;
    } else if (kind < 92) {  // other lines of the same log
      text = stamp.substr(0, stamp.find("kernel:")) + "sshd[811]: Failed password for root from " +
             srcs + " port 41000 ssh2";
      ++out.counters.not_netfilter;
      --out.counters.packets;
    } else {  // a LOG line cut short before its ports
      text = stamp + head + "LEN=52 TOS=0x00 PREC=0x00 TTL=115 ID=2345 DF PROTO=TCP SPT=512";
      ++out.counters.malformed;
      --out.counters.packets;
    }
    ++out.counters.packets;
    lines.push_back({t, text});
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.t < b.t; });
  for (const Line& l : lines) out.text += l.text + "\n";
  out.counters.accesses = out.accesses.size();
  return out;
}

// What stats --json must say, computed from the expected accesses.
nlohmann::json ExpectedStats(const std::vector<ExpectedAccess>& all, const std::string& zone) {
  int64_t first = DaysFromCivil(2026, 11, 1), last = DaysFromCivil(2026, 11, 30);
  std::map<std::tuple<int64_t, std::string, std::string>,
           std::pair<uint64_t, std::set<std::string>>>
      cells;
  for (const ExpectedAccess& a : all) {
    int64_t day = LocalDay(zone, a.time_ns);
    if (day < first || day > last) continue;
    auto& cell = cells[{day, a.point, a.port}];
    ++cell.first;
    cell.second.insert(a.source);
  }
  uint64_t accesses = 0, sources = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_port, by_point, by_day;
  for (const auto& [key, cell] : cells) {
    const auto& [day, point, port] = key;
    accesses += cell.first;
    sources += cell.second.size();
    for (auto* m : {&by_port, &by_point}) {
      auto& f = (*m)[m == &by_port ? port : point];
      f.first += cell.first;
      f.second += cell.second.size();
    }
    auto& d = by_day[DayText(day)];
    d.first += cell.first;
    d.second += cell.second.size();
  }
  auto sorted = [](const std::map<std::string, std::pair<uint64_t, uint64_t>>& m, const char* key,
                   bool by_name) {
    std::vector<std::tuple<std::string, uint64_t, uint64_t>> v;
    for (const auto& [name, f] : m) v.emplace_back(name, f.first, f.second);
    if (!by_name) {
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) > std::get<1>(b);
        return std::get<0>(a) < std::get<0>(b);
      });
    }
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& [name, a, s] : v)
      arr.push_back({{key, name}, {"accesses", a}, {"sources", s}});
    return arr;
  };
  uint64_t points = by_point.size();
  uint64_t denominator = points * 30;
  auto hundredths = [&](uint64_t n) {  // round half up to 2 decimals
    return denominator == 0
               ? 0.0
               : std::floor(static_cast<double>(n * 200 + denominator) / (2 * denominator)) / 100.0;
  };
  return {
      {"month", "2026-11"},
      {"timezone", zone},
      {"points", points},
      {"days", 30},
      {"accesses", accesses},
      {"sources", sources},
      {"per_point_per_day", {{"accesses", hundredths(accesses)}, {"sources", hundredths(sources)}}},
      {"by_port", sorted(by_port, "port", false)},
      {"by_day", sorted(by_day, "day", true)},
      {"by_point", sorted(by_point, "point", false)}};
}

std::string Bin() { return SCANSCOPE_BINARY; }

void ExpectCounters(const nlohmann::json& report, const ExpectedCounters& want, bool log) {
  SCOPED_TRACE(report.dump());
  const nlohmann::json& c = report["counters"];
  auto get = [&](const std::string& name) -> uint64_t {
    return c.contains(name) ? c[name].get<uint64_t>() : 0;
  };
  uint64_t malformed = 0;
  for (const auto& [name, v] : c.items()) {
    if (name.rfind("malformed.", 0) == 0) malformed += v.get<uint64_t>();
  }
  EXPECT_EQ(report["accesses"].get<uint64_t>(), want.accesses);
  EXPECT_EQ(report["packets"].get<uint64_t>(), want.packets);
  EXPECT_EQ(get("reply"), want.reply);
  EXPECT_EQ(get("icmp_error_about_own_traffic"), want.icmp_own);
  EXPECT_EQ(get("outbound"), want.outbound);
  EXPECT_EQ(get("not_watched"), want.not_watched);
  EXPECT_EQ(get("neighbor_discovery"), want.neighbor);
  EXPECT_EQ(malformed, want.malformed);
  if (log) {
    EXPECT_EQ(get("log.not_netfilter"), want.not_netfilter);
  } else {
    EXPECT_EQ(get("not_ip"), want.not_ip);
  }
}

class IngestStatsTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(IngestStatsTest, FiguresMatchAnIndependentCountInEveryZone) {
  Scenario s(20261126);
  std::vector<ExpectedAccess> all;
  std::string db = dir_.File("store.db");

  // Point 1: Ethernet pcap (little-endian, microseconds), some frames VLAN-tagged, IPv4 and IPv6.
  CapturePoint eth("p-eth", {V4("192.0.2.10")}, &s);
  eth.wrap = [&](const Bytes& ip, bool v6, uint32_t*) {
    uint16_t type = v6 ? kEtherIpv6 : kEtherIpv4;
    return (ip.size() % 3 == 0) ? Ethernet(type, ip, {VlanTag{.id = 7}}) : Ethernet(type, ip);
  };
  eth.Generate(4000, true);
  ASSERT_TRUE(WriteFile(dir_.File("p-eth.pcap"), PcapFile(1, eth.Packets())));

  // Point 2: pcapng, big-endian, an Ethernet interface and a Linux cooked v2 one in nanoseconds.
  CapturePoint ng("p-ng", {V4("198.51.100.1"), V4("198.51.100.6")}, &s);
  ng.wrap = [&](const Bytes& ip, bool v6, uint32_t* iface) {
    *iface = ip.size() % 2;
    uint16_t type = v6 ? kEtherIpv6 : kEtherIpv4;
    return *iface ? LinuxSll2(type, ip) : Ethernet(type, ip);
  };
  ng.Generate(3000, false);
  ASSERT_TRUE(WriteFile(
      dir_.File("p-ng.pcapng"),
      PcapngFile({{.link_type = 1}, {.link_type = 276, .tsresol = 9}}, ng.Packets(), true)));

  // Point 3: raw IP in a big-endian nanosecond pcap, gzip'd.
  CapturePoint raw("p-raw", {V4("203.0.113.5")}, &s);
  raw.wrap = [&](const Bytes& ip, bool, uint32_t*) { return ip; };
  raw.Generate(2000, false, /*ethernet=*/false);
  Bytes raw_pcap = PcapFile(101, raw.Packets(), {.big_endian = true, .nanosecond = true});
  ASSERT_TRUE(WriteGzip(dir_.File("p-raw.pcap.gz"), raw_pcap));

  // Point 4: a netfilter log with classic (Tokyo) and ISO stamps.
  LogPoint log = BuildLog(&s, "p-log", "192.0.2.200");
  {
    FILE* f = fopen(dir_.File("kern.log").c_str(), "w");
    ASSERT_NE(f, nullptr);
    fwrite(log.text.data(), 1, log.text.size(), f);
    fclose(f);
  }

  struct Input {
    std::string point, watch, file, extra;
    const ExpectedCounters* counters;
    bool log;
  };
  std::vector<Input> inputs = {
      {"p-eth", "192.0.2.10/32,2001:db8:10::/64", "p-eth.pcap", "", &eth.counters(), false},
      {"p-ng", "198.51.100.0/29", "p-ng.pcapng", "", &ng.counters(), false},
      {"p-raw", "203.0.113.5", "p-raw.pcap.gz", "", &raw.counters(), false},
      {"p-log", "192.0.2.200/32", "kern.log", "--log-year 2026 --log-tz Asia/Tokyo", &log.counters,
       true},
  };
  for (const Input& in : inputs) {
    CommandResult r =
        RunCommand(fmt::format("{} ingest --json --db {} --tz UTC --point {} --watch {} {} {}",
                               Bin(), db, in.point, in.watch, in.extra, dir_.File(in.file)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json report = nlohmann::json::parse(r.out);
    ExpectCounters(report, *in.counters, in.log);
  }
  for (const auto* p : {&eth, &ng, &raw})
    all.insert(all.end(), p->accesses().begin(), p->accesses().end());
  all.insert(all.end(), log.accesses.begin(), log.accesses.end());

  // The store kept UTC days; Tokyo and New York are built from the raw records.
  for (std::string zone : {"UTC", "Asia/Tokyo", "America/New_York"}) {
    SCOPED_TRACE(zone);
    CommandResult r =
        RunCommand(fmt::format("{} stats --json --db {} --month 2026-11 --tz {}", Bin(), db, zone));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json got = nlohmann::json::parse(r.out);
    nlohmann::json want = ExpectedStats(all, zone);
    // Compare field by field for readable failures, then whole.
    for (const char* key : {"month", "timezone", "points", "days", "accesses", "sources"}) {
      EXPECT_EQ(got[key], want[key]) << key;
    }
    EXPECT_NEAR(got["per_point_per_day"]["accesses"].get<double>(),
                want["per_point_per_day"]["accesses"].get<double>(), 1e-9);
    EXPECT_NEAR(got["per_point_per_day"]["sources"].get<double>(),
                want["per_point_per_day"]["sources"].get<double>(), 1e-9);
    EXPECT_EQ(got["by_port"], want["by_port"]);
    EXPECT_EQ(got["by_day"], want["by_day"]);
    EXPECT_EQ(got["by_point"], want["by_point"]);
    std::vector<std::string> keys;
    nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(r.out);
    for (const auto& [k, v] : ordered.items()) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"month", "timezone", "points", "days", "accesses",
                                              "sources", "per_point_per_day", "by_port", "by_day",
                                              "by_point", "coverage"}));
  }

  // Ingesting the same bytes again, even under another name, changes nothing.
  CommandResult before =
      RunCommand(fmt::format("{} stats --json --db {} --month 2026-11 --tz UTC", Bin(), db));
  std::filesystem::copy_file(dir_.File("p-eth.pcap"), dir_.File("renamed.pcap"));
  CommandResult again = RunCommand(fmt::format("{} ingest --db {} --point p-eth {} {}", Bin(), db,
                                               dir_.File("p-eth.pcap"), dir_.File("renamed.pcap")));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already ingested"), std::string::npos) << again.out;
  CommandResult after =
      RunCommand(fmt::format("{} stats --json --db {} --month 2026-11 --tz UTC", Bin(), db));
  EXPECT_EQ(before.out, after.out);

  CommandResult points = RunCommand(fmt::format("{} points --json --db {}", Bin(), db));
  ASSERT_EQ(points.exit_code, 0) << points.err;
  nlohmann::json pj = nlohmann::json::parse(points.out);
  ASSERT_EQ(pj.size(), 4u);
  EXPECT_EQ(pj[0]["point"], "p-eth");
  EXPECT_EQ(pj[0]["watch"], "192.0.2.10/32,2001:db8:10::/64");

  // The ledger: one batch per file ingested (the renamed copy added none),
  // each with the accesses the generator put in that file.
  CommandResult batches = RunCommand(fmt::format("{} points --batches --json --db {}", Bin(), db));
  ASSERT_EQ(batches.exit_code, 0) << batches.err;
  nlohmann::json bj = nlohmann::json::parse(batches.out);
  ASSERT_EQ(bj.size(), 4u) << batches.out;
  std::map<std::string, uint64_t> want_by_point = {{"p-eth", eth.accesses().size()},
                                                   {"p-ng", ng.accesses().size()},
                                                   {"p-raw", raw.accesses().size()},
                                                   {"p-log", log.accesses.size()}};
  for (const auto& b : bj) {
    std::string point = b["point"].get<std::string>();
    EXPECT_EQ(b["accesses"].get<uint64_t>(), want_by_point[point]) << point;
    EXPECT_EQ(b["batch"].get<std::string>().rfind(point + ":", 0), 0u) << b.dump();
    EXPECT_NE(b["origin"].get<std::string>(), "") << b.dump();
    EXPECT_EQ(b["ingested_at"].get<std::string>().size(), 20u) << b.dump();
  }
  CommandResult one =
      RunCommand(fmt::format("{} points --batches --json --point p-ng --db {}", Bin(), db));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  nlohmann::json oj = nlohmann::json::parse(one.out);
  ASSERT_EQ(oj.size(), 1u);
  EXPECT_EQ(oj[0]["point"], "p-ng");
  CommandResult none =
      RunCommand(fmt::format("{} points --batches --point p-nowhere --db {}", Bin(), db));
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("p-nowhere"), std::string::npos) << none.err;
}

TEST_F(IngestStatsTest, EmptyMonthAndBadInputGetClearAnswers) {
  std::string db = dir_.File("store.db");
  // No store yet: a read command says so and creates none.
  CommandResult r = RunCommand(fmt::format("{} stats --json --db {} --month 2026-11", Bin(), db));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no store at " + db), std::string::npos) << r.err;
  ASSERT_FALSE(std::filesystem::exists(db));
  // An empty store (a point, no accesses in the month): the month's answer is zero.
  ASSERT_TRUE(WriteFile(dir_.File("empty.log"), Bytes{'\n'}));
  (void)RunCommand(fmt::format("{} ingest --db {} --point x --watch 192.0.2.1 {}", Bin(), db,
                               dir_.File("empty.log")));
  ASSERT_TRUE(std::filesystem::exists(db));
  r = RunCommand(fmt::format("{} stats --json --db {} --month 2026-11", Bin(), db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["accesses"], 0);
  EXPECT_EQ(j["points"], 0);
  EXPECT_EQ(j["by_port"], nlohmann::json::array());

  r = RunCommand(fmt::format("{} stats --db {} --month 2026-13", Bin(), db));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("YYYY-MM"), std::string::npos) << r.err;

  r = RunCommand(fmt::format("{} stats --db {} --month 2026-11 --tz Mars/Olympus", Bin(), db));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Mars/Olympus"), std::string::npos) << r.err;

  ASSERT_TRUE(
      WriteFile(dir_.File("junk.bin"), Bytes{0x00, 0x01, 0xfe, 0xff, 0x10, 0x80, 0x00, 0x00}));
  r = RunCommand(fmt::format("{} ingest --db {} --point x --watch 192.0.2.1 {}", Bin(), db,
                             dir_.File("junk.bin")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("junk.bin"), std::string::npos) << r.err;

  r = RunCommand(fmt::format("{} ingest --db {} --point x --watch 192.0.2.300 {}", Bin(), db,
                             dir_.File("junk.bin")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("192.0.2.300"), std::string::npos) << r.err;

  // A capture cut in the middle of a record: ingested up to there, with a warning.
  Bytes syn = Ethernet(kEtherIpv4, Ipv4({.source = V4("1.2.3.4"), .destination = V4("192.0.2.1")},
                                        Tcp({.destination_port = 445})));
  int64_t t = DaysFromCivil(2026, 11, 5) * 86400 * kNs;
  Bytes pcap = PcapFile(1, {{t, syn}, {t + kNs, syn}, {t + 2 * kNs, syn}});
  pcap.resize(pcap.size() - 10);
  ASSERT_TRUE(WriteFile(dir_.File("cut.pcap"), pcap));
  r = RunCommand(fmt::format("{} ingest --json --db {} --point x --watch 192.0.2.1 {}", Bin(), db,
                             dir_.File("cut.pcap")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json rep = nlohmann::json::parse(r.out);
  EXPECT_EQ(rep["accesses"], 2);
  EXPECT_TRUE(rep.contains("stop_reason")) << r.out;
}

}  // namespace
}  // namespace scanscope::testing
