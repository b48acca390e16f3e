#include "report/palette.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

namespace scanscope {

namespace {

// Fixed colours (Tableau 20 and a few more) for the names seen most.
constexpr std::array<std::pair<std::string_view, std::string_view>, 39> kFixed = {{
    {"ICMP", "#4e79a7"},
    {"445/tcp", "#e15759"},
    {"22/tcp", "#59a14f"},
    {"23/tcp", "#f28e2b"},
    {"80/tcp", "#76b7b2"},
    {"3389/tcp", "#b07aa1"},
    {"135/tcp", "#edc948"},
    {"139/tcp", "#ff9da7"},
    {"1433/tcp", "#9c755f"},
    {"8080/tcp", "#499894"},
    {"443/tcp", "#86bcb6"},
    {"25/tcp", "#d37295"},
    {"5900/tcp", "#8cd17d"},
    {"3306/tcp", "#b6992d"},
    {"6379/tcp", "#f1ce63"},
    {"2323/tcp", "#fabfd2"},
    {"1026/udp", "#a0cbe8"},
    {"1027/udp", "#ffbe7d"},
    {"53/udp", "#d4a6c8"},
    {"5060/udp", "#79706e"},
    {"123/udp", "#d7b5a6"},
    {"161/udp", "#2f6b9a"},
    {"137/udp", "#c85200"},
    {"1434/udp", "#6b8e23"},
    {"2967/tcp", "#8f2d56"},
    {"8443/tcp", "#5f9ea0"},
    {"21/tcp", "#a05195"},
    {"110/tcp", "#665191"},
    // Areas
    {"China", "#d62728"},
    {"United States", "#1f77b4"},
    {"Japan", "#ff7f0e"},
    {"Korea, Republic of", "#2ca02c"},
    {"South Korea", "#2ca02c"},
    {"Taiwan", "#9467bd"},
    {"Brazil", "#17becf"},
    {"India", "#bcbd22"},
    {"Germany", "#8c564b"},
    {"Netherlands", "#e377c2"},
    {"Vietnam", "#aec7e8"},
}};

uint32_t Fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

// HSL (h in degrees, s and l in 0..1) to "#rrggbb".
std::string Hsl(double h, double s, double l) {
  double c = (1 - std::fabs(2 * l - 1)) * s;
  double hp = h / 60.0;
  double x = c * (1 - std::fabs(std::fmod(hp, 2.0) - 1));
  double r = 0, g = 0, b = 0;
  if (hp < 1) {
    r = c, g = x;
  } else if (hp < 2) {
    r = x, g = c;
  } else if (hp < 3) {
    g = c, b = x;
  } else if (hp < 4) {
    g = x, b = c;
  } else if (hp < 5) {
    r = x, b = c;
  } else {
    r = c, b = x;
  }
  double m = l - c / 2;
  auto byte = [&](double v) { return static_cast<int>(std::lround((v + m) * 255)); };
  return fmt::format("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b));
}

}  // namespace

std::string ColorFor(std::string_view name) {
  if (name == "Others") return "#bab0ac";
  if (name == "Unknown") return "#6f6f6f";
  if (name == "Russia" || name == "Russian Federation") return "#393b79";
  for (const auto& [n, color] : kFixed) {
    if (n == name) return std::string(color);
  }
  // 20 hues x 2 lightnesses.
  uint32_t h = Fnv1a(name);
  double hue = static_cast<double>(h % 20) * 18.0;
  double light = (h / 20) % 2 == 0 ? 0.42 : 0.62;
  return Hsl(hue, 0.55, light);
}

}  // namespace scanscope
