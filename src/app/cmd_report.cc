// scanscope report: the month's report (index.html, report.md, report.json,
// charts/*.svg and *.csv) from the store. Source areas come from the geo
// stage (an mmdb read with libmaxminddb) and port descriptions from the port
// knowledge base. A file named on the command line (--geo-db, --ports) must
// load, or nothing is written; without the installed defaults the report
// says so where they would be used.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/context.h"
#include "geo/geo.h"
#include "report/port_knowledge.h"
#include "report/report_model.h"
#include "report/report_writer.h"

namespace scanscope {

namespace {

// Fills the geo half of `k`. A database named with --geo-db must open (its
// error is returned); without --geo-db the default one is used when it is
// there, and the report says why there are no areas when it is not.
Status AddGeo(const ReportArgs& args, ReportKnowledge* k) {
  if (args.geo_db == "none") {
    k->geo_problem = "disabled with --geo-db none";
    return Status::Ok();
  }
  auto db = args.geo_db.empty() ? GeoDatabase::Open(DefaultGeoDatabasePath())
                                : GeoDatabase::Open(args.geo_db);
  if (!db.ok()) {
    if (!args.geo_db.empty()) return db.status();
    k->geo_problem = db.status().message();
    return Status::Ok();
  }
  std::shared_ptr<GeoDatabase> geo(std::move(*db));
  k->geo_database = geo->Description();
  k->geo_attribution = geo->Attribution();
  k->country_code = [geo](const IpAddress& a) { return geo->CountryCode(a); };
  k->country_name = [](const std::string& code) { return std::string(CountryName(code)); };
  return Status::Ok();
}

// Fills the port half of `k` from the default knowledge files plus --ports.
Status AddPorts(const ReportArgs& args, ReportKnowledge* k) {
  if (args.port_files.size() == 1 && args.port_files[0] == "none") return Status::Ok();
  std::vector<std::string> files = DefaultPortKnowledgeFiles();
  for (const std::string& f : args.port_files) files.push_back(f);
  auto loaded = PortKnowledge::Load(files);
  if (!loaded.ok()) return loaded.status();
  auto ports = std::make_shared<PortKnowledge>(std::move(*loaded));
  k->port_text = [ports](const std::string& port) {
    ReportKnowledge::PortText t;
    if (const PortDescription* d = ports->Find(port)) {
      t.service = d->service;
      t.description = d->description;
      t.references = d->references;
    }
    return t;
  };
  return Status::Ok();
}

}  // namespace

int RunReport(const ReportArgs& args) {
  if (args.lang != "en")
    return Fail(fmt::format("--lang {}: only \"en\" is available", args.lang), 2);
  MonthQuery q;
  if (int rc = OpenMonthQuery(args.common, args.month, args.tz, &q); rc != 0) return rc;
  ReportKnowledge knowledge;
  Status st = AddGeo(args, &knowledge);
  if (!st.ok()) return Fail(st.message(), 2);
  st = AddPorts(args, &knowledge);
  if (!st.ok()) return Fail(st.message(), 2);
  ReportOptions options;
  options.detect_findings = !args.no_findings;
  auto model = BuildReportModel(*q.store, q.month, q.zone, knowledge, options);
  if (!model.ok()) return Fail(model.status().message());
  model->lang = args.lang;
  st = WriteReport(*model, args.out);
  if (!st.ok()) return Fail(st.message());
  std::error_code ec;
  std::filesystem::path index =
      std::filesystem::absolute(std::filesystem::path(args.out) / "index.html", ec);
  fmt::print("{}\n", index.string());
  return 0;
}

}  // namespace scanscope
