// Tests of `scanscope generate`: the pcap files are read back by a small
// reader written here (pcap, Ethernet, ARP, IPv4, IPv6, TCP, UDP, ICMP), not
// by scanscope's decoder, and classified by this test's own reading of
// docs/design.md's "access".
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "generate/country_prefixes.h"
#include "generate/traffic_generator.h"

namespace scanscope {
namespace {

namespace fs = std::filesystem;
using Addr = std::array<uint8_t, 16>;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() /
                 ("scanscope_generate_test_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

uint32_t Sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += Be16(p + i);
  if (n % 2) sum += uint32_t{p[n - 1]} << 8;
  return sum;
}
bool SumIsZero(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum == 0xFFFF;
}

Addr FromV4(const uint8_t* p) {
  Addr a{};
  a[10] = a[11] = 0xFF;
  std::memcpy(a.data() + 12, p, 4);
  return a;
}
Addr FromV6(const uint8_t* p) {
  Addr a{};
  std::memcpy(a.data(), p, 16);
  return a;
}

struct WatchPrefix {
  Addr base{};
  int bits = 128;  // in the 128-bit space
  bool Contains(const Addr& a) const {
    for (int i = 0; i < bits; ++i) {
      int byte = i / 8, bit = 7 - i % 8;
      if (((a[byte] >> bit) & 1) != ((base[byte] >> bit) & 1)) return false;
    }
    return true;
  }
};

// The watch lists of scanscope.toml, read line by line.
std::vector<WatchPrefix> ParseWatch(const std::string& toml, int* point_count) {
  std::vector<WatchPrefix> out;
  std::istringstream in(toml);
  std::string line;
  *point_count = 0;
  while (std::getline(in, line)) {
    if (line == "[[point]]") ++*point_count;
    if (line.rfind("watch = [", 0) != 0) continue;
    size_t pos = 0;
    while ((pos = line.find('"', pos)) != std::string::npos) {
      size_t end = line.find('"', pos + 1);
      std::string text = line.substr(pos + 1, end - pos - 1);
      pos = end + 1;
      std::string addr = text.substr(0, text.find('/'));
      int len = std::stoi(text.substr(text.find('/') + 1));
      WatchPrefix w;
      uint8_t buf[16];
      if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
        w.base = FromV4(buf);
        w.bits = 96 + len;
      } else {
        EXPECT_EQ(inet_pton(AF_INET6, addr.c_str(), buf), 1) << text;
        w.base = FromV6(buf);
        w.bits = len;
      }
      out.push_back(w);
    }
  }
  return out;
}

struct Tally {
  uint64_t packets = 0;
  uint64_t accesses = 0;
  uint64_t v6_accesses = 0;
  uint64_t fragments = 0;
  uint64_t replies = 0;
  uint64_t icmp_errors_about_own = 0;
  uint64_t neighbor_discovery = 0;
  uint64_t arp = 0;
  uint64_t not_watched = 0;
  uint64_t outbound = 0;
  uint64_t bad_checksums = 0;
  std::map<std::string, uint64_t> by_port;
  std::set<std::tuple<Addr, int64_t, std::string, std::string>> gross;  // src, day, file, port
  std::set<Addr> sources;
  int64_t first_us = INT64_MAX, last_us = INT64_MIN;
  bool in_order = true;
};

// Reads one pcap file and classifies every packet.
void ReadPcap(const std::string& path, const std::vector<WatchPrefix>& watch, Tally* t) {
  std::string bytes = ReadAll(path);
  const auto* d = reinterpret_cast<const uint8_t*>(bytes.data());
  ASSERT_GE(bytes.size(), 24u);
  ASSERT_EQ(Le32(d), 0xA1B2C3D4u) << path;
  ASSERT_EQ(Le32(d + 20), 1u) << "link type";
  auto watched = [&](const Addr& a) {
    return std::any_of(watch.begin(), watch.end(),
                       [&](const WatchPrefix& w) { return w.Contains(a); });
  };
  // The host's flows: (proto, local, local port, remote, remote port).
  std::set<std::tuple<int, Addr, int, Addr, int>> flows;
  std::map<std::tuple<Addr, Addr, int>, std::string> first_fragment_port;
  int64_t previous = INT64_MIN;
  size_t off = 24;
  while (off < bytes.size()) {
    ASSERT_LE(off + 16, bytes.size());
    int64_t us = int64_t{Le32(d + off)} * 1'000'000 + Le32(d + off + 4);
    uint32_t caplen = Le32(d + off + 8);
    ASSERT_EQ(caplen, Le32(d + off + 12));
    const uint8_t* f = d + off + 16;
    off += 16 + caplen;
    ASSERT_LE(off, bytes.size());
    ++t->packets;
    t->first_us = std::min(t->first_us, us);
    t->last_us = std::max(t->last_us, us);
    if (us < previous) t->in_order = false;
    previous = us;
    uint16_t ether = Be16(f + 12);
    if (ether == 0x0806) {
      ++t->arp;
      continue;
    }
    Addr src, dst;
    int proto;
    const uint8_t* l4;
    size_t l4_len;
    bool fragment = false, first_fragment = true;
    uint16_t ip_id = 0;
    bool v6 = ether == 0x86DD;
    if (ether == 0x0800) {
      const uint8_t* ip = f + 14;
      size_t ihl = (ip[0] & 0xF) * 4u;
      if (!SumIsZero(Sum16(ip, ihl))) ++t->bad_checksums;
      src = FromV4(ip + 12);
      dst = FromV4(ip + 16);
      proto = ip[9];
      ip_id = Be16(ip + 4);
      uint16_t frag = Be16(ip + 6);
      fragment = (frag & 0x2000) || (frag & 0x1FFF);
      first_fragment = (frag & 0x1FFF) == 0;
      l4 = ip + ihl;
      l4_len = Be16(ip + 2) - ihl;
    } else {
      ASSERT_EQ(ether, 0x86DD);
      const uint8_t* ip = f + 14;
      src = FromV6(ip + 8);
      dst = FromV6(ip + 24);
      proto = ip[6];
      l4 = ip + 40;
      l4_len = Be16(ip + 4);
    }
    // Checksums of whole (unfragmented) TCP, UDP and ICMP messages.
    if (!fragment) {
      uint32_t pseudo = 0;
      if (v6 || proto != 1) {
        pseudo = v6 ? Sum16(src.data(), 16, Sum16(dst.data(), 16))
                    : Sum16(src.data() + 12, 4, Sum16(dst.data() + 12, 4));
        pseudo += static_cast<uint32_t>(proto) + static_cast<uint32_t>(l4_len);
      }
      if (!SumIsZero(Sum16(l4, l4_len, pseudo))) ++t->bad_checksums;
    }
    bool from_watched = watched(src), to_watched = watched(dst);
    bool has_ports = (proto == 6 || proto == 17) && first_fragment;
    int sport = has_ports ? Be16(l4) : 0, dport = has_ports ? Be16(l4 + 2) : 0;
    if (from_watched) {
      ++t->outbound;
      flows.emplace(proto, src, sport, dst, dport);
      continue;
    }
    if (!to_watched) {
      ++t->not_watched;
      continue;
    }
    std::string port;
    if (proto == 6) {
      port = std::to_string(dport) + "/tcp";
    } else if (proto == 17) {
      port = std::to_string(dport) + "/udp";
    } else {
      port = "ICMP";
    }
    if (fragment) {
      ++t->fragments;
      auto key = std::make_tuple(src, dst, int{ip_id});
      if (first_fragment) {
        first_fragment_port[key] = port;
      } else {
        port = first_fragment_port.count(key) ? first_fragment_port[key] : "proto";
      }
    } else if (proto == 1 || proto == 58) {
      int type = l4[0];
      bool error = proto == 1 ? (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
                              : (type >= 1 && type <= 4);
      if (error) {
        Addr quoted_src = proto == 1 ? FromV4(l4 + 8 + 12) : FromV6(l4 + 8 + 8);
        if (watched(quoted_src)) {
          ++t->icmp_errors_about_own;
          continue;
        }
      }
      if (proto == 58 && type >= 130 && type <= 137) {
        ++t->neighbor_discovery;
        continue;
      }
    } else if (flows.count({proto, dst, dport, src, sport})) {
      ++t->replies;
      continue;
    }
    ++t->accesses;
    if (v6) ++t->v6_accesses;
    ++t->by_port[port];
    t->gross.emplace(src, us / 86'400'000'000, path, port);
    t->sources.insert(src);
  }
}

struct Generated {
  GenerateSummary summary;
  Tally tally;
  std::string toml;
};

Generated GenerateAndRead(const GenerateOptions& o) {
  Generated g;
  auto s = GenerateMonth(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return g;
  g.summary = *s;
  g.toml = ReadAll(g.summary.config_path);
  int points = 0;
  std::vector<WatchPrefix> watch = ParseWatch(g.toml, &points);
  EXPECT_EQ(points, o.points);
  for (const std::string& f : g.summary.files) ReadPcap(f, watch, &g.tally);
  return g;
}

GenerateOptions SmallOptions(const std::string& dir, const char* month = "2009-05") {
  GenerateOptions o;
  o.month = *ParseMonth(month);
  o.points = 2;
  o.packets = 20'000;
  o.seed = 7;
  o.out_dir = dir;
  return o;
}

TEST(GenerateTest, SmallMonthIsCredibleAndCountsItsAccesses) {
  fs::path dir = TempDir("small");
  GenerateOptions o = SmallOptions(dir.string());
  Generated g = GenerateAndRead(o);
  const Tally& t = g.tally;

  ASSERT_EQ(g.summary.files.size(), 2u);
  EXPECT_EQ(fs::path(g.summary.files[0]).filename(), "point-01.pcap");
  EXPECT_EQ(g.summary.packets_written, o.packets);
  EXPECT_EQ(t.packets, o.packets);
  EXPECT_EQ(t.accesses, g.summary.accesses);
  EXPECT_EQ(t.bad_checksums, 0u);

  // Inside the month (UTC), and each file in time order.
  const int64_t month_start = int64_t{o.month.first_day} * 86'400'000'000;
  const int64_t month_end = month_start + int64_t{o.month.days} * 86'400'000'000;
  EXPECT_GE(t.first_us, month_start);
  EXPECT_LT(t.last_us, month_end);
  EXPECT_TRUE(t.in_order);

  // Every kind of non-access packet is there, and most packets are accesses.
  EXPECT_GT(t.replies, 0u);
  EXPECT_GT(t.icmp_errors_about_own, 0u);
  EXPECT_GT(t.arp, 0u);
  EXPECT_GT(t.not_watched, 0u);
  EXPECT_GT(t.outbound, 0u);
  EXPECT_GT(t.neighbor_discovery, 0u);
  EXPECT_GT(t.v6_accesses, 0u);
  EXPECT_GT(t.accesses, t.packets * 85 / 100);
  EXPECT_LT(t.accesses, t.packets * 96 / 100);

  // The reference's port mix: 445/tcp on top, the familiar ports close behind.
  std::vector<std::pair<uint64_t, std::string>> ranked;
  for (const auto& [port, n] : t.by_port) ranked.emplace_back(n, port);
  std::sort(ranked.rbegin(), ranked.rend());
  ASSERT_FALSE(ranked.empty());
  EXPECT_EQ(ranked[0].second, "445/tcp");
  std::set<std::string> top;
  for (size_t i = 0; i < 10 && i < ranked.size(); ++i) top.insert(ranked[i].second);
  for (const char* p : {"135/tcp", "ICMP", "22/tcp", "1433/tcp", "139/tcp"}) {
    EXPECT_TRUE(top.count(p)) << p << " not among the top ten";
  }
  double ratio = static_cast<double>(t.accesses) / static_cast<double>(t.gross.size());
  EXPECT_GT(ratio, 2.0);
  EXPECT_LT(ratio, 4.5);
  std::printf("accesses %llu, gross sources %zu (ratio %.2f), distinct sources %zu\n",
              static_cast<unsigned long long>(t.accesses), t.gross.size(), ratio, t.sources.size());
  for (size_t i = 0; i < 14 && i < ranked.size(); ++i) {
    std::printf("  %-10s %6llu  %5.1f%%\n", ranked[i].second.c_str(),
                static_cast<unsigned long long>(ranked[i].first),
                100.0 * static_cast<double>(ranked[i].first) / static_cast<double>(t.accesses));
  }

  // The config and the events.
  EXPECT_NE(g.toml.find("name = \"point-01\""), std::string::npos);
  EXPECT_NE(g.toml.find("watch = [\""), std::string::npos);
  EXPECT_NE(g.toml.find("2001:db8:"), std::string::npos);
  std::string events = ReadAll(g.summary.events_path);
  EXPECT_NE(events.find("\"month\": \"2009-05\""), std::string::npos);
  EXPECT_NE(events.find("\"kind\": \""), std::string::npos);
  EXPECT_NE(events.find("\"accesses_added\": "), std::string::npos);
  fs::remove_all(dir);
}

TEST(GenerateTest, SameOptionsGiveIdenticalBytes) {
  fs::path a = TempDir("det_a"), b = TempDir("det_b");
  auto sa = GenerateMonth(SmallOptions(a.string()));
  auto sb = GenerateMonth(SmallOptions(b.string()));
  ASSERT_TRUE(sa.ok() && sb.ok());
  for (const char* f : {"point-01.pcap", "point-02.pcap", "scanscope.toml", "events.json"}) {
    std::string x = ReadAll((a / f).string()), y = ReadAll((b / f).string());
    EXPECT_FALSE(x.empty()) << f;
    EXPECT_TRUE(x == y) << f << " differs between two runs";
  }
  GenerateOptions other = SmallOptions(b.string());
  other.seed = 8;
  ASSERT_TRUE(GenerateMonth(other).ok());
  EXPECT_NE(ReadAll((a / "point-01.pcap").string()), ReadAll((b / "point-01.pcap").string()));
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(GenerateTest, DaysFollowTheZone) {
  fs::path dir = TempDir("tokyo");
  GenerateOptions o = SmallOptions(dir.string());
  auto zone = TimeZone::Find("Asia/Tokyo");
  ASSERT_TRUE(zone.ok());
  o.zone = *zone;
  o.packets = 5'000;
  Generated g = GenerateAndRead(o);
  // Japan is UTC+9 without DST: the month starts at 15:00 UTC the day before.
  const int64_t start = int64_t{o.month.first_day} * 86'400'000'000 - 9 * 3'600'000'000LL;
  const int64_t end = start + int64_t{o.month.days} * 86'400'000'000;
  EXPECT_GE(g.tally.first_us, start);
  EXPECT_LT(g.tally.last_us, end);
  EXPECT_LT(g.tally.first_us, start + 86'400'000'000);  // the first local day is used
  EXPECT_NE(g.toml.find("timezone = \"Asia/Tokyo\""), std::string::npos);
  EXPECT_EQ(g.tally.accesses, g.summary.accesses);
  fs::remove_all(dir);
}

TEST(GenerateTest, DaylightSavingMonthStaysInsideItsLocalDays) {
  fs::path dir = TempDir("berlin");
  GenerateOptions o = SmallOptions(dir.string(), "2009-03");
  auto zone = TimeZone::Find("Europe/Berlin");
  ASSERT_TRUE(zone.ok());
  o.zone = *zone;
  o.packets = 5'000;
  Generated g = GenerateAndRead(o);
  // 2009-03-01 00:00 CET is 2009-02-28 23:00 UTC; 2009-04-01 00:00 CEST
  // (summer time from 29 March) is 2009-03-31 22:00 UTC.
  const int64_t start = int64_t{o.month.first_day} * 86'400'000'000 - 3'600'000'000LL;
  const int64_t end = int64_t{o.month.first_day + 31} * 86'400'000'000 - 2 * 3'600'000'000LL;
  EXPECT_GE(g.tally.first_us, start);
  EXPECT_LT(g.tally.last_us, end);
  EXPECT_GT(g.tally.last_us, end - 86'400'000'000);
  EXPECT_EQ(g.tally.accesses, g.summary.accesses);
  fs::remove_all(dir);
}

TEST(GenerateTest, ConsecutiveMonthsShareSourcesAndPoints) {
  fs::path a = TempDir("may"), b = TempDir("june");
  Generated may = GenerateAndRead(SmallOptions(a.string(), "2009-05"));
  Generated june = GenerateAndRead(SmallOptions(b.string(), "2009-06"));
  EXPECT_EQ(may.toml.substr(may.toml.find("[[point]]")),
            june.toml.substr(june.toml.find("[[point]]")));
  // Weight by accesses: most of June's traffic comes from sources seen in May.
  size_t shared = 0;
  for (const Addr& s : june.tally.sources) shared += may.tally.sources.count(s);
  double share = static_cast<double>(shared) / static_cast<double>(june.tally.sources.size());
  std::printf("June sources also seen in May: %.1f%%\n", 100 * share);
  EXPECT_GT(share, 0.2);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(GenerateTest, RejectsBadOptions) {
  fs::path dir = TempDir("bad");
  GenerateOptions o = SmallOptions(dir.string());
  o.points = 0;
  EXPECT_FALSE(GenerateMonth(o).ok());
  o.points = kMaxGeneratedPoints + 1;
  EXPECT_FALSE(GenerateMonth(o).ok());
  o.points = 2;
  o.out_dir = "";
  EXPECT_FALSE(GenerateMonth(o).ok());
  fs::remove_all(dir);
}

TEST(GenerateTest, CountryTableIsLargeEnough) {
  EXPECT_GE(generate::CountryCount(), 25);
  EXPECT_GE(generate::Ipv4BlockCount(), 100);
  std::map<std::string, int> seen;
  for (uint64_t i = 0; i < 20000; ++i) ++seen[std::string(generate::Ipv4SourceFromBits(i).country)];
  EXPECT_GT(seen["CN"], seen["US"]);
  EXPECT_GT(seen["US"], seen["DE"]);
}

}  // namespace
}  // namespace scanscope
