#include "report/svg_chart.h"

#include <fmt/format.h>

// GCC 12 warns -Wrestrict on `"literal" + std::string` at -O3, a known false
// positive (GCC bug 105329, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/ratio.h"

namespace scanscope {

namespace {

constexpr double kWidth = 800;
constexpr double kFont = 12;
constexpr const char* kFontFamily = "DejaVu Sans, Verdana, Arial, sans-serif";
constexpr const char* kAxisColor = "#444444";
constexpr const char* kGridColor = "#e3e3e3";

// Rough width of text in the chart font (DejaVu Sans averages ~0.6 em).
double TextWidth(const std::string& s, double size) {
  return 0.6 * size * static_cast<double>(s.size());
}

std::string Num(double v) { return fmt::format("{:.1f}", v); }

struct Svg {
  std::string out;
  void Text(double x, double y, const std::string& s, const char* anchor = "start",
            double size = kFont, const std::string& fill = "#222222",
            const std::string& extra = "") {
    out +=
        fmt::format(R"(<text x="{}" y="{}" font-size="{}" text-anchor="{}" fill="{}"{}>{}</text>)",
                    Num(x), Num(y), Num(size), anchor, fill, extra, XmlEscape(s));
    out += '\n';
  }
  void Rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& title = "") {
    if (title.empty()) {
      out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>)", Num(x),
                         Num(y), Num(w), Num(h), fill);
    } else {
      out += fmt::format(
          R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>)",
          Num(x), Num(y), Num(w), Num(h), fill, XmlEscape(title));
    }
    out += '\n';
  }
  void Line(double x1, double y1, double x2, double y2, const char* stroke, double width = 1) {
    out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"/>)",
                       Num(x1), Num(y1), Num(x2), Num(y2), stroke, Num(width));
    out += '\n';
  }
};

std::string Open(const ChartData& c, double height) {
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="svg-chart-{}" viewBox="0 0 {} {}" width="{}" height="{}" role="img" font-family="{}">)"
      "\n<title>{}</title>\n"
      R"(<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>)"
      "\n",
      c.id, Num(kWidth), Num(height), Num(kWidth), Num(height), kFontFamily,
      XmlEscape(ChartCaption(c)), Num(kWidth), Num(height));
}

// The legend as a column at x; returns its height.
double Legend(Svg* svg, double x, double y, const std::vector<ChartSeries>& series) {
  double row = 18;
  // Stacks are drawn bottom-up; the legend lists them top-down in the same order as seen.
  for (size_t i = 0; i < series.size(); ++i) {
    double yy = y + row * static_cast<double>(i);
    svg->Rect(x, yy, 12, 12, series[i].color);
    svg->Text(x + 18, yy + 10.5, series[i].name);
  }
  return row * static_cast<double>(series.size());
}

double LegendWidth(const std::vector<ChartSeries>& series) {
  double w = 0;
  for (const ChartSeries& s : series) w = std::max(w, TextWidth(s.name, kFont));
  return std::min(200.0, w + 30);
}

// Y axis with gridlines and tick labels; ticks from NiceTicks.
void YAxis(Svg* svg, const ChartData& c, const std::vector<double>& ticks, double left, double top,
           double plot_w, double plot_h) {
  double max = ticks.back();
  for (double t : ticks) {
    double y = top + plot_h - plot_h * t / max;
    svg->Line(left, y, left + plot_w, y, kGridColor);
    svg->Text(left - 6, y + 4, FormatChartValue(t, c.percent), "end", 11);
  }
  svg->Line(left, top, left, top + plot_h, kAxisColor);
  svg->Line(left, top + plot_h, left + plot_w, top + plot_h, kAxisColor);
  if (!c.y_label.empty()) {
    double cx = 16, cy = top + plot_h / 2;
    svg->Text(cx, cy, c.y_label, "middle", kFont, "#222222",
              fmt::format(R"x( transform="rotate(-90 {} {})")x", Num(cx), Num(cy)));
  }
}

// Category labels under the plot; rotated when they would overlap.
// Returns the height they take.
double XLabels(Svg* svg, const ChartData& c, double left, double band, double y) {
  double widest = 0;
  for (const std::string& s : c.categories) widest = std::max(widest, TextWidth(s, 11));
  bool rotate = widest > band - 4;
  for (size_t i = 0; i < c.categories.size(); ++i) {
    double x = left + band * (static_cast<double>(i) + 0.5);
    if (rotate) {
      svg->Text(x, y + 12, c.categories[i], "end", 11, "#222222",
                fmt::format(R"x( transform="rotate(-35 {} {})")x", Num(x), Num(y + 12)));
    } else {
      svg->Text(x, y + 14, c.categories[i], "middle", 11);
    }
  }
  return rotate ? widest * 0.6 + 18 : 20;
}

double MaxStack(const ChartData& c) {
  double max = 0;
  for (size_t i = 0; i < c.categories.size(); ++i) {
    double sum = 0;
    for (const ChartSeries& s : c.series) sum += i < s.values.size() ? s.values[i] : 0;
    max = std::max(max, sum);
  }
  return max;
}

double MaxValue(const ChartData& c) {
  double max = 0;
  for (const ChartSeries& s : c.series) {
    for (double v : s.values) max = std::max(max, v);
  }
  return max;
}

double XLabelRoom(const ChartData& c, double band) {
  double widest = 0;
  for (const std::string& s : c.categories) widest = std::max(widest, TextWidth(s, 11));
  return widest > band - 4 ? widest * 0.6 + 18 : 20;
}

// Line, grouped bars, stacked bars and 100 % stacks share one frame: y axis
// left, legend right, categories below.
std::string RenderFramed(const ChartData& c) {
  const double left = 78, top = 16;
  const double legend_w = LegendWidth(c.series);
  const double plot_w = kWidth - left - legend_w - 24;
  const double n = static_cast<double>(std::max<size_t>(1, c.categories.size()));
  const double band = plot_w / n;
  const double plot_h = 260;
  const double xroom = XLabelRoom(c, band);
  const double legend_h = 18.0 * static_cast<double>(c.series.size());
  double height = std::max(top + plot_h + xroom + (c.x_label.empty() ? 8 : 26), top + legend_h + 8);

  Svg svg;
  svg.out = Open(c, height);
  std::vector<double> ticks;
  if (c.kind == ChartKind::kStacked100) {
    ticks = {0, 20, 40, 60, 80, 100};
  } else if (c.kind == ChartKind::kStackedBars) {
    ticks = NiceTicks(MaxStack(c));
  } else {
    ticks = NiceTicks(MaxValue(c));
  }
  const double max = ticks.back();
  auto ypos = [&](double v) { return top + plot_h - plot_h * v / max; };
  YAxis(&svg, c, ticks, left, top, plot_w, plot_h);

  const size_t cats = c.categories.size();
  if (c.kind == ChartKind::kLine) {
    for (const ChartSeries& s : c.series) {
      std::string points;
      for (size_t i = 0; i < cats && i < s.values.size(); ++i) {
        double x = left + band * (static_cast<double>(i) + 0.5);
        points += fmt::format("{}{},{}", points.empty() ? "" : " ", Num(x), Num(ypos(s.values[i])));
      }
      svg.out += fmt::format(
          R"(<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>)", s.color, points);
      svg.out += '\n';
      for (size_t i = 0; i < cats && i < s.values.size(); ++i) {
        double x = left + band * (static_cast<double>(i) + 0.5);
        double y = ypos(s.values[i]);
        svg.out +=
            fmt::format(R"(<circle cx="{}" cy="{}" r="4" fill="{}"><title>{}</title></circle>)",
                        Num(x), Num(y), s.color,
                        XmlEscape(fmt::format("{} {}: {}", s.name, c.categories[i],
                                              FormatChartValue(s.values[i], c.percent))));
        svg.out += '\n';
        svg.Text(x, y - 8, FormatChartValue(s.values[i], c.percent), "middle", 10.5, s.color);
      }
    }
  } else if (c.kind == ChartKind::kGroupedBars) {
    const double group = band * 0.8;
    const double bar = group / static_cast<double>(std::max<size_t>(1, c.series.size()));
    for (size_t i = 0; i < cats; ++i) {
      for (size_t k = 0; k < c.series.size(); ++k) {
        double v = i < c.series[k].values.size() ? c.series[k].values[i] : 0;
        double x = left + band * static_cast<double>(i) + band * 0.1 + bar * static_cast<double>(k);
        svg.Rect(x, ypos(v), std::max(0.0, bar - 1), top + plot_h - ypos(v), c.series[k].color,
                 fmt::format("{} {}: {}", c.categories[i], c.series[k].name,
                             FormatChartValue(v, c.percent)));
      }
    }
  } else {  // stacked, absolute or to 100 %
    const double bar = band * 0.72;
    for (size_t i = 0; i < cats; ++i) {
      double total = 0;
      for (const ChartSeries& s : c.series) total += i < s.values.size() ? s.values[i] : 0;
      double base = 0;
      double x = left + band * static_cast<double>(i) + (band - bar) / 2;
      for (const ChartSeries& s : c.series) {
        double v = i < s.values.size() ? s.values[i] : 0;
        if (v <= 0) continue;
        double shown = c.kind == ChartKind::kStacked100 ? (total > 0 ? 100.0 * v / total : 0) : v;
        double y0 = ypos(base), y1 = ypos(base + shown);
        std::string label = c.kind == ChartKind::kStacked100 ? FormatChartValue(shown, true)
                                                             : FormatChartValue(v, c.percent);
        svg.Rect(x, y1, bar, y0 - y1, s.color,
                 fmt::format("{} {}: {}", c.categories[i], s.name, label));
        if (c.kind == ChartKind::kStacked100 && y0 - y1 >= 13 && bar >= 34) {
          svg.Text(
              x + bar / 2, (y0 + y1) / 2 + 4, label, "middle", 10, "#ffffff",
              R"( stroke="#000000" stroke-opacity="0.35" stroke-width="0.6" paint-order="stroke")");
        }
        base += shown;
      }
    }
  }
  XLabels(&svg, c, left, band, top + plot_h);
  if (!c.x_label.empty()) {
    svg.Text(left + plot_w / 2, top + plot_h + xroom + 16, c.x_label, "middle");
  }
  // Stacks are drawn bottom-up: list the legend top-down from the top of the stack.
  std::vector<ChartSeries> legend = c.series;
  if (c.kind == ChartKind::kStackedBars || c.kind == ChartKind::kStacked100) {
    std::reverse(legend.begin(), legend.end());
  }
  Legend(&svg, left + plot_w + 18, top, legend);
  svg.out += "</svg>\n";
  return svg.out;
}

// Horizontal bars of shares, largest first, the value at the end of each bar.
std::string RenderShareBars(const ChartData& c) {
  const double row = 24, top = 12;
  double label_w = 60;
  for (const std::string& s : c.categories) label_w = std::max(label_w, TextWidth(s, kFont) + 12);
  label_w = std::min(label_w, 260.0);
  const double left = label_w;
  const double plot_w = kWidth - left - 70;
  const double n = static_cast<double>(c.categories.size());
  const double plot_h = row * n;
  const double height = top + plot_h + 20 + (c.x_label.empty() ? 8 : 26);
  const std::vector<double>& values = c.series.empty() ? std::vector<double>() : c.series[0].values;
  double vmax = 0;
  for (double v : values) vmax = std::max(vmax, v);
  std::vector<double> ticks = NiceTicks(vmax);
  const double max = ticks.back();

  Svg svg;
  svg.out = Open(c, height);
  for (double t : ticks) {
    double x = left + plot_w * t / max;
    svg.Line(x, top, x, top + plot_h, kGridColor);
    svg.Text(x, top + plot_h + 15, FormatChartValue(t, c.percent), "middle", 11);
  }
  for (size_t i = 0; i < c.categories.size(); ++i) {
    double v = i < values.size() ? values[i] : 0;
    double y = top + row * static_cast<double>(i);
    std::string color = i < c.category_colors.size() ? c.category_colors[i] : "#4e79a7";
    svg.Text(left - 8, y + row / 2 + 4, c.categories[i], "end");
    double w = plot_w * v / max;
    svg.Rect(left, y + 4, std::max(w, 0.0), row - 8, color,
             fmt::format("{}: {}", c.categories[i], FormatChartValue(v, c.percent)));
    svg.Text(left + w + 6, y + row / 2 + 4, FormatChartValue(v, c.percent), "start", 11);
  }
  svg.Line(left, top, left, top + plot_h, kAxisColor);
  svg.Line(left, top + plot_h, left + plot_w, top + plot_h, kAxisColor);
  if (!c.x_label.empty()) svg.Text(left + plot_w / 2, top + plot_h + 36, c.x_label, "middle");
  svg.out += "</svg>\n";
  return svg.out;
}

std::string RenderEmpty(const ChartData& c) {
  Svg svg;
  svg.out = Open(c, 60);
  svg.Rect(0.5, 0.5, kWidth - 1, 59, "#f7f7f7");
  svg.Text(kWidth / 2, 34, c.empty_note, "middle", 13, "#555555");
  svg.out += "</svg>\n";
  return svg.out;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string CsvNumber(double v) {
  if (std::fabs(v - std::round(v)) < 1e-9) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

}  // namespace

std::vector<double> NiceTicks(double max, int target) {
  if (!(max > 0)) return {0, 1};
  double raw = max / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  // Counts never get fractional ticks.
  if (max >= 1 && step < 1) step = 1;
  std::vector<double> ticks;
  for (int i = 0;; ++i) {
    double t = step * i;
    ticks.push_back(t);
    if (t >= max - 1e-9 * max) break;
  }
  if (ticks.size() < 2) ticks.push_back(step);
  return ticks;
}

std::string FormatChartValue(double v, bool percent) {
  if (percent) return fmt::format("{:.1f}%", v);
  if (std::fabs(v - std::round(v)) < 1e-9) {
    double r = std::round(v);
    return r < 0 ? "-" + WithThousands(static_cast<uint64_t>(-r))
                 : WithThousands(static_cast<uint64_t>(r));
  }
  // Fractional: one decimal (two below 10), the integer part with separators.
  int decimals = std::fabs(v) < 10 ? 2 : 1;
  std::string s = fmt::format("{:.{}f}", std::fabs(v), decimals);
  size_t dot = s.find('.');
  uint64_t whole = std::stoull(s.substr(0, dot));
  return (v < 0 ? "-" : "") + WithThousands(whole) + s.substr(dot);
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string ChartCaption(const ChartData& chart) {
  return fmt::format("Chart {}: {}", chart.id, chart.title);
}

std::string RenderChartSvg(const ChartData& chart) {
  if (!chart.Drawable()) return RenderEmpty(chart);
  if (chart.kind == ChartKind::kShareBars) return RenderShareBars(chart);
  return RenderFramed(chart);
}

std::string ChartCsv(const ChartData& c) {
  std::string out;
  if (c.kind == ChartKind::kShareBars) {
    out += fmt::format("{},{}\n", CsvField(c.x_label.empty() ? "category" : "category"),
                       CsvField(c.series.empty() ? "value" : c.series[0].name));
    for (size_t i = 0; i < c.categories.size(); ++i) {
      double v = !c.series.empty() && i < c.series[0].values.size() ? c.series[0].values[i] : 0;
      out += fmt::format("{},{}\n", CsvField(c.categories[i]), CsvNumber(v));
    }
    return out;
  }
  out += "category";
  for (const ChartSeries& s : c.series) out += "," + CsvField(s.name);
  out += "\n";
  for (size_t i = 0; i < c.categories.size(); ++i) {
    out += CsvField(c.categories[i]);
    for (const ChartSeries& s : c.series) {
      out += "," + CsvNumber(i < s.values.size() ? s.values[i] : 0);
    }
    out += "\n";
  }
  return out;
}

}  // namespace scanscope
