#pragma once
// The report's renderers: one ReportModel, four forms that always agree.
//   index.html          self-contained: inline CSS and SVG, no script, no network;
//                       a print stylesheet for A4 with a page break per section
//   report.md           Markdown, charts as charts/chart-<id>.svg beside it
//   report.json         every number the report shows; "stats" in `stats --json`'s shape
//   charts/chart-<id>.csv   the exact data behind each chart

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "report/report_model.h"

namespace scanscope {

std::string RenderHtml(const ReportModel& model);
std::string RenderMarkdown(const ReportModel& model);
nlohmann::ordered_json ReportToJson(const ReportModel& model);

// "charts/chart-3-1.svg" and ".csv" relative to the report directory.
std::string ChartFileStem(const ChartData& chart);

// Writes every file into `dir` (created if missing; files of an earlier run
// are overwritten). Errors name the file.
Status WriteReport(const ReportModel& model, const std::string& dir);

}  // namespace scanscope
