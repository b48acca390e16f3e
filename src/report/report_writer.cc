#include "report/report_writer.h"

#include <fmt/format.h>

// GCC 12 warns -Wrestrict on `"literal" + std::string` at -O3, a known false
// positive (GCC bug 105329, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/ratio.h"
#include "common/version.h"

namespace scanscope {

namespace {

// report.json's changes.top: the largest port types of either month.
constexpr size_t kJsonTopChanges = 20;

constexpr const char* kCss = R"(
:root { --ink: #1d1d1f; --muted: #5a5a5f; --rule: #d8d8dc; --accent: #1f4e9c; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f6; color: var(--ink);
  font: 16px/1.55 "DejaVu Sans", Verdana, Arial, sans-serif; }
main { max-width: 900px; margin: 0 auto; background: #fff; padding: 32px 48px 48px; }
header.cover { border-bottom: 3px solid var(--accent); margin-bottom: 24px; padding-bottom: 12px; }
header.cover h1 { margin: 0 0 4px; font-size: 26px; color: var(--accent); }
header.cover .period { font-size: 20px; margin: 0 0 8px; }
header.cover .meta { color: var(--muted); font-size: 13px; margin: 0; }
nav.toc { font-size: 14px; margin: 0 0 24px; }
nav.toc ol { margin: 4px 0; padding-left: 20px; }
h2 { font-size: 21px; color: var(--accent); border-bottom: 1px solid var(--rule);
  padding-bottom: 4px; margin-top: 36px; }
h3 { font-size: 17px; margin: 24px 0 8px; }
p { margin: 8px 0 12px; }
p.note { color: var(--muted); font-size: 13.5px; }
figure { margin: 16px 0 24px; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-weight: bold; font-size: 14.5px; margin-top: 6px; }
figure .note { margin: 4px 0 0; }
table.ports { border-collapse: collapse; width: 100%; font-size: 14px; }
table.ports th, table.ports td { border: 1px solid var(--rule); padding: 6px 8px;
  vertical-align: top; text-align: left; }
table.ports th { background: #eef1f7; }
table.ports td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.ports td:first-child { white-space: nowrap; font-weight: bold; }
ul.refs { font-size: 13.5px; color: var(--muted); }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px;
  border-top: 1px solid var(--rule); padding-top: 8px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  section.report-section + section.report-section { break-before: page; page-break-before: always; }
  figure svg { border: none; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  p { orphans: 3; widows: 3; }
  a { color: inherit; text-decoration: none; }
}
)";

std::string Html(const std::string& s) { return XmlEscape(s); }

// A paragraph's text: escaped, with its **strong** spans as <strong>.
std::string HtmlParagraph(const std::string& s) {
  std::string out;
  size_t at = 0;
  bool strong = false;
  for (size_t mark; (mark = s.find("**", at)) != std::string::npos; at = mark + 2) {
    out += Html(s.substr(at, mark - at));
    out += strong ? "</strong>" : "<strong>";
    strong = !strong;
  }
  out += Html(s.substr(at));
  if (strong) out += "</strong>";
  return out;
}

// Markdown text: escapes the characters that would start markup mid-text.
std::string Md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '_' || c == '|' || c == '<' || c == '[' || c == ']' || c == '`') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// A paragraph's text: escaped, its **strong** marks kept.
std::string MdParagraph(const std::string& s) {
  std::string out;
  size_t at = 0;
  for (size_t mark; (mark = s.find("**", at)) != std::string::npos; at = mark + 2) {
    out += Md(s.substr(at, mark - at)) + "**";
  }
  return out + Md(s.substr(at));
}

bool IsUrl(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

std::string KindName(ChartKind k) {
  switch (k) {
    case ChartKind::kLine:
      return "line";
    case ChartKind::kGroupedBars:
      return "grouped_bars";
    case ChartKind::kStackedBars:
      return "stacked_bars";
    case ChartKind::kShareBars:
      return "share_bars";
    case ChartKind::kStacked100:
      return "stacked_100";
  }
  return "line";
}

std::string BlockKindName(ReportBlock::Kind k) {
  switch (k) {
    case ReportBlock::Kind::kHeading:
      return "heading";
    case ReportBlock::Kind::kParagraph:
      return "paragraph";
    case ReportBlock::Kind::kChart:
      return "chart";
    case ReportBlock::Kind::kNote:
      return "note";
    case ReportBlock::Kind::kTable:
      return "table";
    case ReportBlock::Kind::kReferences:
      return "references";
  }
  return "paragraph";
}

std::string MetaLine(const ReportModel& m) {
  return fmt::format(
      "Days in {}. {} monitoring point{} with data. Source areas: {}.", m.timezone, m.stats.points,
      m.stats.points == 1 ? "" : "s",
      m.geo_database.empty()
          ? "none (no IP-to-country database" +
                (m.geo_problem.empty() ? std::string(")") : ": " + m.geo_problem + ")")
          : m.geo_database + (m.geo_attribution.empty() ? "" : ", " + m.geo_attribution));
}

nlohmann::ordered_json ChangeJson(const PortChange& c) {
  nlohmann::ordered_json j;
  j["port"] = c.port;
  j["accesses"] = c.accesses;
  j["previous_accesses"] = c.previous_accesses;
  j["sources"] = c.sources;
  j["previous_sources"] = c.previous_sources;
  j["new"] = c.is_new;
  return j;
}

using J = nlohmann::ordered_json;

J TrendJson(const ReportModel& m) {
  J trend = J::array();
  for (const TrendMonth& t : m.trend) {
    const MonthFigures& f = t.figures;
    J x;
    x["month"] = f.month.ToString();
    x["has_data"] = f.has_data;
    x["points"] = f.points;
    x["accesses"] = f.accesses;
    x["sources"] = f.sources;
    x["per_point_per_day"] = {
        {"accesses", static_cast<double>(f.per_point_per_day_accesses_x100) / 100},
        {"sources", static_cast<double>(f.per_point_per_day_sources_x100) / 100}};
    J areas = J::array();
    for (const AreaFigure& a : t.by_area) {
      areas.push_back(
          {{"code", a.code}, {"area", a.name}, {"accesses", a.accesses}, {"sources", a.sources}});
    }
    x["by_area"] = areas;
    trend.push_back(x);
  }
  return trend;
}

// The changes against last month: the significant ones, and the largest
// port types of either month.
J ChangesJson(const ReportModel& m) {
  J changes;
  changes["previous_month"] = m.month.Previous().ToString();
  for (const auto& [key, list] :
       {std::pair<const char*, const std::vector<PortChange>*>{"rises", &m.rises},
        {"falls", &m.falls},
        {"new_ports", &m.new_ports}}) {
    J a = J::array();
    for (const PortChange& c : *list) a.push_back(ChangeJson(c));
    changes[key] = a;
  }
  J top = J::array();
  for (size_t i = 0; i < m.changes.size() && i < kJsonTopChanges; ++i) {
    top.push_back(ChangeJson(m.changes[i]));
  }
  changes["top"] = top;
  return changes;
}

J AreasJson(const ReportModel& m) {
  J areas = J::array();
  for (const AreaFigure& a : m.areas) {
    areas.push_back({{"code", a.code},
                     {"area", a.name},
                     {"accesses", a.accesses},
                     {"sources", a.sources},
                     {"accesses_percent", RatioPercent(a.accesses, m.stats.accesses)},
                     {"sources_percent", RatioPercent(a.sources, m.stats.sources)}});
  }
  return areas;
}

J PeculiarJson(const ReportModel& m) {
  J peculiar = J::array();
  for (const PeculiarItem& p : m.peculiar) {
    J x;
    x["port"] = p.port;
    x["kind"] = p.kind;
    x["title"] = p.title;
    x["paragraph"] = p.paragraph;
    x["chart"] = p.chart >= 0 ? m.charts[static_cast<size_t>(p.chart)].id : "";
    x["description"] = p.description;
    x["references"] = p.references;
    J sources = J::array();
    for (const FindingSource& s : p.top_sources) {
      sources.push_back({{"source", s.source.ToString()},
                         {"accesses", s.accesses},
                         {"days", s.days},
                         {"points", s.points},
                         {"country", s.country}});
    }
    x["top_sources"] = sources;
    peculiar.push_back(x);
  }
  return peculiar;
}

J SupplementaryJson(const ReportModel& m) {
  J supp = J::array();
  for (size_t i = 0; i < m.supplementary_ports.size(); ++i) {
    const auto& t = m.supplementary[i];
    supp.push_back({{"port", m.supplementary_ports[i]},
                    {"service", t.service},
                    {"description", t.description},
                    {"references", t.references}});
  }
  return supp;
}

J ChartsJson(const ReportModel& m) {
  J charts = J::array();
  for (const ChartData& c : m.charts) {
    J x;
    x["id"] = c.id;
    x["caption"] = ChartCaption(c);
    x["kind"] = KindName(c.kind);
    x["x_label"] = c.x_label;
    x["y_label"] = c.y_label;
    x["percent"] = c.percent;
    x["categories"] = c.categories;
    J series = J::array();
    for (const ChartSeries& s : c.series) {
      series.push_back({{"name", s.name}, {"color", s.color}, {"values", s.values}});
    }
    x["series"] = series;
    if (!c.category_colors.empty()) x["category_colors"] = c.category_colors;
    x["empty_note"] = c.empty_note;
    x["note"] = c.note;
    x["svg"] = ChartFileStem(c) + ".svg";
    x["csv"] = ChartFileStem(c) + ".csv";
    charts.push_back(x);
  }
  return charts;
}

J SectionsJson(const ReportModel& m) {
  J sections = J::array();
  for (const ReportSection& s : m.sections) {
    J blocks = J::array();
    for (const ReportBlock& b : s.blocks) {
      J x;
      x["kind"] = BlockKindName(b.kind);
      if (b.kind == ReportBlock::Kind::kChart) {
        x["chart"] = b.chart >= 0 ? m.charts[static_cast<size_t>(b.chart)].id : "";
      } else if (b.kind == ReportBlock::Kind::kTable) {
        x["rows"] = b.rows;
      } else if (b.kind == ReportBlock::Kind::kReferences) {
        x["references"] = b.references;
      } else {
        x["text"] = b.text;
      }
      blocks.push_back(x);
    }
    sections.push_back({{"id", s.id}, {"title", s.title}, {"blocks", blocks}});
  }
  return sections;
}

Status WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return Status::IoError(
        fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Status::IoError(fmt::format("{}: write failed", path.string()));
  return Status::Ok();
}

}  // namespace

std::string ChartFileStem(const ChartData& chart) { return "charts/chart-" + chart.id; }

std::string RenderHtml(const ReportModel& m) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"" + Html(m.lang) + "\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += fmt::format("<title>{} - {}</title>\n", Html(m.title), Html(m.period));
  h += "<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n<main>\n";
  h += "<header class=\"cover\">\n";
  h += fmt::format("<h1>{}</h1>\n<p class=\"period\">{}</p>\n<p class=\"meta\">{}</p>\n",
                   Html(m.title), Html(m.period), Html(MetaLine(m)));
  h += "</header>\n<nav class=\"toc\"><strong>Contents</strong>\n<ol>\n";
  for (const ReportSection& s : m.sections) {
    h += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", s.id, Html(s.title));
  }
  h += "</ol>\n</nav>\n";
  for (const ReportSection& s : m.sections) {
    h += fmt::format("<section class=\"report-section\" id=\"{}\">\n<h2>{}</h2>\n", s.id,
                     Html(s.title));
    for (const ReportBlock& b : s.blocks) {
      switch (b.kind) {
        case ReportBlock::Kind::kHeading:
          h += "<h3>" + Html(b.text) + "</h3>\n";
          break;
        case ReportBlock::Kind::kParagraph:
          h += "<p>" + HtmlParagraph(b.text) + "</p>\n";
          break;
        case ReportBlock::Kind::kNote:
          h += "<p class=\"note\">" + Html(b.text) + "</p>\n";
          break;
        case ReportBlock::Kind::kChart: {
          if (b.chart < 0) break;
          const ChartData& c = m.charts[static_cast<size_t>(b.chart)];
          h += fmt::format("<figure class=\"chart{}\" id=\"chart-{}\">\n",
                           c.Drawable() ? "" : " empty", c.id);
          h += RenderChartSvg(c);
          h += "<figcaption>" + Html(ChartCaption(c)) + "</figcaption>\n";
          if (c.Drawable() && !c.note.empty()) h += "<p class=\"note\">" + Html(c.note) + "</p>\n";
          h += "</figure>\n";
          break;
        }
        case ReportBlock::Kind::kTable: {
          h += "<table class=\"ports\">\n";
          for (size_t i = 0; i < b.rows.size(); ++i) {
            const char* cell = i == 0 ? "th" : "td";
            h += "<tr>";
            for (const std::string& v : b.rows[i]) {
              // Numbers (figures, shares) align right.
              bool number =
                  i > 0 && !v.empty() && v.find_first_not_of("0123456789,.%") == std::string::npos;
              h += fmt::format("<{0}{1}>{2}</{0}>", cell, number ? " class=\"num\"" : "", Html(v));
            }
            h += "</tr>\n";
          }
          h += "</table>\n";
          break;
        }
        case ReportBlock::Kind::kReferences: {
          h += "<p class=\"note\">References:</p>\n<ul class=\"refs\">\n";
          for (const std::string& r : b.references) {
            if (IsUrl(r)) {
              h += fmt::format("<li><a href=\"{0}\">{0}</a></li>\n", Html(r));
            } else {
              h += "<li>" + Html(r) + "</li>\n";
            }
          }
          h += "</ul>\n";
          break;
        }
      }
    }
    h += "</section>\n";
  }
  h += fmt::format(
      "<footer>Written by scanscope from its store for {} (days in {}). Every figure is in "
      "report.json; the data of each chart is in charts/chart-&lt;id&gt;.csv.</footer>\n",
      Html(m.period), Html(m.timezone));
  h += "</main>\n</body>\n</html>\n";
  return h;
}

std::string RenderMarkdown(const ReportModel& m) {
  std::string md;
  md += fmt::format("# {}\n\n**{}**\n\n{}\n\n", Md(m.title), Md(m.period), Md(MetaLine(m)));
  for (const ReportSection& s : m.sections) {
    md += "## " + Md(s.title) + "\n\n";
    for (const ReportBlock& b : s.blocks) {
      switch (b.kind) {
        case ReportBlock::Kind::kHeading:
          md += "### " + Md(b.text) + "\n\n";
          break;
        case ReportBlock::Kind::kParagraph:
          md += MdParagraph(b.text) + "\n\n";
          break;
        case ReportBlock::Kind::kNote:
          md += "*" + Md(b.text) + "*\n\n";
          break;
        case ReportBlock::Kind::kChart: {
          if (b.chart < 0) break;
          const ChartData& c = m.charts[static_cast<size_t>(b.chart)];
          md += fmt::format("![{}]({}.svg)\n\n**{}**", Md(ChartCaption(c)), ChartFileStem(c),
                            Md(ChartCaption(c)));
          md += fmt::format(" ([data]({}.csv))\n\n", ChartFileStem(c));
          if (!c.Drawable()) md += "*" + Md(c.empty_note) + "*\n\n";
          if (c.Drawable() && !c.note.empty()) md += "*" + Md(c.note) + "*\n\n";
          break;
        }
        case ReportBlock::Kind::kTable: {
          for (size_t i = 0; i < b.rows.size(); ++i) {
            md += "|";
            for (const std::string& v : b.rows[i]) md += " " + Md(v) + " |";
            md += "\n";
            if (i == 0) {
              md += "|";
              for (size_t k = 0; k < b.rows[i].size(); ++k) md += " --- |";
              md += "\n";
            }
          }
          md += "\n";
          break;
        }
        case ReportBlock::Kind::kReferences:
          md += "References:\n\n";
          for (const std::string& r : b.references) {
            md += IsUrl(r) ? "- <" + r + ">\n" : "- " + Md(r) + "\n";
          }
          md += "\n";
          break;
      }
    }
  }
  return md;
}

nlohmann::ordered_json ReportToJson(const ReportModel& m) {
  using J = nlohmann::ordered_json;
  J j;
  j["report"] = {{"title", m.title},   {"month", m.month.ToString()},
                 {"period", m.period}, {"timezone", m.timezone},
                 {"lang", m.lang},     {"generator", fmt::format("scanscope {}", kVersion)}};
  j["geo_database"] = m.geo_database.empty() ? J(nullptr) : J(m.geo_database);
  j["geo_attribution"] = m.geo_attribution.empty() ? J(nullptr) : J(m.geo_attribution);
  if (!m.geo_problem.empty()) j["geo_problem"] = m.geo_problem;
  j["stats"] = MonthStatsToJson(m.stats);
  j["per_point_per_day_about"] = {
      {"accesses", (m.stats.per_point_per_day_accesses_x100 + 50) / 100},
      {"sources", (m.stats.per_point_per_day_sources_x100 + 50) / 100}};
  j["trend"] = TrendJson(m);
  j["changes"] = ChangesJson(m);
  j["areas"] = AreasJson(m);
  j["peculiar"] = {{"from_detector", m.peculiar_from_detector}, {"items", PeculiarJson(m)}};
  j["supplementary"] = SupplementaryJson(m);
  j["charts"] = ChartsJson(m);
  j["sections"] = SectionsJson(m);
  return j;
}

Status WriteReport(const ReportModel& model, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "charts", ec);
  if (ec) return Status::IoError(fmt::format("{}: cannot create: {}", dir, ec.message()));
  for (const ChartData& c : model.charts) {
    SCANSCOPE_RETURN_IF_ERROR(
        WriteFile(fs::path(dir) / (ChartFileStem(c) + ".svg"),
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + RenderChartSvg(c)));
    SCANSCOPE_RETURN_IF_ERROR(WriteFile(fs::path(dir) / (ChartFileStem(c) + ".csv"), ChartCsv(c)));
  }
  SCANSCOPE_RETURN_IF_ERROR(WriteFile(fs::path(dir) / "report.md", RenderMarkdown(model)));
  SCANSCOPE_RETURN_IF_ERROR(
      WriteFile(fs::path(dir) / "report.json", ReportToJson(model).dump(2) + "\n"));
  // index.html last: its presence means the report is complete.
  return WriteFile(fs::path(dir) / "index.html", RenderHtml(model));
}

}  // namespace scanscope
