#pragma once
// The English words the report's charts and prose share: month names,
// number words, percentages, lists. The figures (report_figures.h) hold none
// of these; a report in another language keeps its own beside its prose.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/time_zone.h"

namespace scanscope {

// "May 2009".
std::string MonthTitle(const Month& month);
// "May".
std::string MonthWord(const Month& month);
// "Oct 2026": a chart's category.
std::string ShortMonth(const Month& month);

// 7 -> "seven", 10 -> "ten"; from 13 on (and below 0) digits: "25".
std::string NumberWords(int n);
// "" for one, "s" otherwise: fmt::format("{} point{}", n, PluralS(n)).
const char* PluralS(int64_t n);

// A fraction as a percentage with at most two decimals: 0.005 -> "0.5%",
// 0.0025 -> "0.25%", 0.1 -> "10%".
std::string PercentWords(double fraction);
// A fraction of a whole: 0.5 -> "half", 0.33 or 1/3 -> "a third", 0.25 ->
// "a quarter", 2/3 -> "two thirds" (within half a percent); else
// PercentWords: 0.4 -> "40%".
std::string FractionWords(double fraction);

// "a", "a and b", "a, b and c".
std::string JoinWords(const std::vector<std::string>& items);

// Signed change in percent, one decimal: "+45.2%"; "new" when before is 0.
std::string ChangeWords(uint64_t now, uint64_t before);

// "about 372": hundredths rounded half up to a whole number, as the reference.
uint64_t AboutWhole(int64_t x100);

// An area's name: `country_name(code)` when it gives one, "Unknown" for the
// code "" (an address the database does not place), else the code itself.
std::string AreaName(const std::string& code,
                     const std::function<std::string(const std::string&)>& country_name);

}  // namespace scanscope
