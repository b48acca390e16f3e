#include "analysis/findings_english.h"

#include <fmt/format.h>

#include <algorithm>

#include "analysis/month_stats.h"
#include "common/ratio.h"

namespace scanscope {

namespace {

// "May 2".
std::string DayWords(int32_t day) {
  CivilDate c = CivilFromDays(day);
  return fmt::format("{} {}", MonthName(c.month), c.day);
}

// "on May 2" / "from May 2 to May 12".
std::string PeriodWords(int32_t first, int32_t last) {
  if (first == last) return fmt::format("on {}", DayWords(first));
  return fmt::format("from {} to {}", DayWords(first), DayWords(last));
}

// "in the early part of May".
std::string PartWords(MonthPart part, const Month& month) {
  const std::string_view name = MonthName(month.month);
  switch (part) {
    case MonthPart::kEarly:
      return fmt::format("in the early part of {}", name);
    case MonthPart::kMiddle:
      return fmt::format("in the middle of {}", name);
    case MonthPart::kLatter:
      return fmt::format("in the latter part of {}", name);
    case MonthPart::kFirstHalf:
      return fmt::format("in the first half of {}", name);
    case MonthPart::kSecondHalf:
      return fmt::format("in the second half of {}", name);
    case MonthPart::kWhole:
      break;
  }
  return fmt::format("in {}", name);
}

// A fraction (not a share of counts: those go through FormatRatio) as a
// percentage with one decimal: 0.554 -> "55.4%".
std::string FractionAsPercent(double fraction) { return fmt::format("{:.1f}%", fraction * 100); }

// A share of counts as the report prints ratios: "12.5%".
std::string RatioWords(uint64_t part, uint64_t total) {
  return fmt::format("{}%", FormatRatio(part, total));
}

// The baseline's accesses a day, rounded: "1,204".
std::string Usual(const FindingFigures& f) { return WithThousands(f.usual_accesses); }

// "198.51.100.7, Japan": the address, and its country's name (else its
// code) when known.
std::string SourceWords(const FindingSource& s, const FindingKnowledge& knowledge) {
  if (s.country.empty()) return s.source.ToString();
  std::string name = knowledge.country_name ? knowledge.country_name(s.country) : "";
  return fmt::format("{}, {}", s.source.ToString(), name.empty() ? s.country : name);
}

// " at one monitoring point (point-03)" / " at 3 monitoring points".
std::string PointsWords(size_t count, const std::string& first_point) {
  if (count == 1) return fmt::format(" at one monitoring point ({})", first_point);
  return fmt::format(" at {} monitoring points", count);
}

// The finding's points ("" without evidence).
std::string FindingPointsWords(const Finding& x) {
  if (x.points.empty()) return "";
  return PointsWords(x.points.size(), x.points[0].point);
}

std::string SurgeParagraph(const Finding& x, const FindingFigures& f, const Month& month) {
  std::string text = fmt::format(
      "The access to the port {} tended to increase {}: {} accesses from {} sources {}{}, {} more "
      "than its usual level of about {} accesses a day",
      x.port.ToString(), PartWords(f.part, month), WithThousands(x.period_accesses),
      WithThousands(x.period_sources), PeriodWords(x.first_day, x.last_day), FindingPointsWords(x),
      WithThousands(f.excess_accesses), Usual(f));
  if (f.times_usual > 0) text += fmt::format(" ({:.1f} times the usual level)", f.times_usual);
  text += fmt::format(". The busiest day was {} with {} accesses.", DayWords(x.peak_day),
                      WithThousands(x.peak_accesses));
  return text;
}

std::string NewParagraph(const Finding& x, const FindingFigures& f, const Month& month,
                         const FindingKnowledge& knowledge) {
  std::string text = fmt::format(
      "Accesses to the port {}, which was never monitored in {}, drastically increased {}: {} "
      "accesses {}{}.",
      x.port.ToString(), MonthName(month.Previous().month), PartWords(f.part, month),
      WithThousands(x.period_accesses), PeriodWords(x.first_day, x.last_day),
      FindingPointsWords(x));
  if (f.names_source) {
    const FindingSource& s = x.top_sources[0];
    text += fmt::format(" {} of them came from a specific source address ({}).",
                        RatioWords(s.accesses, x.period_accesses), SourceWords(s, knowledge));
  }
  return text;
}

std::string ConcentrationParagraph(const Finding& x, const FindingFigures& f,
                                   const FindingKnowledge& knowledge) {
  const std::string period = PeriodWords(x.first_day, x.last_day);
  if (f.names_source) {
    const FindingSource& s = x.top_sources[0];
    return fmt::format(
        "Accesses to the port {} were intensively made {} by a specific source address ({}){}: "
        "{} accesses, against about {} accesses a day to that port from all sources usually ({} "
        "in all over those days).",
        x.port.ToString(), period, SourceWords(s, knowledge),
        PointsWords(s.points.size(), s.points.empty() ? "" : s.points[0]),
        WithThousands(s.accesses), Usual(f), WithThousands(x.period_accesses));
  }
  return fmt::format(
      "Accesses to the port {} were concentrated on one monitoring point ({}) {}: {} of {} "
      "accesses, against about {} accesses a day usually.",
      x.port.ToString(), f.point.empty() ? "one monitoring point" : f.point, period,
      RatioWords(f.point_accesses, x.period_accesses), WithThousands(x.period_accesses), Usual(f));
}

std::string FallParagraph(const Finding& x, const FindingFigures& f, const Month& month) {
  return fmt::format(
      "The access to the port {} decreased {}: about {} accesses a day {} against about {} "
      "before ({} fewer, {} less).",
      x.port.ToString(), PartWords(f.part, month), WithThousands(f.accesses_a_day),
      PeriodWords(x.first_day, x.last_day), Usual(f), WithThousands(f.excess_accesses),
      FractionAsPercent(f.drop));
}

// The port's description, or for a rise nobody has explained yet, that.
std::string PortWords(const Finding& x, const FindingKnowledge& knowledge) {
  std::string description = knowledge.port_description ? knowledge.port_description(x.port) : "";
  if (!description.empty()) return fmt::format(" The port {}: {}", x.port.ToString(), description);
  if (x.kind == FindingKind::kNew || x.kind == FindingKind::kConcentration) {
    return " The cause of such intensive access has not yet been identified.";
  }
  return "";
}

}  // namespace

std::string FindingParagraph(const Finding& x, const Month& month,
                             const FindingKnowledge& knowledge, const FindingOptions& options) {
  const FindingFigures f = FigureFinding(x, month, options);
  std::string text;
  switch (x.kind) {
    case FindingKind::kSurge:
      text = SurgeParagraph(x, f, month);
      break;
    case FindingKind::kNew:
      text = NewParagraph(x, f, month, knowledge);
      break;
    case FindingKind::kConcentration:
      text = ConcentrationParagraph(x, f, knowledge);
      break;
    case FindingKind::kFall:
      text = FallParagraph(x, f, month);
      break;
  }
  return text + PortWords(x, knowledge);
}

std::string NoFindingsSentence(const Month& month) {
  return fmt::format("No peculiar access was found in {} {}.", MonthName(month.month), month.year);
}

namespace {

// The coverage notices' section of the text: "" without notices.
std::string CoverageNoticesText(const std::vector<CoverageNotice>& notices) {
  if (notices.empty()) return "";
  std::string out =
      "Blind points: the days a point watched too little to judge (docs/findings.md, "
      "\"Coverage\"); no finding stands on them.\n";
  for (const CoverageNotice& n : notices) {
    out += fmt::format("  {}: {} .. {} ({} day{})\n", n.point, FormatDay(n.from_day),
                       FormatDay(n.to_day), n.days(), n.days() == 1 ? "" : "s");
  }
  return out;
}

// The ranked findings of FindingsToText.
std::string RankedFindingsText(const std::vector<Finding>& findings) {
  std::string out;
  int rank = 0;
  for (const Finding& x : findings) {
    out += fmt::format("({}) {} {}: {} .. {}, score {:.1f}\n", ++rank, x.port.ToString(),
                       FindingKindName(x.kind), FormatDay(x.first_day), FormatDay(x.last_day),
                       x.score);
    out += x.paragraph + "\n";
    if (!x.top_sources.empty()) {
      out += "  top sources:\n";
      for (const FindingSource& s : x.top_sources) {
        out += fmt::format("    {:<40} {:>12} accesses, {} day(s), {}{}\n", s.source.ToString(),
                           WithThousands(s.accesses), s.days, fmt::join(s.points, ","),
                           s.country.empty() ? "" : " (" + s.country + ")");
      }
    }
    if (!x.points.empty()) {
      out += "  points:";
      for (const FindingPoint& p : x.points) {
        out += fmt::format(" {} {}", p.point, WithThousands(p.accesses));
      }
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string FindingsToText(const std::vector<Finding>& findings, const Month& month,
                           const std::string& zone, const std::vector<CoverageNotice>& notices) {
  std::string out = fmt::format("Peculiar access in {} {} (days in {})\n\n", MonthName(month.month),
                                month.year, zone);
  if (findings.empty()) {
    out += fmt::format(
        "No peculiar access was found in {} {}: no port type rose, appeared, concentrated or "
        "fell beyond its baseline.\n",
        MonthName(month.month), month.year);
    if (!notices.empty()) out += "\n";
  }
  return out + RankedFindingsText(findings) + CoverageNoticesText(notices);
}

}  // namespace scanscope
