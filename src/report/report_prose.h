#pragma once
// The report's English text: one function per section, and below them one
// per paragraph or note, worded from the month's figures, the options they
// were gathered with (thresholds and sizes are said from their values) and
// the charts and items already in the model. A report in another language
// keeps the same sections in the same order with its own words.

#include <string>

#include "report/report_charts.h"
#include "report/report_figures.h"
#include "report/report_model.h"
#include "report/report_options.h"

namespace scanscope {

// What every section's words read.
struct ProseInput {
  const ReportFigures& figures;
  const ReportOptions& options;
  const ReportModel& model;  // charts, peculiar items, supplementary texts, geo database
  const AreaNamer& area_name;
  bool has_port_knowledge = false;  // a port knowledge base was loaded
};

// 1. To the General Internet Users: the month's totals, the trend (Chart
// 1-1) and what changed against last month (Chart 1-2).
ReportSection GeneralUsersSection(const ProseInput& in);
// 2. Peculiar Access: one subsection per item of model.peculiar.
ReportSection PeculiarSection(const ProseInput& in);
// 3. Status this month: Charts 3-1 to 3-8.
ReportSection StatusSection(const ProseInput& in);
// 4. Statistical Information: Charts 4-1 to 4-4.
ReportSection StatisticsSection(const ProseInput& in);
// 5. Supplementary Descriptions: the table of model.supplementary.
ReportSection SupplementarySection(const ProseInput& in);

// Section 2's item title: "Access to the Port 445/tcp".
std::string PeculiarTitle(const std::string& port);
// Section 2 without findings: a port new this month, or one that rose.
std::string NewPortParagraph(const PortChange& c, const Month& month);
std::string RisingPortParagraph(const PortChange& c, const Month& month);

}  // namespace scanscope
