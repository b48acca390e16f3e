#include "report/report_prose.h"

#include <fmt/format.h>

#include <cmath>

// GCC 12 warns -Wrestrict on `"literal" + std::string` at -O3, a known false
// positive (GCC bug 105329, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <utility>
#include <vector>

#include "report/english.h"

namespace scanscope {

namespace {

constexpr const char* kRatioNote =
    "Ratios are rounded to one decimal place, so they may not add up to 100%.";

ReportBlock Block(ReportBlock::Kind kind, std::string text) {
  ReportBlock b;
  b.kind = kind;
  b.text = std::move(text);
  return b;
}
ReportBlock Paragraph(std::string text) {
  return Block(ReportBlock::Kind::kParagraph, std::move(text));
}
ReportBlock Heading(std::string text) {
  return Block(ReportBlock::Kind::kHeading, std::move(text));
}
ReportBlock Note(std::string text) { return Block(ReportBlock::Kind::kNote, std::move(text)); }

// The chart block of chart `id` of the model.
ReportBlock Chart(const ReportModel& model, const std::string& id) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::kChart;
  for (size_t i = 0; i < model.charts.size() && b.chart < 0; ++i) {
    if (model.charts[i].id == id) b.chart = static_cast<int>(i);
  }
  return b;
}

// --- Section 1

std::string NoAccessParagraph(const ReportFigures& f) {
  return fmt::format(
      "No unwanted (one-sided) access is stored for {}: either no monitoring point was "
      "running that month or its captures have not been ingested yet. The figures below are "
      "empty for that reason, not because the Internet was quiet.",
      MonthTitle(f.month));
}

std::string TotalsParagraph(const MonthStats& s) {
  return fmt::format(
      "In the Internet Monitoring (scanscope), unwanted (one-sided) access in {} totaled "
      "**{}** cases for the {} monitoring point{} and the gross number of the sources* was "
      "**{}**: unwanted (one-sided) access captured at one monitoring point was about **{}** "
      "accesses from about **{}** sources per day.",
      MonthName(s.month.month), WithThousands(s.accesses), s.points, PluralS(s.points),
      WithThousands(s.sources), WithThousands(AboutWhole(s.per_point_per_day_accesses_x100)),
      WithThousands(AboutWhole(s.per_point_per_day_sources_x100)));
}

// "31", or "22.6" where not whole: days counted in hours (docs/coverage.md).
std::string Days(double days) {
  return days == std::floor(days) ? fmt::format("{:.0f}", days) : fmt::format("{:.1f}", days);
}

// When some point did not watch every day (docs/coverage.md): which, how
// long, and the figures over the observed point-days beside the above.
std::string CoverageParagraph(const MonthStats& s) {
  std::string blind;
  int whole = 0;
  for (const MonthStats::PointCoverage& c : s.coverage_by_point) {
    if (c.days_observed >= s.days) {
      ++whole;
      continue;
    }
    blind += fmt::format("{}{} watched {} of {} days", blind.empty() ? "" : ", ", c.point,
                         Days(c.days_observed), s.days);
  }
  return fmt::format(
      "Not every monitoring point was watching every day: {}{}. The monitoring points watched "
      "{} of {} point-days; over the observed point-days only, one monitoring point received "
      "about **{}** accesses from about **{}** sources per day (per observed point-day).",
      blind,
      whole == 0 ? "" : fmt::format("; the other {} point{} every day", whole, PluralS(whole)),
      Days(s.point_days_observed), Days(s.point_days_possible),
      WithThousands(AboutWhole(s.per_observed_point_day_accesses_x100)),
      WithThousands(AboutWhole(s.per_observed_point_day_sources_x100)));
}

std::string OnePointNote(const MonthStats& s) {
  return fmt::format(
      "Only one monitoring point ({}) reported accesses in {}: every figure of this report "
      "is that point's alone.",
      s.by_point.empty() ? "" : s.by_point[0].name, MonthName(s.month.month));
}

std::string SourceDefinitionNote(const std::string& timezone) {
  return "Gross number of sources (*): a source is counted once per day, monitoring point and "
         "destination port type; the same source on another day, point or port counts again. "
         "Days are calendar days in " +
         timezone + ".";
}

std::string EnvironmentParagraph() {
  return "The environment of each monitoring point is nearly equal to a general user's Internet "
         "connection: the same amount of unwanted (one-sided) access may be received by general "
         "Internet users.";
}

// How a per point per day figure moved: "rose by 12.5%", "stayed at almost
// the same level" (within `steady_band` either way).
std::string Direction(int64_t now, int64_t before, double steady_band) {
  if (before == 0) return "appeared";
  double ch = static_cast<double>(now - before) / static_cast<double>(before);
  if (ch > steady_band) return fmt::format("rose by {:.1f}%", 100 * ch);
  if (ch < -steady_band) return fmt::format("fell by {:.1f}%", -100 * ch);
  return "stayed at almost the same level";
}

// Chart 1-1's sentence: the last two months with data against each other.
std::string TrendParagraph(const ReportFigures& f, const ReportOptions& o) {
  std::vector<const MonthFigures*> with;
  for (const MonthFigures& t : f.trend) {
    if (t.has_data) with.push_back(&t);
  }
  if (with.empty()) {
    return o.trend_months == 1 ? fmt::format("{} has no data in the store.", MonthTitle(f.month))
                               : fmt::format("No month of the last {} has data in the store.",
                                             NumberWords(o.trend_months));
  }
  if (with.size() == 1) {
    return fmt::format(
        "Chart 1-1 shows the accesses and sources per monitoring point per day. Only {} has "
        "data in the store, so there is no trend to show yet.",
        MonthTitle(with[0]->month));
  }
  const MonthFigures& a = *with[with.size() - 2];
  const MonthFigures& b = *with.back();
  return fmt::format(
      "Chart 1-1 shows the accesses and sources per monitoring point per day from {} to {}. "
      "Against {}, accesses per point per day {} (about {} against {}) and sources {} "
      "(about {} against {}).",
      MonthTitle(with.front()->month), MonthTitle(b.month), MonthWord(a.month),
      Direction(b.per_point_per_day_accesses_x100, a.per_point_per_day_accesses_x100,
                o.steady_band),
      WithThousands(AboutWhole(b.per_point_per_day_accesses_x100)),
      WithThousands(AboutWhole(a.per_point_per_day_accesses_x100)),
      Direction(b.per_point_per_day_sources_x100, a.per_point_per_day_sources_x100, o.steady_band),
      WithThousands(AboutWhole(b.per_point_per_day_sources_x100)),
      WithThousands(AboutWhole(a.per_point_per_day_sources_x100)));
}

// "23/tcp (+45.2%, 1,000 to 1,452)"; a fall to nothing: "135/tcp (800 in
// September, none in October)".
std::string ChangeItem(const PortChange& c, const Month& month) {
  if (c.accesses == 0) {
    return fmt::format("{} ({} in {}, none in {})", c.port, WithThousands(c.previous_accesses),
                       MonthWord(month.Previous()), MonthWord(month));
  }
  return fmt::format("{} ({}, {} to {})", c.port, ChangeWords(c.accesses, c.previous_accesses),
                     WithThousands(c.previous_accesses), WithThousands(c.accesses));
}

// The rules of ReportOptions::changes, as the paragraph states them.
std::string ChangeRulesSentence(const ChangeRules& r) {
  return fmt::format(
      " (A significant change: a port type with at least {} of the month's accesses "
      "that grew by {} or lost {}; new: none the month before and at least {} "
      "of this month.)",
      PercentWords(r.weight_share), FractionWords(r.rise_factor - 1),
      FractionWords(1 - r.fall_factor), PercentWords(r.new_share));
}

// What changed: the total, the significant rises and falls, the new ports.
std::string ChangesSentences(const ReportFigures& f, const ReportOptions& o) {
  const std::string name = MonthWord(f.month), previous = MonthWord(f.month.Previous());
  std::vector<std::string> rises, falls, news;
  for (const PortChange& c : f.rises) rises.push_back(ChangeItem(c, f.month));
  for (const PortChange& c : f.falls) falls.push_back(ChangeItem(c, f.month));
  for (const PortChange& c : f.new_ports) {
    news.push_back(fmt::format("{} ({} accesses)", c.port, WithThousands(c.accesses)));
  }
  const MonthFigures& last = *f.previous();
  std::string text = fmt::format(
      " In all, accesses went from {} in {} to {} ({}).", WithThousands(last.accesses), previous,
      WithThousands(f.stats.accesses), ChangeWords(f.stats.accesses, last.accesses));
  if (rises.empty() && falls.empty()) {
    text += fmt::format(
        " In {}, no significant increase or decrease in the number of access was monitored.", name);
  }
  if (!rises.empty()) text += fmt::format(" Significant increase: {}.", JoinWords(rises));
  if (!falls.empty()) text += fmt::format(" Significant decrease: {}.", JoinWords(falls));
  if (!news.empty()) {
    text += fmt::format(" {} {} never monitored in {}, appeared in {}.",
                        news.size() == 1 ? "Access to the port" : "Accesses to the ports",
                        JoinWords(news), previous, name);
  }
  return text + ChangeRulesSentence(o.changes);
}

// Chart 1-2's paragraph.
std::string ComparisonParagraph(const ReportFigures& f, const ReportOptions& o) {
  const std::string name = MonthWord(f.month);
  std::string text = fmt::format(
      "Chart 1-2 compares the accesses of {} and {} by destination (port type): the {} port "
      "types most accessed in {} and the rest as Others.",
      MonthWord(f.month.Previous()), name, o.top_ports, name);
  if (f.compare) {
    text += ChangesSentences(f, o);
  } else if (f.has_data) {
    text += fmt::format(" No data is stored for {}, so no change can be measured.",
                        MonthTitle(f.month.Previous()));
  }
  return text;
}

// --- Section 2

// The evidence of an item: the sources that sent most of it.
ReportBlock TopSourcesTable(const PeculiarItem& p, const ProseInput& in) {
  const bool areas = in.figures.has_areas;
  ReportBlock t;
  t.kind = ReportBlock::Kind::kTable;
  t.rows.push_back({"Source address", "Area", "Accesses", "Days", "Monitoring points"});
  if (!areas) t.rows[0].erase(t.rows[0].begin() + 1);
  for (const FindingSource& src : p.top_sources) {
    std::vector<std::string> row = {src.source.ToString(), in.area_name(src.country),
                                    WithThousands(src.accesses), std::to_string(src.days),
                                    JoinWords(src.points)};
    if (!areas) row.erase(row.begin() + 1);
    t.rows.push_back(std::move(row));
  }
  return t;
}

// Subsection `n` of section 2: heading, paragraph, chart, evidence, the
// port's description and references.
void AddPeculiarItem(int n, const PeculiarItem& p, const ProseInput& in, ReportSection* sec) {
  sec->blocks.push_back(Heading(fmt::format("({}) {}", n, p.title)));
  sec->blocks.push_back(Paragraph(
      fmt::format("Chart {} shows the daily accesses to the port {} at all monitoring points. {}",
                  in.model.charts[static_cast<size_t>(p.chart)].id, p.port, p.paragraph)));
  ReportBlock chart;
  chart.kind = ReportBlock::Kind::kChart;
  chart.chart = p.chart;
  sec->blocks.push_back(chart);
  if (!p.top_sources.empty()) {
    sec->blocks.push_back(
        Note(fmt::format("The sources that sent the most accesses to {} in the period:", p.port)));
    sec->blocks.push_back(TopSourcesTable(p, in));
  }
  if (!p.description.empty()) {
    sec->blocks.push_back(Paragraph(fmt::format("The port {}: {}", p.port, p.description)));
  } else {
    sec->blocks.push_back(
        Note(fmt::format("The port knowledge base has no description of {}.", p.port)));
  }
  if (!p.references.empty()) {
    ReportBlock refs;
    refs.kind = ReportBlock::Kind::kReferences;
    refs.references = p.references;
    sec->blocks.push_back(refs);
  }
}

std::string NothingPeculiarParagraph(const ReportFigures& f) {
  return fmt::format(
      "No peculiar access was found in {}: no port type surged, appeared, concentrated on "
      "one source or point, or fell away{}.",
      MonthWord(f.month),
      f.compare ? ""
                : fmt::format(" (no data for {} to compare with)", MonthWord(f.month.Previous())));
}

// --- Section 5

ReportBlock SupplementaryTable(const ReportModel& m) {
  ReportBlock table;
  table.kind = ReportBlock::Kind::kTable;
  table.rows.push_back({"Port type", "Service", "Interpretations/Descriptions"});
  for (size_t i = 0; i < m.supplementary_ports.size(); ++i) {
    const ReportKnowledge::PortText& t = m.supplementary[i];
    table.rows.push_back(
        {m.supplementary_ports[i], t.service,
         t.description.empty() ? "No description in the port knowledge base." : t.description});
  }
  return table;
}

}  // namespace

ReportSection GeneralUsersSection(const ProseInput& in) {
  const ReportFigures& f = in.figures;
  ReportSection sec{"s1", "1. To the General Internet Users", {}};
  if (!f.has_data) {
    sec.blocks.push_back(Paragraph(NoAccessParagraph(f)));
  } else {
    sec.blocks.push_back(Paragraph(TotalsParagraph(f.stats)));
    if (!f.stats.coverage_complete()) {
      sec.blocks.push_back(Paragraph(CoverageParagraph(f.stats)));
    }
    if (f.stats.points == 1) sec.blocks.push_back(Note(OnePointNote(f.stats)));
  }
  sec.blocks.push_back(Note(SourceDefinitionNote(f.timezone)));
  sec.blocks.push_back(Paragraph(EnvironmentParagraph()));
  sec.blocks.push_back(Paragraph(TrendParagraph(f, in.options)));
  sec.blocks.push_back(Chart(in.model, "1-1"));
  sec.blocks.push_back(Paragraph(ComparisonParagraph(f, in.options)));
  sec.blocks.push_back(Chart(in.model, "1-2"));
  return sec;
}

ReportSection PeculiarSection(const ProseInput& in) {
  const ReportFigures& f = in.figures;
  const ReportModel& m = in.model;
  ReportSection sec{"s2", fmt::format("2. Peculiar Access in {}", MonthTitle(f.month)), {}};
  if (!f.has_data) {
    sec.blocks.push_back(Paragraph(NoDataNote(f)));
    return sec;
  }
  if (m.peculiar.empty()) {
    sec.blocks.push_back(Paragraph(NothingPeculiarParagraph(f)));
    return sec;
  }
  sec.blocks.push_back(Paragraph(
      m.peculiar_from_detector
          ? "The port types below changed this month against their own level in the weeks "
            "before it (scanscope findings: surges, new ports, concentrations and falls)."
          : "The port types below are new this month or rose the most against last month."));
  int n = 0;
  for (const PeculiarItem& p : m.peculiar) AddPeculiarItem(++n, p, in, &sec);
  return sec;
}

ReportSection StatusSection(const ProseInput& in) {
  const ReportFigures& f = in.figures;
  const ReportModel& m = in.model;
  ReportSection sec{
      "s3",
      fmt::format("3. Status for Unwanted (One-sided) Number of Access in {}", MonthWord(f.month)),
      {}};
  sec.blocks.push_back(Heading("(1) Accessing Status Classified by Destination (Port Type)"));
  sec.blocks.push_back(Paragraph(fmt::format(
      "Chart 3-1 shows the unwanted (one-sided) accesses per day and Chart 3-2 the sources per "
      "day, each stacked by destination (the {} port types most accessed in the month and the "
      "rest as Others).",
      NumberWords(in.options.top_ports))));
  sec.blocks.push_back(Chart(m, "3-1"));
  sec.blocks.push_back(Chart(m, "3-2"));
  sec.blocks.push_back(Heading("(2) Ratio Classified by Destination (Port Type)"));
  sec.blocks.push_back(Paragraph(
      std::string("Chart 3-3 shows the ratio of accesses and Chart 3-4 the ratio of sources by "
                  "destination (port type). ") +
      kRatioNote));
  sec.blocks.push_back(Chart(m, "3-3"));
  sec.blocks.push_back(Chart(m, "3-4"));
  sec.blocks.push_back(Heading("(3) Accessing Status Classified by Source Area"));
  std::string area_intro = std::string(
                               "Chart 3-5 shows the accesses per day and Chart 3-6 the ratio of "
                               "accesses by source area; Chart 3-7 and Chart 3-8 show the same "
                               "for sources. ") +
                           kRatioNote;
  if (f.has_areas) {
    area_intro += fmt::format(
        " Source areas come from {}{}; addresses it does not place are counted as Unknown.",
        m.geo_database.empty() ? "the IP-to-country database" : m.geo_database,
        m.geo_attribution.empty() ? "" : " (" + m.geo_attribution + ")");
  }
  sec.blocks.push_back(Paragraph(area_intro));
  for (const char* id : {"3-5", "3-6", "3-7", "3-8"}) sec.blocks.push_back(Chart(m, id));
  return sec;
}

ReportSection StatisticsSection(const ProseInput& in) {
  const ReportFigures& f = in.figures;
  const ReportModel& m = in.model;
  ReportSection sec{"s4", "4. Statistical Information", {}};
  const std::string span =
      fmt::format("from {} to {}", MonthTitle(f.trend.front().month), MonthTitle(f.month));
  sec.blocks.push_back(Heading("(1) Ratio Classified by Destination (Port Type)"));
  sec.blocks.push_back(Paragraph(fmt::format(
      "Chart 4-1 shows the ratio of accesses and Chart 4-2 the ratio of sources by destination "
      "(port type) {}: {}'s {} largest port types and the rest as Others. {}",
      span, MonthWord(f.month), NumberWords(in.options.top_ports), kRatioNote)));
  sec.blocks.push_back(Chart(m, "4-1"));
  sec.blocks.push_back(Chart(m, "4-2"));
  sec.blocks.push_back(Heading("(2) Ratio Classified by Source Area"));
  sec.blocks.push_back(Paragraph(fmt::format(
      "Chart 4-3 shows the ratio of accesses and Chart 4-4 the ratio of sources by source area "
      "{}. {}",
      span, kRatioNote)));
  sec.blocks.push_back(Chart(m, "4-3"));
  sec.blocks.push_back(Chart(m, "4-4"));
  return sec;
}

ReportSection SupplementarySection(const ProseInput& in) {
  const ReportModel& m = in.model;
  ReportSection sec{"s5", "5. Supplementary Descriptions", {}};
  if (m.supplementary_ports.empty()) {
    sec.blocks.push_back(Paragraph(NoDataNote(in.figures)));
    return sec;
  }
  sec.blocks.push_back(Paragraph(fmt::format(
      "Following are the explanations for the destinations (port types) remarkably accessed "
      "in {}: the {} most accessed and those of section 2.",
      MonthTitle(in.figures.month), NumberWords(in.options.top_ports))));
  sec.blocks.push_back(SupplementaryTable(m));
  bool any = false;
  for (const ReportKnowledge::PortText& t : m.supplementary) any = any || !t.description.empty();
  if (!any) {
    sec.blocks.push_back(Note(in.has_port_knowledge
                                  ? "The port knowledge base describes none of these ports."
                                  : "No port knowledge base was loaded."));
  }
  return sec;
}

std::string PeculiarTitle(const std::string& port) {
  return fmt::format("Access to the Port {}", port);
}

std::string NewPortParagraph(const PortChange& c, const Month& month) {
  return fmt::format(
      "The port {}, never monitored in {}, received {} accesses from {} sources in {}.", c.port,
      MonthWord(month.Previous()), WithThousands(c.accesses), WithThousands(c.sources),
      MonthWord(month));
}

std::string RisingPortParagraph(const PortChange& c, const Month& month) {
  return fmt::format(
      "Accesses to the port {} rose from {} in {} to {} in {} ({}), from {} sources.", c.port,
      WithThousands(c.previous_accesses), MonthWord(month.Previous()), WithThousands(c.accesses),
      MonthWord(month), ChangeWords(c.accesses, c.previous_accesses), WithThousands(c.sources));
}

}  // namespace scanscope
