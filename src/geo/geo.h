#pragma once
// Source areas: the country of an address from an IP-to-country database in
// MaxMind's mmdb format, read with libmaxminddb. scripts/setup.sh installs
// @ip-location-db/geo-whois-asn-country-mmdb (GeoFeed > RIR whois > RIR ASN
// country, from NRO data) under third_party/npm; docs/geo.md says how far
// it agrees with an independent database. Any mmdb whose records hold
// "country_code" (ip-location-db) or "country"/"iso_code" (MaxMind's GeoIP2
// and GeoLite2 Country/City) works.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/ip_address.h"
#include "common/status.h"

struct MMDB_s;

namespace scanscope {

class GeoDatabase {
 public:
  // Opens (memory-maps) an mmdb file. NotFound when it is not there,
  // Corruption when libmaxminddb rejects it.
  static Result<std::unique_ptr<GeoDatabase>> Open(const std::string& mmdb_path);
  // Open(*path), or path's error: for Open(DefaultGeoDatabasePath()).
  static Result<std::unique_ptr<GeoDatabase>> Open(const Result<std::string>& path);
  ~GeoDatabase();
  GeoDatabase(const GeoDatabase&) = delete;
  GeoDatabase& operator=(const GeoDatabase&) = delete;

  // The ISO 3166-1 alpha-2 code of `a` as the database gives it, upper case
  // ("JP"; databases also use "EU", "AP" and "XK"); "" when the database has
  // no country for it (unallocated space, or an error) and always for
  // special-purpose space (IsSpecialPurpose), which databases do map to
  // countries by mistake (docs/geo.md: the installed one puts 192.168.0.0/16
  // in AU).
  //
  // Cached: a database network that covers a whole IPv4 /24 (IPv6 /48) is
  // remembered per /24 (/48), anything finer per address, so a report that
  // looks up every source of a month mostly hits the cache. Thread-safe (one
  // mutex around the cache; libmaxminddb lookups are read-only).
  std::string CountryCode(const IpAddress& a) const;

  // CountryName(code) below, as a member for callers that hold a database.
  std::string CountryName(std::string_view code) const;

  // What the report names as its source, e.g. "geo-whois-asn-country (npm
  // @ip-location-db/geo-whois-asn-country-mmdb 2.3.2026061719, built
  // 2026-06-17)": the mmdb's database_type and build date, and the npm
  // package's name and version when a package.json sits beside the file.
  std::string Description() const;

  // The attribution the data's licence asks for ("" when unknown), e.g.
  // "data: NRO (CC BY 4.0)" for the ip-location-db databases built from RIR data.
  std::string Attribution() const;

  const std::string& path() const { return path_; }

  // Cache counters, for tests and benchmarks.
  struct CacheStats {
    uint64_t lookups = 0;  // CountryCode calls
    uint64_t hits = 0;     // answered from the cache
    size_t entries = 0;    // cached /24s, /48s and single addresses
  };
  CacheStats cache_stats() const;
  // Drops every cached answer (tests; a long-running process may call it).
  void ClearCache();

 private:
  GeoDatabase() = default;
  // The uncached lookup: the code packed as two bytes (0 when none) and the
  // prefix length, in the address's own family, of the database network that
  // holds it.
  uint16_t Lookup(const IpAddress& a, int* prefix_length) const;

  std::unique_ptr<MMDB_s> mmdb_;
  std::string path_;
  std::string description_;
  std::string attribution_;

  // Caps the cache; past it the cache is cleared and refilled.
  static constexpr size_t kMaxCacheEntries = 4u << 20;
  mutable std::mutex mu_;
  mutable std::unordered_map<uint64_t, uint16_t> blocks_;  // /24 or /48 key -> code
  mutable std::unordered_map<IpAddress, uint16_t, IpAddressHash> addresses_;
  mutable uint64_t lookups_ = 0;
  mutable uint64_t hits_ = 0;
};

// Whether `a` is in IANA's special-purpose space that no Internet source can
// rightly hold: private (RFC 1918, RFC 4193), loopback, link local, shared
// CGN space, documentation and benchmarking blocks, multicast, 240/4.
bool IsSpecialPurpose(const IpAddress& a);

// "Japan" for "JP", "United States" for "US" (case-insensitive); "Unknown"
// for ""; the code itself for a code the table does not know. The table
// (country_names.cc) holds every officially assigned ISO 3166-1 alpha-2 code
// plus the non-ISO codes IP databases use (EU, AP, XK).
std::string CountryName(std::string_view code);

// The number of ISO 3166-1 alpha-2 codes in the table (249), for tests.
size_t IsoCountryCount();

// The database the report uses by default: $SCANSCOPE_GEO_DB when set (it
// must exist), else the copy scripts/setup.sh installs under
// third_party/npm/node_modules, looked for beside the running binary's
// ancestors, the source tree and the working directory. NotFound with the
// remedy in the message otherwise.
Result<std::string> DefaultGeoDatabasePath();

}  // namespace scanscope
