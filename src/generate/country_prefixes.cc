#include "generate/country_prefixes.h"

#include <array>
#include <vector>

#include "generate/random.h"

namespace scanscope::generate {
namespace {

// Source of the facts: the Regional Internet Registries' delegation statistics
// (APNIC, ARIN, RIPE NCC, LACNIC and AFRINIC "delegated-<rir>-extended-latest"
// files, as published under ftp.<rir>/pub/stats/), where every allocated IPv4
// range carries the country code of its holder. The blocks below are large
// allocations of access and hosting networks in each country, summarised to
// CIDR and transcribed by hand (this build fetches nothing); a block may since
// have been split or transferred. The table only makes generated sources
// credible: the geo stage resolves countries with its own database.
//
// Country weights follow the shape of public scan-source statistics of the
// late 2000s (DShield/ISC top-source countries, the TALOT2 reports' source-area
// charts): China first, then the United States, Russia, Korea, Taiwan, Brazil,
// India, Germany, Japan, Viet Nam, and a long tail.
struct Block {
  uint8_t a, b, c, d;
  uint8_t length;
};

struct Country {
  std::string_view code;
  double weight;
  std::vector<Block> blocks;
};

const std::vector<Country>& Countries() {
  static const std::vector<Country> kCountries = {
      {"CN",
       24.0,
       {{1, 80, 0, 0, 13},    {27, 8, 0, 0, 13},    {36, 96, 0, 0, 11},   {58, 16, 0, 0, 13},
        {60, 160, 0, 0, 11},  {61, 128, 0, 0, 10},  {111, 0, 0, 0, 10},   {113, 64, 0, 0, 11},
        {114, 80, 0, 0, 12},  {115, 192, 0, 0, 11}, {117, 136, 0, 0, 13}, {121, 8, 0, 0, 13},
        {122, 224, 0, 0, 12}, {123, 112, 0, 0, 12}, {125, 64, 0, 0, 11},  {180, 96, 0, 0, 11},
        {183, 0, 0, 0, 10},   {202, 96, 0, 0, 12},  {220, 160, 0, 0, 11}, {222, 128, 0, 0, 12}}},
      {"US",
       13.0,
       {{12, 0, 0, 0, 8},
        {23, 0, 0, 0, 12},
        {45, 33, 0, 0, 17},
        {50, 128, 0, 0, 9},
        {54, 144, 0, 0, 12},
        {67, 160, 0, 0, 11},
        {68, 32, 0, 0, 11},
        {71, 192, 0, 0, 12},
        {73, 0, 0, 0, 8},
        {98, 192, 0, 0, 10},
        {104, 131, 0, 0, 16},
        {107, 170, 0, 0, 16},
        {162, 243, 0, 0, 16}}},
      {"RU",
       7.0,
       {{37, 144, 0, 0, 14},
        {78, 106, 0, 0, 15},
        {79, 104, 0, 0, 13},
        {85, 140, 0, 0, 15},
        {89, 178, 0, 0, 15},
        {91, 76, 0, 0, 14},
        {95, 24, 0, 0, 13},
        {109, 252, 0, 0, 14}}},
      {"KR",
       6.0,
       {{1, 208, 0, 0, 12},
        {14, 32, 0, 0, 11},
        {58, 120, 0, 0, 13},
        {59, 0, 0, 0, 11},
        {61, 72, 0, 0, 13},
        {112, 144, 0, 0, 12},
        {121, 128, 0, 0, 10},
        {175, 192, 0, 0, 10},
        {211, 32, 0, 0, 11},
        {218, 144, 0, 0, 12},
        {222, 96, 0, 0, 12}}},
      {"TW",
       6.0,
       {{1, 160, 0, 0, 12},
        {36, 224, 0, 0, 12},
        {59, 112, 0, 0, 12},
        {111, 240, 0, 0, 12},
        {114, 24, 0, 0, 14},
        {118, 160, 0, 0, 13},
        {122, 116, 0, 0, 14},
        {218, 160, 0, 0, 12},
        {220, 128, 0, 0, 12}}},
      {"BR", 5.0, {{187, 0, 0, 0, 11}, {189, 0, 0, 0, 11}, {201, 0, 0, 0, 12}}},
      {"IN",
       4.0,
       {{14, 96, 0, 0, 12},
        {59, 88, 0, 0, 13},
        {117, 192, 0, 0, 10},
        {122, 160, 0, 0, 12},
        {182, 64, 0, 0, 12},
        {223, 176, 0, 0, 12}}},
      {"JP",
       4.5,
       {{60, 32, 0, 0, 12},
        {61, 192, 0, 0, 12},
        {114, 144, 0, 0, 12},
        {126, 0, 0, 0, 8},
        {153, 128, 0, 0, 10}}},
      {"DE",
       3.5,
       {{79, 192, 0, 0, 10},
        {80, 128, 0, 0, 11},
        {84, 128, 0, 0, 10},
        {87, 128, 0, 0, 10},
        {91, 0, 0, 0, 10},
        {93, 192, 0, 0, 10},
        {217, 224, 0, 0, 11}}},
      {"VN",
       3.0,
       {{1, 52, 0, 0, 14},
        {14, 160, 0, 0, 11},
        {27, 64, 0, 0, 12},
        {42, 112, 0, 0, 13},
        {113, 160, 0, 0, 11},
        {115, 72, 0, 0, 13},
        {116, 96, 0, 0, 12},
        {117, 0, 0, 0, 13},
        {123, 16, 0, 0, 12},
        {171, 224, 0, 0, 11}}},
      {"TR", 2.5, {{78, 160, 0, 0, 11}, {85, 96, 0, 0, 12}, {88, 224, 0, 0, 11}}},
      {"IT", 2.0, {{151, 0, 0, 0, 10}}},
      {"FR", 2.0, {{2, 0, 0, 0, 12}, {88, 160, 0, 0, 11}, {90, 0, 0, 0, 9}}},
      {"GB", 2.0, {{86, 128, 0, 0, 10}, {217, 32, 0, 0, 12}}},
      {"PL", 2.0, {{79, 184, 0, 0, 13}, {83, 0, 0, 0, 11}}},
      {"TH",
       2.0,
       {{1, 0, 128, 0, 17},
        {58, 8, 0, 0, 14},
        {124, 120, 0, 0, 13},
        {171, 96, 0, 0, 13},
        {182, 52, 0, 0, 15}}},
      {"ID", 2.0, {{36, 64, 0, 0, 11}, {110, 136, 0, 0, 13}, {125, 160, 0, 0, 11}}},
      {"ES", 1.5, {{80, 24, 0, 0, 13}, {83, 32, 0, 0, 11}, {88, 0, 0, 0, 11}}},
      {"RO", 1.5, {{79, 112, 0, 0, 13}, {86, 120, 0, 0, 13}}},
      {"CA", 1.5, {{70, 24, 0, 0, 13}, {99, 224, 0, 0, 11}, {174, 112, 0, 0, 12}}},
      {"HK",
       1.5,
       {{42, 2, 0, 0, 15}, {112, 118, 0, 0, 15}, {113, 252, 0, 0, 14}, {218, 102, 0, 0, 16}}},
      {"NL", 1.2, {{77, 160, 0, 0, 12}, {84, 24, 0, 0, 13}}},
      {"MX", 1.2, {{187, 128, 0, 0, 10}, {189, 128, 0, 0, 10}, {201, 128, 0, 0, 11}}},
      {"IR", 1.0, {{2, 176, 0, 0, 12}, {5, 112, 0, 0, 12}}},
      {"PK", 1.0, {{39, 32, 0, 0, 11}, {119, 152, 0, 0, 13}, {182, 176, 0, 0, 12}}},
      {"EG", 1.0, {{41, 32, 0, 0, 12}, {156, 192, 0, 0, 11}, {197, 32, 0, 0, 11}}},
      {"AU",
       1.0,
       {{1, 120, 0, 0, 13}, {58, 160, 0, 0, 12}, {101, 160, 0, 0, 11}, {120, 144, 0, 0, 13}}},
  };
  return kCountries;
}

// IPv6 allocations (same RIR files): CERNET and China Telecom, Hurricane
// Electric, Hetzner, Free, Yandex. Host bits are drawn at random.
struct Block6 {
  std::string_view country;
  double weight;
  uint64_t high;  // the prefix's first 64 bits
  int length;     // <= 64
};

constexpr std::array<Block6, 6> kBlocks6 = {{
    {"CN", 4.0, 0x20010DA800000000ull, 32},
    {"CN", 3.0, 0x240E000000000000ull, 24},
    {"US", 3.0, 0x2001047000000000ull, 32},
    {"DE", 2.0, 0x2A0104F800000000ull, 32},
    {"FR", 1.0, 0x2A010E0000000000ull, 26},
    {"RU", 1.0, 0x2A0206B800000000ull, 32},
}};

// Cumulative weights, built once (thread-safe static init).
struct Tables {
  std::vector<double> country_cum;             // by country
  std::vector<std::vector<double>> block_cum;  // by country, by block (sizes)
  std::vector<double> block6_cum;
};

const Tables& GetTables() {
  static const Tables kTables = [] {
    Tables t;
    double total = 0;
    for (const Country& c : Countries()) {
      total += c.weight;
      t.country_cum.push_back(total);
      std::vector<double> cum;
      double size_total = 0;
      for (const Block& b : c.blocks) {
        size_total += static_cast<double>(uint64_t{1} << (32 - b.length));
        cum.push_back(size_total);
      }
      t.block_cum.push_back(std::move(cum));
    }
    double total6 = 0;
    for (const Block6& b : kBlocks6) {
      total6 += b.weight;
      t.block6_cum.push_back(total6);
    }
    return t;
  }();
  return kTables;
}

size_t Pick(const std::vector<double>& cum, double u) {
  double x = u * cum.back();
  size_t lo = 0, hi = cum.size() - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (x < cum[mid]) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

}  // namespace

SourceAddress Ipv4SourceFromBits(uint64_t bits) {
  const Tables& t = GetTables();
  uint64_t h1 = Mix64(bits ^ 0x1111);
  uint64_t h2 = Mix64(bits ^ 0x2222);
  uint64_t h3 = Mix64(bits ^ 0x3333);
  size_t ci = Pick(t.country_cum, UnitFromBits(h1));
  const Country& country = Countries()[ci];
  const Block& b = country.blocks[Pick(t.block_cum[ci], UnitFromBits(h2))];
  uint32_t base = (uint32_t{b.a} << 24) | (uint32_t{b.b} << 16) | (uint32_t{b.c} << 8) | b.d;
  uint32_t span = b.length == 0 ? 0xFFFFFFFFu : (uint32_t{1} << (32 - b.length)) - 1;
  uint32_t address = base | (static_cast<uint32_t>(h3) & span);
  uint32_t last = address & 0xFF;
  if (last == 0 || last == 255) address = (address & ~0xFFu) | (1 + (h3 >> 40) % 254);
  return {IpAddress::FromV4(address), country.code};
}

SourceAddress Ipv6SourceFromBits(uint64_t bits) {
  const Tables& t = GetTables();
  const Block6& b = kBlocks6[Pick(t.block6_cum, UnitFromBits(Mix64(bits ^ 0x6666)))];
  uint64_t h = Mix64(bits ^ 0x7777);
  uint64_t host_mask = b.length >= 64 ? 0 : (~0ull >> b.length);
  uint64_t high = b.high | (h & host_mask);
  uint64_t low = Mix64(bits ^ 0x8888);
  if ((h >> 60) < 5) low &= 0xFFFF;  // some hosts sit at small interface ids (::1a2b)
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  return {IpAddress::FromBytes(bytes), b.country};
}

int CountryCount() { return static_cast<int>(Countries().size()); }

int Ipv4BlockCount() {
  int n = 0;
  for (const Country& c : Countries()) n += static_cast<int>(c.blocks.size());
  return n;
}

}  // namespace scanscope::generate
