#pragma once
// The report's charts as data (ChartData: what a chart shows, every number
// behind it) and a small SVG writer for them. No script, no external fonts,
// nothing fetched: the SVG is inlined in index.html and written beside
// report.md. The same ChartData always gives byte-identical SVG (golden
// files depend on it).

#include <string>
#include <vector>

namespace scanscope {

enum class ChartKind {
  kLine,         // one line per series over the categories (months)
  kGroupedBars,  // bars of every series side by side per category
  kStackedBars,  // one bar per category, series stacked (days)
  kShareBars,    // horizontal bars, one per category, values in percent
  kStacked100,   // one bar per category, series stacked to 100 %
};

struct ChartSeries {
  std::string name;
  std::string color;           // "#rrggbb"
  std::vector<double> values;  // one per category
};

struct ChartData {
  std::string id;     // "3-1"
  std::string title;  // "Number of Access/Day in May 2009"
  ChartKind kind = ChartKind::kLine;
  std::string x_label;
  std::string y_label;
  std::vector<std::string> categories;
  std::vector<ChartSeries> series;
  // kShareBars: one colour per category (the series holds one value each).
  std::vector<std::string> category_colors;
  // Values are percentages (axis and labels "12.3%"); else counts (thousands
  // separators) or decimals when any value is fractional.
  bool percent = false;
  // When set, the chart has nothing to draw and the report prints this
  // sentence in its place (no empty axes).
  std::string empty_note;
  // A sentence printed under the chart (e.g. months without data).
  std::string note;

  bool Drawable() const { return empty_note.empty(); }
};

// The SVG of `chart` (a complete <svg> element, no XML declaration). A chart
// that is not Drawable() gives a small SVG holding its empty note.
std::string RenderChartSvg(const ChartData& chart);

// "Chart 3-1: Number of Access/Day in May 2009".
std::string ChartCaption(const ChartData& chart);

// The chart's data as CSV: a header (category, series...) and one line per
// category; kShareBars: category, value.
std::string ChartCsv(const ChartData& chart);

// Nice axis ticks (1, 2, 2.5, 5 x 10^k) from 0 to at least `max`, about
// `target` intervals. Always at least two ticks; max <= 0 gives 0..1.
std::vector<double> NiceTicks(double max, int target = 5);

// 1234567.0 -> "1,234,567"; 12.5 -> "12.5"; with percent: "12.5%".
std::string FormatChartValue(double v, bool percent);

// Escapes &, <, >, " and ' for XML text and attributes.
std::string XmlEscape(const std::string& s);

}  // namespace scanscope
