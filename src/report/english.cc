#include "report/english.h"

#include <fmt/format.h>

#include <array>
#include <cmath>

namespace scanscope {

std::string MonthTitle(const Month& month) {
  return fmt::format("{} {}", MonthName(month.month), month.year);
}

std::string MonthWord(const Month& month) { return std::string(MonthName(month.month)); }

std::string ShortMonth(const Month& month) {
  return fmt::format("{} {}", MonthName(month.month).substr(0, 3), month.year);
}

std::string NumberWords(int n) {
  static constexpr std::array<const char*, 13> kWords = {"zero", "one",    "two",   "three", "four",
                                                         "five", "six",    "seven", "eight", "nine",
                                                         "ten",  "eleven", "twelve"};
  if (n >= 0 && n < static_cast<int>(kWords.size())) return kWords[static_cast<size_t>(n)];
  return std::to_string(n);
}

const char* PluralS(int64_t n) { return n == 1 ? "" : "s"; }

std::string PercentWords(double fraction) {
  std::string s = fmt::format("{:.2f}", 100.0 * fraction);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "%";
}

std::string FractionWords(double fraction) {
  struct Named {
    double value;
    const char* words;
  };
  static constexpr std::array<Named, 4> kNamed = {
      {{0.5, "half"}, {1.0 / 3, "a third"}, {0.25, "a quarter"}, {2.0 / 3, "two thirds"}}};
  for (const Named& n : kNamed) {
    if (std::fabs(fraction - n.value) <= 0.005) return n.words;
  }
  return PercentWords(fraction);
}

std::string JoinWords(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string ChangeWords(uint64_t now, uint64_t before) {
  if (before == 0) return "new";
  double pct = 100.0 * (static_cast<double>(now) - static_cast<double>(before)) /
               static_cast<double>(before);
  return fmt::format("{}{:.1f}%", pct >= 0 ? "+" : "", pct);
}

uint64_t AboutWhole(int64_t x100) { return static_cast<uint64_t>((x100 + 50) / 100); }

std::string AreaName(const std::string& code,
                     const std::function<std::string(const std::string&)>& country_name) {
  if (code.empty()) return "Unknown";
  if (country_name) {
    std::string name = country_name(code);
    if (!name.empty()) return name;
  }
  return code;
}

}  // namespace scanscope
