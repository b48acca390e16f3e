// scanscope findings: the month's peculiar accesses (surge, new,
// concentration, fall), ranked, with their evidence and a paragraph each.
// Countries come from the geo stage and port descriptions from the report
// stage's port knowledge when those are built; both are optional (a finding
// without them has no country and no description).
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "analysis/findings.h"
#include "app/commands.h"
#include "app/context.h"

#if __has_include("geo/geo.h")
#include "geo/geo.h"
#define SCANSCOPE_FINDINGS_GEO 1
#endif
#if __has_include("report/port_knowledge.h")
#include "report/port_knowledge.h"
#define SCANSCOPE_FINDINGS_PORTS 1
#endif

namespace scanscope {

namespace {

// The helpers below adapt to the shapes the optional stages' APIs take
// (Result<T> or a pointer; a string, a string_view, an optional or an entry
// with a description), so that this file builds whichever lands.
template <typename T>
bool Usable(const T& x) {
  if constexpr (requires { x.ok(); }) {
    return x.ok();
  } else if constexpr (requires { x == nullptr; }) {
    return x != nullptr;
  } else {
    return true;
  }
}

template <typename T>
decltype(auto) Unwrap(T& x) {
  if constexpr (requires {
                  x.ok();
                  x.value();
                }) {
    return Unwrap(x.value());
  } else if constexpr (requires {
                         x.get();
                         *x;
                       }) {
    return Unwrap(*x);
  } else {
    return (x);
  }
}

template <typename T>
std::string TextOf(const T& x) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string(std::string_view(x));
  } else if constexpr (requires {
                         x.has_value();
                         *x;
                       }) {
    return x.has_value() ? TextOf(*x) : std::string();
  } else if constexpr (requires {
                         x == nullptr;
                         x->description;
                       }) {
    return x == nullptr ? std::string() : TextOf(x->description);
  } else if constexpr (requires { x.description; }) {
    return TextOf(x.description);
  } else {
    return std::string();
  }
}

FindingKnowledge Knowledge() {
  FindingKnowledge k;
#ifdef SCANSCOPE_FINDINGS_GEO
  {
    auto geo = std::make_shared<decltype(GeoDatabase::Open(DefaultGeoDatabasePath()))>(
        GeoDatabase::Open(DefaultGeoDatabasePath()));
    if (Usable(*geo)) {
      k.country_code = [geo](const IpAddress& a) { return TextOf(Unwrap(*geo).CountryCode(a)); };
      k.country_name = [geo](const std::string& code) {
        return TextOf(Unwrap(*geo).CountryName(code));
      };
    }
  }
#endif
#ifdef SCANSCOPE_FINDINGS_PORTS
  {
    auto ports = std::make_shared<decltype(PortKnowledge::Load(DefaultPortKnowledgeFiles()))>(
        PortKnowledge::Load(DefaultPortKnowledgeFiles()));
    if (Usable(*ports)) {
      k.port_description = [ports](PortType port) { return TextOf(Unwrap(*ports).Find(port)); };
    }
  }
#endif
  return k;
}

}  // namespace

int RunFindings(const FindingsArgs& args) {
  MonthQuery q;
  if (int rc = OpenMonthQuery(args.common, args.month, args.tz, &q); rc != 0) return rc;
  auto input = BuildFindingInput(*q.store, q.month, q.zone);
  if (!input.ok()) return Fail(input.status().message());
  if (input->month_accesses == 0) {
    fmt::print(stderr, "scanscope: note: the store holds no accesses in {} (days in {})\n",
               q.month.ToString(), q.zone.name());
  }
  std::vector<Finding> findings = DetectFindings(*input);
  Status st = AddEvidence(*q.store, q.zone, q.month, Knowledge(), &findings);
  if (!st.ok()) return Fail(st.message());
  if (args.json) {
    fmt::print("{}\n", FindingsToJson(findings, q.month, q.zone.name()).dump(2));
  } else {
    fmt::print("{}", FindingsToText(findings, q.month, q.zone.name()));
  }
  return 0;
}

}  // namespace scanscope
