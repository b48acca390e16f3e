#pragma once
// The report's charts from the month's figures, one function per chart (or
// per pair of charts that differ only in accesses and sources), with their
// English titles, axis labels and notes. A chart with nothing to draw keeps
// its place and caption and says why in its empty note.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "report/report_figures.h"
#include "report/svg_chart.h"

namespace scanscope {

// An area's name from its code (english.h AreaName with the knowledge's
// country names).
using AreaNamer = std::function<std::string(const std::string& code)>;

// "No accesses are stored for May 2009 (days in UTC).": what the month's
// charts (and sections without anything to say) say without data.
std::string NoDataNote(const ReportFigures& f);

// What the area charts say in their place without an IP-to-country
// database; `problem` says why there is none ("" unknown).
std::string NoGeoNote(const std::string& problem);

// Chart 1-1: accesses and sources per point per day over the trend's months
// (line); months without data are left out and named in its note.
ChartData TrendChart(const ReportFigures& f);

// Chart 1-2: this month's `top_ports` port types and Others, last month
// against this (grouped bars); only this month's column when last month has
// no data, with a note saying so.
ChartData ComparisonChart(const ReportFigures& f, int top_ports);

// Chart 2-<n>: the daily accesses to `port` at all points (one series).
ChartData PortDailyChart(int n, const std::string& port, const std::vector<uint64_t>& daily,
                         const ReportFigures& f);

// Charts 3-1 and 3-2 (accesses and sources per day, stacked by port type)
// and 3-3 and 3-4 (their shares), in that order.
std::vector<ChartData> PortStatusCharts(const ReportFigures& f, int top_ports);

// Charts 3-5 to 3-8: accesses per day and their shares, then sources per
// day and their shares, by source area (areas named by `name`).
std::vector<ChartData> AreaStatusCharts(const ReportFigures& f, const AreaNamer& name,
                                        int top_areas, const std::string& no_geo);

// Charts 4-1 to 4-4: shares of accesses and of sources by port type, then by
// source area, over the trend's months (100 % stacked bars of this month's
// largest and Others).
std::vector<ChartData> TrendShareCharts(const ReportFigures& f, const AreaNamer& name,
                                        int top_ports, int top_areas, const std::string& no_geo);

// "No data is stored for June 2026; that month is not shown."
std::string MissingMonthsNote(const std::vector<std::string>& months);

}  // namespace scanscope
