#pragma once
// Where generated sources come from: real allocated address blocks per
// country, weighted like scan-source statistics, so that the geo stage finds
// a credible country mix in generated captures. See country_prefixes.cc for
// the origin of the table.

#include <cstdint>
#include <string_view>

#include "common/ip_address.h"

namespace scanscope::generate {

struct SourceAddress {
  IpAddress address;
  std::string_view country;  // ISO 3166 alpha-2 of the block the address came from
};

// An IPv4 source address drawn from the country table by the 64 random bits
// `bits`: a country by its weight, a block of that country by its size, an
// address in the block (never .0 or .255). Pure function of `bits`.
SourceAddress Ipv4SourceFromBits(uint64_t bits);

// An IPv6 source address from the (smaller) IPv6 table, same contract.
SourceAddress Ipv6SourceFromBits(uint64_t bits);

// How many countries and IPv4 blocks the table holds (for tests and docs).
int CountryCount();
int Ipv4BlockCount();

}  // namespace scanscope::generate
