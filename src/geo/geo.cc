#include "geo/geo.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "common/shipped_file.h"

namespace scanscope {

namespace {

namespace fs = std::filesystem;

// Where scripts/setup.sh puts the database, relative to the repository root.
constexpr std::string_view kInstalledRelative =
    "third_party/npm/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/"
    "geo-whois-asn-country.mmdb";

uint16_t PackCode(const char* p, size_t n) {
  if (n != 2) return 0;
  auto up = [](char c) -> uint8_t {
    if (c >= 'a' && c <= 'z') return static_cast<uint8_t>(c - 'a' + 'A');
    return static_cast<uint8_t>(c);
  };
  uint8_t a = up(p[0]), b = up(p[1]);
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return 0;
  return static_cast<uint16_t>((a << 8) | b);
}

std::string UnpackCode(uint16_t code) {
  if (code == 0) return std::string();
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

// The string value of "key" in a flat JSON object (package.json): enough for
// "name" and "version", which hold no escapes.
std::string JsonStringField(const std::string& text, std::string_view key) {
  std::string quoted = fmt::format("\"{}\"", key);
  size_t at = text.find(quoted);
  if (at == std::string::npos) return std::string();
  at = text.find(':', at + quoted.size());
  if (at == std::string::npos) return std::string();
  size_t open = text.find('"', at + 1);
  if (open == std::string::npos) return std::string();
  size_t close = text.find('"', open + 1);
  if (close == std::string::npos) return std::string();
  return text.substr(open + 1, close - open - 1);
}

std::string ReadSmallFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::string();
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Keys a /24 (IPv4) or /48 (IPv6) apart; the top bit tells the families apart.
uint64_t BlockKey(const IpAddress& a) {
  if (a.IsV4()) return (uint64_t{1} << 63) | (a.V4() >> 8);
  return a.High() >> 16;
}

}  // namespace

bool IsSpecialPurpose(const IpAddress& a) {
  if (a.IsV4()) {
    // IANA IPv4 Special-Purpose Address Registry (RFC 6890 and later), the
    // blocks no source on the Internet can rightly hold, plus multicast and
    // the reserved 240/4.
    struct Block {
      uint32_t base;
      int length;
    };
    static constexpr Block kBlocks[] = {
        {0x00000000, 8},   // 0.0.0.0/8 "this network"
        {0x0A000000, 8},   // 10.0.0.0/8 private
        {0x64400000, 10},  // 100.64.0.0/10 shared address space (CGN)
        {0x7F000000, 8},   // 127.0.0.0/8 loopback
        {0xA9FE0000, 16},  // 169.254.0.0/16 link local
        {0xAC100000, 12},  // 172.16.0.0/12 private
        {0xC0000000, 24},  // 192.0.0.0/24 IETF protocol assignments
        {0xC0000200, 24},  // 192.0.2.0/24 TEST-NET-1
        {0xC0A80000, 16},  // 192.168.0.0/16 private
        {0xC6120000, 15},  // 198.18.0.0/15 benchmarking
        {0xC6336400, 24},  // 198.51.100.0/24 TEST-NET-2
        {0xCB007100, 24},  // 203.0.113.0/24 TEST-NET-3
        {0xE0000000, 4},   // 224.0.0.0/4 multicast
        {0xF0000000, 4},   // 240.0.0.0/4 reserved, and the broadcast address
    };
    const uint32_t v = a.V4();
    for (const Block& b : kBlocks) {
      if ((v >> (32 - b.length)) == (b.base >> (32 - b.length))) return true;
    }
    return false;
  }
  // IANA IPv6 Special-Purpose Address Registry, by the first 64 bits.
  const uint64_t h = a.High();
  if (h == 0) return true;                                      // ::/64: ::, ::1, and the like
  if ((h >> 16) == 0x0064ff9b0001ull) return true;              // 64:ff9b:1::/48 local NAT64
  if (h == 0x0100000000000000ull) return true;                  // 100::/64 discard
  if ((h >> 32) == 0x20010db8ull) return true;                  // 2001:db8::/32 documentation
  if ((h >> 44) == 0x3fffull) return true;                      // 3fff::/20 documentation
  if ((h >> 57) == (0xfc00000000000000ull >> 57)) return true;  // fc00::/7 unique local
  if ((h >> 54) == (0xfe80000000000000ull >> 54)) return true;  // fe80::/10 link local
  if ((h >> 56) == 0xffull) return true;                        // ff00::/8 multicast
  return false;
}

Result<std::unique_ptr<GeoDatabase>> GeoDatabase::Open(const std::string& mmdb_path) {
  std::error_code ec;
  if (!fs::is_regular_file(mmdb_path, ec)) {
    return Status::NotFound(fmt::format("IP-to-country database {}: no such file", mmdb_path));
  }
  std::unique_ptr<GeoDatabase> db(new GeoDatabase());
  db->mmdb_ = std::make_unique<MMDB_s>();
  int rc = MMDB_open(mmdb_path.c_str(), MMDB_MODE_MMAP, db->mmdb_.get());
  if (rc != MMDB_SUCCESS) {
    db->mmdb_.reset();  // MMDB_open frees what it allocated on failure
    if (rc == MMDB_IO_ERROR) {
      return Status::IoError(
          fmt::format("IP-to-country database {}: {}", mmdb_path, MMDB_strerror(rc)));
    }
    return Status::Corruption(
        fmt::format("IP-to-country database {}: {}", mmdb_path, MMDB_strerror(rc)));
  }
  db->path_ = mmdb_path;

  const MMDB_metadata_s& md = db->mmdb_->metadata;
  std::string type = md.database_type != nullptr ? md.database_type : "mmdb";
  std::string built;
  if (md.build_epoch > 0) {
    std::time_t t = static_cast<std::time_t>(md.build_epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    built = fmt::format("built {:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  }
  std::string package;
  std::string pkg = ReadSmallFile(fs::path(mmdb_path).parent_path() / "package.json");
  if (!pkg.empty()) {
    std::string name = JsonStringField(pkg, "name");
    std::string version = JsonStringField(pkg, "version");
    if (!name.empty())
      package = fmt::format("npm {}{}", name, version.empty() ? "" : " " + version);
  }
  std::string detail = package;
  if (!built.empty()) detail += (detail.empty() ? "" : ", ") + built;
  // ip-location-db's files say only "country ipvAll" inside: their file
  // name is the database's name.
  std::string name = type;
  if (!package.empty() || type.rfind("country ipv", 0) == 0) {
    name = fs::path(mmdb_path).stem().string();
  }
  db->description_ = detail.empty() ? name : fmt::format("{} ({})", name, detail);

  // ip-location-db's RIR-derived databases ship the NRO's licence beside them.
  if (fs::exists(fs::path(mmdb_path).parent_path() / "NRO_LICENSE", ec)) {
    db->attribution_ = "data: Number Resource Organization (NRO), CC BY 4.0";
  } else if (type.find("GeoLite2") != std::string::npos) {
    db->attribution_ = "data: MaxMind GeoLite2, CC BY-SA 4.0";
  }
  return db;
}

Result<std::unique_ptr<GeoDatabase>> GeoDatabase::Open(const Result<std::string>& path) {
  if (!path.ok()) return path.status();
  return Open(*path);
}

GeoDatabase::~GeoDatabase() {
  if (mmdb_) MMDB_close(mmdb_.get());
}

uint16_t GeoDatabase::Lookup(const IpAddress& a, int* prefix_length) const {
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s r;
  if (a.IsV4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(a.V4());
    r = MMDB_lookup_sockaddr(mmdb_.get(), reinterpret_cast<const sockaddr*>(&sin), &mmdb_error);
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    std::memcpy(sin6.sin6_addr.s6_addr, a.bytes().data(), 16);
    r = MMDB_lookup_sockaddr(mmdb_.get(), reinterpret_cast<const sockaddr*>(&sin6), &mmdb_error);
  }
  // An IPv4 address in an IPv6 tree reports its netmask in IPv6 bits.
  int netmask = r.netmask;
  if (a.IsV4() && mmdb_->metadata.ip_version == 6) netmask -= 96;
  *prefix_length = netmask < 0 ? 0 : netmask;
  if (mmdb_error != MMDB_SUCCESS || !r.found_entry) return 0;

  MMDB_entry_data_s data;
  static const char* const kCountryCode[] = {"country_code", nullptr};
  static const char* const kIsoCode[] = {"country", "iso_code", nullptr};
  static const char* const kRegistered[] = {"registered_country", "iso_code", nullptr};
  for (const char* const* path : {kCountryCode, kIsoCode, kRegistered}) {
    int rc = MMDB_aget_value(&r.entry, &data, path);
    if (rc == MMDB_SUCCESS && data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
      return PackCode(data.utf8_string, data.data_size);
    }
  }
  return 0;
}

std::string GeoDatabase::CountryCode(const IpAddress& a) const {
  if (IsSpecialPurpose(a)) {
    std::lock_guard<std::mutex> lock(mu_);
    ++lookups_;
    ++hits_;
    return std::string();
  }
  const uint64_t key = BlockKey(a);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++lookups_;
    if (auto it = blocks_.find(key); it != blocks_.end()) {
      ++hits_;
      return UnpackCode(it->second);
    }
    if (!addresses_.empty()) {
      if (auto it = addresses_.find(a); it != addresses_.end()) {
        ++hits_;
        return UnpackCode(it->second);
      }
    }
  }
  int prefix_length = 0;
  uint16_t code = Lookup(a, &prefix_length);
  const int block_length = a.IsV4() ? 24 : 48;
  std::lock_guard<std::mutex> lock(mu_);
  if (blocks_.size() + addresses_.size() >= kMaxCacheEntries) {
    blocks_.clear();
    addresses_.clear();
  }
  // The database network holds the whole block only if it is no longer than it.
  if (prefix_length <= block_length) {
    blocks_.emplace(key, code);
  } else {
    addresses_.emplace(a, code);
  }
  return UnpackCode(code);
}

std::string GeoDatabase::CountryName(std::string_view code) const {
  return scanscope::CountryName(code);
}

std::string GeoDatabase::Description() const { return description_; }

std::string GeoDatabase::Attribution() const { return attribution_; }

GeoDatabase::CacheStats GeoDatabase::cache_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return CacheStats{lookups_, hits_, blocks_.size() + addresses_.size()};
}

void GeoDatabase::ClearCache() {
  std::lock_guard<std::mutex> lock(mu_);
  blocks_.clear();
  addresses_.clear();
}

Result<std::string> DefaultGeoDatabasePath() {
  std::error_code ec;
  if (const char* env = std::getenv("SCANSCOPE_GEO_DB"); env != nullptr && *env != '\0') {
    if (!fs::is_regular_file(env, ec)) {
      return Status::NotFound(
          fmt::format("SCANSCOPE_GEO_DB={}: no such file (an mmdb IP-to-country database)", env));
    }
    return std::string(env);
  }
  if (auto found = FindShippedFile(kInstalledRelative)) return *found;
  return Status::NotFound(
      "no IP-to-country database: run scripts/setup.sh (installs "
      "@ip-location-db/geo-whois-asn-country-mmdb into third_party/npm), or set "
      "SCANSCOPE_GEO_DB to an mmdb file");
}

}  // namespace scanscope
