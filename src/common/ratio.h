#pragma once
// Numbers as scanscope prints them for people. Ratios (docs/design.md,
// "ratio"): a share in percent, rounded half up to one decimal place,
// computed in integers so that the same counts give the same digits on every
// machine. Counts with thousands separators.

#include <cstdint>
#include <string>

namespace scanscope {

// round(1000 * part / total): the share in tenths of a percent; 0 when total
// is 0. Exact for any 64-bit counts.
uint64_t RatioTenths(uint64_t part, uint64_t total);

// RatioTenths / 10 as a double (12.3 for 12.3%).
double RatioPercent(uint64_t part, uint64_t total);

// "12.3": the ratio's digits, without the percent sign.
std::string FormatRatio(uint64_t part, uint64_t total);

// 1234567 -> "1,234,567".
std::string WithThousands(uint64_t v);

}  // namespace scanscope
