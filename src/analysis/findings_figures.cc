// A finding as figures without words: where its period lies in the month,
// the numbers its paragraph states (FigureFinding), and `findings --json`.

#include <algorithm>
#include <cmath>

#include "analysis/findings.h"
#include "analysis/findings_english.h"

namespace scanscope {

MonthPart MonthPartOf(int32_t first_day, int32_t last_day, const Month& month) {
  const int a = first_day - month.first_day, b = last_day - month.first_day;
  const int third = (month.days + 2) / 3;
  if (b < third) return MonthPart::kEarly;
  if (a >= 2 * third) return MonthPart::kLatter;
  if (a >= third && b < 2 * third) return MonthPart::kMiddle;
  if (b < (month.days + 1) / 2) return MonthPart::kFirstHalf;
  if (a >= month.days / 2) return MonthPart::kSecondHalf;
  return MonthPart::kWhole;
}

FindingFigures FigureFinding(const Finding& x, const Month& month, const FindingOptions& o) {
  FindingFigures f;
  f.part = MonthPartOf(x.first_day, x.last_day, month);
  f.days = x.last_day - x.first_day + 1;
  f.usual_accesses = static_cast<uint64_t>(std::llround(x.baseline_accesses));
  const int64_t excess = x.kind == FindingKind::kFall ? -x.excess_accesses : x.excess_accesses;
  f.excess_accesses = static_cast<uint64_t>(std::max<int64_t>(excess, 0));
  const double period = static_cast<double>(x.period_accesses);
  const double per_day = period / f.days;
  f.accesses_a_day = static_cast<uint64_t>(std::llround(per_day));
  if (x.baseline_accesses > 0) {
    f.times_usual = period / (x.baseline_accesses * f.days);
    f.drop = 1.0 - per_day / x.baseline_accesses;
  }
  const double source = x.top_sources.empty() ? 0 : static_cast<double>(x.top_sources[0].accesses);
  if (x.kind == FindingKind::kNew) {
    f.names_source = !x.top_sources.empty() && x.period_accesses > 0 &&
                     source / period >= o.paragraph_source_share;
  } else if (x.kind == FindingKind::kConcentration) {
    f.names_source = !x.top_sources.empty() &&
                     source >= o.paragraph_one_source_share *
                                   static_cast<double>(std::max<int64_t>(x.excess_accesses, 1));
  }
  if (x.kind == FindingKind::kConcentration && !f.names_source && !x.points.empty()) {
    f.point = x.points[0].point;
    f.point_accesses = x.points[0].accesses;
  }
  return f;
}

nlohmann::ordered_json FindingsToJson(const std::vector<Finding>& findings, const Month& month,
                                      const std::string& zone,
                                      const std::vector<CoverageNotice>& notices) {
  nlohmann::ordered_json j;
  j["month"] = month.ToString();
  j["timezone"] = zone;
  j["findings"] = nlohmann::ordered_json::array();
  int rank = 0;
  for (const Finding& x : findings) {
    nlohmann::ordered_json f;
    f["rank"] = ++rank;
    f["kind"] = std::string(FindingKindName(x.kind));
    f["port_type"] = x.port.ToString();
    f["first_day"] = FormatDay(x.first_day);
    f["last_day"] = FormatDay(x.last_day);
    f["alarm_day"] = FormatDay(x.alarm_day);
    f["score"] = std::round(x.score * 10) / 10;
    nlohmann::ordered_json mag;
    mag["excess_accesses"] = x.excess_accesses;
    mag["excess_sources"] = x.excess_sources;
    mag["period_accesses"] = x.period_accesses;
    mag["period_sources"] = x.period_sources;
    mag["baseline_accesses_per_day"] = x.baseline_accesses;
    mag["baseline_sources_per_day"] = x.baseline_sources;
    mag["peak_day"] = FormatDay(x.peak_day);
    mag["peak_accesses"] = x.peak_accesses;
    mag["top_source_share"] = std::round(x.top_source_share * 1000) / 1000;
    f["magnitude"] = mag;
    f["top_sources"] = nlohmann::ordered_json::array();
    for (const FindingSource& s : x.top_sources) {
      nlohmann::ordered_json js;
      js["address"] = s.source.ToString();
      js["accesses"] = s.accesses;
      js["days"] = s.days;
      js["points"] = s.points;
      js["country"] =
          s.country.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.country);
      f["top_sources"].push_back(js);
    }
    f["points"] = nlohmann::ordered_json::array();
    for (const FindingPoint& p : x.points) {
      f["points"].push_back({{"point", p.point}, {"accesses", p.accesses}});
    }
    f["daily_accesses"] = x.daily_accesses;
    f["paragraph"] = x.paragraph;
    j["findings"].push_back(f);
  }
  if (findings.empty()) j["summary"] = NoFindingsSentence(month);
  j["coverage_notices"] = nlohmann::ordered_json::array();
  for (const CoverageNotice& n : notices) {
    j["coverage_notices"].push_back({{"point", n.point},
                                     {"from_day", FormatDay(n.from_day)},
                                     {"to_day", FormatDay(n.to_day)},
                                     {"days", n.days()}});
  }
  return j;
}

}  // namespace scanscope
