// scanscope findings: the month's peculiar accesses (surge, new,
// concentration, fall), ranked, with their evidence and a paragraph each.
// Countries come from the default geo database and port descriptions from
// the default port knowledge files; both are optional (without them a
// finding has no country and no description).
#include <fmt/format.h>

#include <memory>
#include <string>

#include "analysis/findings.h"
#include "analysis/findings_english.h"
#include "app/commands.h"
#include "app/context.h"
#include "geo/geo.h"
#include "report/port_knowledge.h"

namespace scanscope {

namespace {

// The countries and port descriptions the evidence and paragraphs use, from
// whichever of the default geo database and port knowledge files load.
FindingKnowledge Knowledge() {
  FindingKnowledge k;
  if (auto opened = GeoDatabase::Open(DefaultGeoDatabasePath()); opened.ok()) {
    std::shared_ptr<const GeoDatabase> geo = std::move(*opened);
    k.country_code = [geo](const IpAddress& a) { return geo->CountryCode(a); };
    k.country_name = [geo](const std::string& code) { return geo->CountryName(code); };
  }
  if (auto loaded = PortKnowledge::Load(DefaultPortKnowledgeFiles()); loaded.ok()) {
    auto ports = std::make_shared<const PortKnowledge>(std::move(*loaded));
    k.port_description = [ports](PortType port) {
      const PortDescription* d = ports->Find(port);
      return d == nullptr ? std::string() : d->description;
    };
  }
  return k;
}

}  // namespace

int RunFindings(const FindingsArgs& args) {
  MonthQuery q;
  if (int rc = OpenMonthQuery(args.common, args.month, args.tz, &q); rc != 0) return rc;
  const FindingOptions options;
  auto input = BuildFindingInput(*q.store, q.month, q.zone, options);
  if (!input.ok()) return Fail(input.status().message());
  if (input->month_accesses == 0) {
    fmt::print(stderr, "scanscope: note: the store holds no accesses in {} (days in {})\n",
               q.month.ToString(), q.zone.name());
  }
  std::vector<Finding> findings = DetectFindings(*input, options);
  Status st = AddEvidence(*q.store, q.zone, q.month, Knowledge(), &findings, options);
  if (!st.ok()) return Fail(st.message());
  const std::vector<CoverageNotice> notices = CoverageNotices(*input);
  if (args.json) {
    fmt::print("{}\n", FindingsToJson(findings, q.month, q.zone.name(), notices).dump(2));
  } else {
    fmt::print("{}", FindingsToText(findings, q.month, q.zone.name(), notices));
  }
  return 0;
}

}  // namespace scanscope
