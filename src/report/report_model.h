#pragma once
// The monthly report as pure data (the reference's five sections): every
// number, every chart's series, every caption and paragraph. Built in two
// steps: the month's figures, in no language (report_figures.h), then their
// charts (report_charts.h) and English prose (report_prose.h), section by
// section. The renderers (report_writer.h) only lay the model out, so HTML,
// Markdown, JSON and CSV always agree.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/findings.h"
#include "analysis/month_stats.h"
#include "common/ip_address.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "report/report_figures.h"
#include "report/report_options.h"
#include "report/svg_chart.h"
#include "store/store.h"

namespace scanscope {

// What the report knows beyond the store. Every member is optional.
struct ReportKnowledge {
  // ISO code of a source ("" unknown); unset: no IP-to-country database.
  std::function<std::string(const IpAddress&)> country_code;
  // "JP" -> "Japan"; "" -> "Unknown". Unset: the code itself.
  std::function<std::string(const std::string& code)> country_name;
  std::string geo_database;     // the database's name and date, for the report
  std::string geo_attribution;  // what the data's licence asks to print ("" none)
  std::string geo_problem;      // why there is none ("" when there is one)
  // A port type's description from the port knowledge base; unset or an
  // empty description: none.
  struct PortText {
    std::string service;
    std::string description;
    std::vector<std::string> references;
  };
  std::function<PortText(const std::string& port_type)> port_text;
};

// One area of a month, named.
struct AreaFigure {
  std::string code;  // ISO code, "" for Unknown
  std::string name;  // "Japan", "Unknown"
  uint64_t accesses = 0;
  uint64_t sources = 0;
};

// One month of the trend as the report prints it: its figures and its areas
// named.
struct TrendMonth {
  MonthFigures figures;
  std::vector<AreaFigure> by_area;  // accesses desc, then name; empty without geo
};

// A block of a section, in reading order.
struct ReportBlock {
  enum class Kind { kHeading, kParagraph, kChart, kNote, kTable, kReferences };
  Kind kind = Kind::kParagraph;
  // Heading or paragraph text; kNote: a small print sentence. A paragraph
  // marks its key figures as **strong**, as Markdown does.
  std::string text;
  int chart = -1;                              // kChart: index into ReportModel::charts
  std::vector<std::vector<std::string>> rows;  // kTable: first row is the header
  std::vector<std::string> references;         // kReferences
};

struct ReportSection {
  std::string id;     // "s1" ... "s5"
  std::string title;  // "1. To the General Internet Users"
  std::vector<ReportBlock> blocks;
};

struct PeculiarItem {
  std::string port;
  std::string kind;  // "surge", "new", "concentration", "fall", or "rise" (fallback)
  std::string title;
  std::string paragraph;
  int chart = -1;
  std::string description;
  std::vector<std::string> references;
  std::vector<FindingSource> top_sources;  // detector findings only
};

struct ReportModel {
  Month month;
  std::string timezone;
  std::string lang = "en";
  std::string title;            // "Report from the Internet Monitoring (scanscope)"
  std::string period;           // "May 2009"
  std::string geo_database;     // "" when none
  std::string geo_attribution;  // "data: NRO (CC BY 4.0)"; "" when none is asked
  std::string geo_problem;

  MonthStats stats;                 // this month, as `stats`
  std::vector<TrendMonth> trend;    // oldest first; the last one is this month
  std::vector<PortChange> changes;  // every port type of this month or last, by accesses desc
  std::vector<PortChange> rises, falls, new_ports;  // the significant ones
  std::vector<AreaFigure> areas;                    // this month, accesses desc (empty without geo)
  std::vector<PeculiarItem> peculiar;
  bool peculiar_from_detector = false;
  // Section 5: the port types remarkably accessed, and for each the port
  // knowledge base's text (empty when it has none).
  std::vector<std::string> supplementary_ports;
  std::vector<ReportKnowledge::PortText> supplementary;

  std::vector<ChartData> charts;  // 1-1, 1-2, 2-*, 3-1..3-8, 4-1..4-4
  std::vector<ReportSection> sections;
};

// Builds the report of `month` (days in `zone`) from the store:
// GatherReportFigures, then ComposeReportModel. InvalidArgument for options
// out of range.
Result<ReportModel> BuildReportModel(Store& store, const Month& month, const TimeZone& zone,
                                     const ReportKnowledge& knowledge,
                                     const ReportOptions& options = {});

// The English report of `figures` (gathered with `options` and
// knowledge.country_code).
ReportModel ComposeReportModel(const ReportFigures& figures, const ReportKnowledge& knowledge,
                               const ReportOptions& options);

}  // namespace scanscope
