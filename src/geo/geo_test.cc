#include "geo/geo.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace scanscope {
namespace {

IpAddress Ip(const char* text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress());
}

TEST(CountryNameTest, KnownCodesAndUnknown) {
  EXPECT_EQ(CountryName("JP"), "Japan");
  EXPECT_EQ(CountryName("US"), "United States");
  EXPECT_EQ(CountryName("CN"), "China");
  EXPECT_EQ(CountryName("KR"), "South Korea");
  EXPECT_EQ(CountryName("TW"), "Taiwan");
  EXPECT_EQ(CountryName("GB"), "United Kingdom");
  EXPECT_EQ(CountryName("jp"), "Japan");  // case-insensitive
  EXPECT_EQ(CountryName(""), "Unknown");
  EXPECT_EQ(CountryName("EU"), "European Union");  // non-ISO, used by RIR data
  EXPECT_EQ(CountryName("XK"), "Kosovo");
  EXPECT_EQ(CountryName("QQ"), "QQ");        // not a country: the code itself
  EXPECT_EQ(CountryName("ZW"), "Zimbabwe");  // last row
  EXPECT_EQ(CountryName("AD"), "Andorra");   // first row
}

// Every code of tzdata's ISO 3166 table (a file written independently of
// ours) has a name in ours, and the table holds exactly those codes.
TEST(CountryNameTest, CoversEveryIsoCodeOfTzdata) {
  std::ifstream in("/usr/share/zoneinfo/iso3166.tab");
  if (!in) GTEST_SKIP() << "no /usr/share/zoneinfo/iso3166.tab (tzdata) to compare with";
  std::string line;
  size_t codes = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string code = line.substr(0, 2);
    ++codes;
    EXPECT_NE(CountryName(code), code) << "no name for " << code;
  }
  EXPECT_EQ(codes, IsoCountryCount());
  EXPECT_EQ(IsoCountryCount(), 249u);
}

TEST(GeoDatabaseTest, OpenErrors) {
  auto missing = GeoDatabase::Open("/nonexistent/db.mmdb");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();

  std::filesystem::path bad =
      std::filesystem::temp_directory_path() / ("scanscope-geo-bad-" + std::to_string(getpid()));
  {
    std::ofstream out(bad);
    out << "this is not an mmdb file";
  }
  auto corrupt = GeoDatabase::Open(bad.string());
  std::filesystem::remove(bad);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.status().message().find(bad.string()), std::string::npos);
}

TEST(GeoDatabaseTest, EnvironmentOverridesDefaultPath) {
  ASSERT_EQ(setenv("SCANSCOPE_GEO_DB", "/nonexistent/x.mmdb", 1), 0);
  auto p = DefaultGeoDatabasePath();
  unsetenv("SCANSCOPE_GEO_DB");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("SCANSCOPE_GEO_DB"), std::string::npos);
}

// Tests against the database scripts/setup.sh installs.
class InstalledGeoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto path = DefaultGeoDatabasePath();
    if (!path.ok()) GTEST_SKIP() << "skipped: " << path.status().message();
    auto db = GeoDatabase::Open(*path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  std::unique_ptr<GeoDatabase> db_;
};

// Long-stable allocations: registries' and root servers' own blocks and
// well-known anycast resolvers of US companies.
TEST_F(InstalledGeoTest, WellKnownAllocations) {
  EXPECT_EQ(db_->CountryCode(Ip("8.8.8.8")), "US");       // Google Public DNS
  EXPECT_EQ(db_->CountryCode(Ip("9.9.9.9")), "US");       // Quad9 (registered in US)
  EXPECT_EQ(db_->CountryCode(Ip("193.0.6.139")), "NL");   // RIPE NCC, Amsterdam
  EXPECT_EQ(db_->CountryCode(Ip("202.12.27.33")), "JP");  // m.root-servers.net, WIDE
  EXPECT_EQ(db_->CountryCode(Ip("200.160.4.6")), "BR");   // NIC.br
  EXPECT_EQ(db_->CountryCode(Ip("2001:4860:4860::8888")), "US");
  EXPECT_EQ(db_->CountryCode(Ip("2001:67c:2e8:22::c100:68b")), "NL");  // RIPE NCC
  // Private, loopback and documentation space: no country.
  EXPECT_EQ(db_->CountryCode(Ip("10.1.2.3")), "");
  EXPECT_EQ(db_->CountryCode(Ip("127.0.0.1")), "");
  EXPECT_EQ(db_->CountryCode(Ip("192.168.0.1")), "");
  EXPECT_EQ(db_->CountryCode(Ip("192.0.2.1")), "");
  EXPECT_EQ(db_->CountryCode(Ip("fe80::1")), "");
  EXPECT_EQ(db_->CountryName("JP"), "Japan");
}

// The installed database maps some private and documentation blocks to
// countries (docs/geo.md); scanscope never reports those.
TEST_F(InstalledGeoTest, SpecialPurposeSpaceHasNoCountry) {
  for (const char* a : {"172.16.0.1", "172.31.255.254", "192.168.200.1", "198.51.100.7",
                        "203.0.113.9", "100.64.1.1", "224.0.0.251", "255.255.255.255",
                        "2001:db8::1", "fd12:3456::1", "ff02::1", "::1"}) {
    EXPECT_TRUE(IsSpecialPurpose(Ip(a))) << a;
    EXPECT_EQ(db_->CountryCode(Ip(a)), "") << a;
  }
  // Neighbours just outside those blocks are ordinary space.
  for (const char* a : {"172.32.0.1", "172.15.255.254", "192.169.0.1", "198.51.101.1",
                        "100.128.0.1", "2001:db9::1", "2400:cb00::1"}) {
    EXPECT_FALSE(IsSpecialPurpose(Ip(a))) << a;
  }
}

TEST_F(InstalledGeoTest, DescriptionNamesDatabaseAndVersion) {
  std::string d = db_->Description();
  EXPECT_NE(d.find("geo-whois-asn-country"), std::string::npos) << d;
  EXPECT_NE(d.find("npm @ip-location-db/geo-whois-asn-country-mmdb "), std::string::npos) << d;
  EXPECT_NE(d.find("built 20"), std::string::npos) << d;
  EXPECT_NE(db_->Attribution().find("NRO"), std::string::npos) << db_->Attribution();
}

// The cache answers exactly what the database answers: addresses drawn in
// pairs from the same /24 (/48), each looked up through the cache, then
// again with the cache emptied before every lookup.
TEST_F(InstalledGeoTest, CacheAgreesWithUncachedLookups) {
  std::mt19937_64 rng(20090501);
  std::vector<IpAddress> sample;
  for (int i = 0; i < 20000; ++i) {
    uint32_t v4 = static_cast<uint32_t>(rng());
    sample.push_back(IpAddress::FromV4(v4));
    sample.push_back(IpAddress::FromV4(v4 ^ static_cast<uint32_t>(rng() & 0xff)));
  }
  for (int i = 0; i < 2000; ++i) {
    std::array<uint8_t, 16> b{};
    uint64_t high = (uint64_t{0x2} << 60) | (rng() >> 4);  // 2000::/4, the global unicast space
    for (int k = 0; k < 8; ++k) b[k] = static_cast<uint8_t>(high >> (56 - 8 * k));
    uint64_t low = rng();
    for (int k = 0; k < 8; ++k) b[8 + k] = static_cast<uint8_t>(low >> (56 - 8 * k));
    sample.push_back(IpAddress::FromBytes(b));
    b[15] ^= 0x5a;
    b[5] ^= 0x01;  // same /48, another /64
    sample.push_back(IpAddress::FromBytes(b));
  }
  std::vector<std::string> cached;
  for (const IpAddress& a : sample) cached.push_back(db_->CountryCode(a));
  GeoDatabase::CacheStats stats = db_->cache_stats();
  EXPECT_EQ(stats.lookups, sample.size());
  EXPECT_GT(stats.hits, 0u);
  size_t with_country = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    db_->ClearCache();
    EXPECT_EQ(db_->CountryCode(sample[i]), cached[i]) << sample[i].ToString();
    with_country += !cached[i].empty();
  }
  EXPECT_GT(with_country, sample.size() / 2);  // most of the space is allocated
}

// Measures lookups per second on a source mix like a month's: a million
// lookups of addresses from 20,000 /24s. Prints the rate; asserts only a
// floor far below what it measures so that a slow sanitizer build passes.
TEST_F(InstalledGeoTest, LookupRate) {
  std::mt19937_64 rng(7);
  std::vector<uint32_t> blocks;
  for (int i = 0; i < 20000; ++i) blocks.push_back(static_cast<uint32_t>(rng()) & 0xffffff00u);
  std::vector<IpAddress> sources;
  for (int i = 0; i < 1000000; ++i) {
    sources.push_back(
        IpAddress::FromV4(blocks[rng() % blocks.size()] | static_cast<uint32_t>(rng() & 0xff)));
  }
  db_->ClearCache();
  size_t known = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const IpAddress& a : sources) known += !db_->CountryCode(a).empty();
  double cached_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t hits = static_cast<size_t>(db_->cache_stats().hits);
  // Misses only: one address in each of 100,000 distinct /24s of public space.
  std::vector<IpAddress> distinct;
  for (uint32_t i = 0; distinct.size() < 100000; ++i) {
    IpAddress a = IpAddress::FromV4(0x01000001u + (i << 8) * 37);
    if (!IsSpecialPurpose(a)) distinct.push_back(a);
  }
  db_->ClearCache();
  auto t1 = std::chrono::steady_clock::now();
  for (const IpAddress& a : distinct) known += !db_->CountryCode(a).empty();
  double uncached_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const size_t uncached_n = distinct.size();
  double cached_rate = sources.size() / cached_s;
  double uncached_rate = uncached_n / uncached_s;
  std::printf("geo lookups: %.2fM/s through the cache (%zu hits of %zu), %.2fM/s uncached\n",
              cached_rate / 1e6, hits, sources.size(), uncached_rate / 1e6);
  RecordProperty("cached_lookups_per_s", static_cast<int>(cached_rate));
  RecordProperty("uncached_lookups_per_s", static_cast<int>(uncached_rate));
  EXPECT_GT(known, 0u);
  EXPECT_GT(cached_rate, 1e5);
}

}  // namespace
}  // namespace scanscope
