#include "report/report_model.h"

#include <algorithm>
#include <utility>

#include "analysis/findings_english.h"
#include "report/english.h"
#include "report/report_charts.h"
#include "report/report_prose.h"

namespace scanscope {

namespace {

// The areas of `counts`, named, accesses desc then name.
std::vector<AreaFigure> NamedAreas(const std::vector<AreaCount>& counts, const AreaNamer& name) {
  std::vector<AreaFigure> out;
  out.reserve(counts.size());
  for (const AreaCount& a : counts) out.push_back({a.code, name(a.code), a.accesses, a.sources});
  std::sort(out.begin(), out.end(), [](const AreaFigure& a, const AreaFigure& b) {
    if (a.accesses != b.accesses) return a.accesses > b.accesses;
    return a.name < b.name;
  });
  return out;
}

ReportKnowledge::PortText PortTextOf(const ReportKnowledge& knowledge, const std::string& port) {
  return knowledge.port_text ? knowledge.port_text(port) : ReportKnowledge::PortText{};
}

// Section 2's items, each with its daily chart (2-1, 2-2, ...) appended to
// r->charts: the detector's findings, else the new and rising ports.
void AddPeculiarItems(const ReportFigures& f, const ReportKnowledge& knowledge, ReportModel* r) {
  FindingKnowledge words;  // what the findings' paragraphs name
  words.country_code = knowledge.country_code;
  words.country_name = knowledge.country_name;
  auto add = [&](PeculiarItem item, const std::vector<uint64_t>& daily) {
    item.title = PeculiarTitle(item.port);
    r->charts.push_back(
        PortDailyChart(static_cast<int>(r->peculiar.size()) + 1, item.port, daily, f));
    item.chart = static_cast<int>(r->charts.size()) - 1;
    ReportKnowledge::PortText t = PortTextOf(knowledge, item.port);
    item.description = std::move(t.description);
    item.references = std::move(t.references);
    r->peculiar.push_back(std::move(item));
  };
  for (const Finding& finding : f.findings) {
    PeculiarItem item;
    item.port = finding.port.ToString();
    item.kind = std::string(FindingKindName(finding.kind));
    item.paragraph = FindingParagraph(finding, f.month, words);
    item.top_sources = finding.top_sources;
    add(std::move(item), finding.daily_accesses);
  }
  r->peculiar_from_detector = !f.findings.empty();
  for (const PortChange& c : f.fallback) {
    PeculiarItem item;
    item.port = c.port;
    item.kind = c.is_new ? "new" : "rise";
    item.paragraph = c.is_new ? NewPortParagraph(c, f.month) : RisingPortParagraph(c, f.month);
    auto daily = f.ports_daily.accesses.find(c.port);
    add(std::move(item),
        daily == f.ports_daily.accesses.end() ? std::vector<uint64_t>() : daily->second);
  }
}

// The model's labels and figures, before charts and words.
void SetFigures(const ReportFigures& f, const ReportKnowledge& knowledge, const AreaNamer& name,
                ReportModel* r) {
  r->month = f.month;
  r->timezone = f.timezone;
  r->title = "Report from the Internet Monitoring (scanscope)";
  r->period = MonthTitle(f.month);
  r->geo_database = f.has_areas ? knowledge.geo_database : "";
  r->geo_attribution = f.has_areas ? knowledge.geo_attribution : "";
  r->geo_problem = f.has_areas ? "" : knowledge.geo_problem;
  r->stats = f.stats;
  for (const MonthFigures& t : f.trend) r->trend.push_back({t, NamedAreas(t.by_area, name)});
  if (f.has_areas) r->areas = r->trend.back().by_area;
  r->changes = f.changes;
  r->rises = f.rises;
  r->falls = f.falls;
  r->new_ports = f.new_ports;
  for (const std::string& port : f.remarkable_ports) {
    r->supplementary_ports.push_back(port);
    r->supplementary.push_back(PortTextOf(knowledge, port));
  }
}

}  // namespace

ReportModel ComposeReportModel(const ReportFigures& f, const ReportKnowledge& knowledge,
                               const ReportOptions& options) {
  const AreaNamer name = [&knowledge](const std::string& code) {
    return AreaName(code, knowledge.country_name);
  };
  ReportModel r;
  SetFigures(f, knowledge, name, &r);
  const std::string no_geo = NoGeoNote(r.geo_problem);
  r.charts.push_back(TrendChart(f));
  r.charts.push_back(ComparisonChart(f, options.top_ports));
  AddPeculiarItems(f, knowledge, &r);
  for (ChartData& c : PortStatusCharts(f, options.top_ports)) r.charts.push_back(std::move(c));
  for (ChartData& c : AreaStatusCharts(f, name, options.top_areas, no_geo)) {
    r.charts.push_back(std::move(c));
  }
  for (ChartData& c : TrendShareCharts(f, name, options.top_ports, options.top_areas, no_geo)) {
    r.charts.push_back(std::move(c));
  }
  const ProseInput in{f, options, r, name, static_cast<bool>(knowledge.port_text)};
  r.sections = {GeneralUsersSection(in), PeculiarSection(in), StatusSection(in),
                StatisticsSection(in), SupplementarySection(in)};
  return r;
}

Result<ReportModel> BuildReportModel(Store& store, const Month& month, const TimeZone& zone,
                                     const ReportKnowledge& knowledge,
                                     const ReportOptions& options) {
  auto figures = GatherReportFigures(store, month, zone, knowledge.country_code, options);
  if (!figures.ok()) return figures.status();
  return ComposeReportModel(*figures, knowledge, options);
}

}  // namespace scanscope
