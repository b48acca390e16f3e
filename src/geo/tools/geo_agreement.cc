// geo_agreement: how far two or more mmdb IP-to-country databases agree on a
// seeded random sample of public addresses (docs/geo.md reports the result).
// Not part of the build (src/geo/tools is outside the stage's glob);
// scripts/geo-agreement.sh builds and runs it.
//
//   geo_agreement N_V4 N_V6 SEED REFERENCE.mmdb OTHER.mmdb [OTHER.mmdb...]
//
// For each OTHER: addresses both databases place, the share on which they
// name the same country, the most frequent disagreeing pairs and examples.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "geo/geo.h"

using scanscope::GeoDatabase;
using scanscope::IpAddress;

int main(int argc, char** argv) {
  if (argc < 6) {
    fmt::print(stderr, "usage: {} N_V4 N_V6 SEED REFERENCE.mmdb OTHER.mmdb...\n", argv[0]);
    return 2;
  }
  const long n_v4 = std::atol(argv[1]);
  const long n_v6 = std::atol(argv[2]);
  std::mt19937_64 rng(std::strtoull(argv[3], nullptr, 10));
  std::vector<std::unique_ptr<GeoDatabase>> dbs;
  for (int i = 4; i < argc; ++i) {
    auto db = GeoDatabase::Open(std::string(argv[i]));
    if (!db.ok()) {
      fmt::print(stderr, "{}\n", db.status().message());
      return 1;
    }
    dbs.push_back(std::move(*db));
  }
  std::vector<IpAddress> v4, v6;
  while (static_cast<long>(v4.size()) < n_v4) {
    IpAddress a = IpAddress::FromV4(static_cast<uint32_t>(rng()));
    if (!scanscope::IsSpecialPurpose(a)) v4.push_back(a);
  }
  // IPv6: uniform in 2000::/3 lands mostly in unallocated space, so draw
  // until the reference database places the address.
  long tries = 0;
  while (static_cast<long>(v6.size()) < n_v6 && tries < n_v6 * 2000) {
    ++tries;
    std::array<uint8_t, 16> b{};
    uint64_t hi = (uint64_t{1} << 61) | (rng() >> 3);
    uint64_t lo = rng();
    for (int k = 0; k < 8; ++k) b[k] = static_cast<uint8_t>(hi >> (56 - 8 * k));
    for (int k = 0; k < 8; ++k) b[8 + k] = static_cast<uint8_t>(lo >> (56 - 8 * k));
    IpAddress a = IpAddress::FromBytes(b);
    if (!scanscope::IsSpecialPurpose(a) && !dbs[0]->CountryCode(a).empty()) v6.push_back(a);
  }
  fmt::print("reference: {}\n", dbs[0]->Description());
  for (const auto& [family, sample] :
       std::vector<std::pair<std::string, const std::vector<IpAddress>*>>{{"IPv4", &v4},
                                                                          {"IPv6", &v6}}) {
    if (sample->empty()) continue;
    for (size_t d = 1; d < dbs.size(); ++d) {
      long ref_known = 0, other_known = 0, both = 0, same = 0;
      std::map<std::pair<std::string, std::string>, long> pairs;
      std::map<std::pair<std::string, std::string>, std::string> example;
      std::map<std::string, long> ref_count, ref_same;
      for (const IpAddress& a : *sample) {
        std::string r = dbs[0]->CountryCode(a);
        std::string o = dbs[d]->CountryCode(a);
        ref_known += !r.empty();
        other_known += !o.empty();
        if (r.empty() || o.empty()) continue;
        ++both;
        ++ref_count[r];
        if (r == o) {
          ++same;
          ++ref_same[r];
        } else {
          auto key = std::make_pair(r, o);
          if (pairs[key]++ == 0) example[key] = a.ToString();
        }
      }
      fmt::print("\n{} sample of {} addresses; other: {}\n", family, sample->size(),
                 dbs[d]->Description());
      fmt::print("  placed by reference {} ({:.1f}%), by other {} ({:.1f}%), by both {}\n",
                 ref_known, 100.0 * ref_known / sample->size(), other_known,
                 100.0 * other_known / sample->size(), both);
      fmt::print("  same country: {} of {} = {:.2f}%\n", same, both,
                 both ? 100.0 * same / both : 0.0);
      std::vector<std::pair<long, std::pair<std::string, std::string>>> top;
      for (const auto& [k, n] : pairs) top.push_back({n, k});
      std::sort(top.rbegin(), top.rend());
      fmt::print("  most frequent disagreements (reference -> other: count, example):\n");
      for (size_t i = 0; i < top.size() && i < 12; ++i) {
        const auto& k = top[i].second;
        fmt::print("    {} -> {}: {} (e.g. {})\n", k.first, k.second, top[i].first, example[k]);
      }
      std::vector<std::pair<long, std::string>> big;
      for (const auto& [c, n] : ref_count) big.push_back({n, c});
      std::sort(big.rbegin(), big.rend());
      fmt::print("  agreement for the reference's largest countries:\n");
      for (size_t i = 0; i < big.size() && i < 10; ++i) {
        const std::string& c = big[i].second;
        fmt::print("    {} {}: {:.2f}% of {}\n", c, scanscope::CountryName(c),
                   100.0 * ref_same[c] / big[i].first, big[i].first);
      }
    }
  }
  return 0;
}
