#include "app/cli.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "app/commands.h"
#include "common/version.h"

namespace scanscope {

namespace {

void AddCommon(CLI::App* cmd, CommonArgs* common) {
  cmd->add_option("--config", common->config, "TOML config file (points, store, report)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--db", common->db,
                  "store: a SQLite file (created if missing) or "
                  "clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB[?...]");
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{
      "scanscope: turns the unwanted, one-sided traffic hitting monitoring points into the "
      "month's exact figures"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("scanscope {}", kVersion));

  GenerateArgs gen;
  auto* g = app.add_subcommand("generate",
                               "write a month of generated traffic for N points as pcap files");
  g->add_option("--month", gen.month, "month to generate, YYYY-MM")->required();
  g->add_option("--points", gen.points, "number of monitoring points")->check(CLI::Range(1, 1000));
  g->add_option("--packets", gen.packets, "packets in all (all points, all kinds)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000'000}));
  g->add_option("--seed", gen.seed, "seed; the same seed gives the same files");
  g->add_option("--out", gen.out, "output directory")->required();
  g->add_option("--tz", gen.tz, "zone of the daily rhythm (default: UTC)");

  IngestArgs ing;
  auto* i =
      app.add_subcommand("ingest", "read captures or firewall logs of one point into the store");
  AddCommon(i, &ing.common);
  i->add_option("--point", ing.point, "monitoring point name")->required();
  i->add_option("--watch", ing.watch, "watched addresses: CIDR[,CIDR...] (default: from --config)");
  i->add_option("--description", ing.description, "point description (stored with the point)");
  i->add_option("--format", ing.format, "auto|pcap|pcapng|netfilter")
      ->check(CLI::IsMember({"auto", "pcap", "pcapng", "netfilter"}));
  i->add_option("--log-year", ing.log_year, "year of classic syslog stamps (default: file mtime)")
      ->check(CLI::Range(1971, 2200));
  i->add_option("--log-tz", ing.log_tz, "zone of log stamps without an offset (default: UTC)");
  i->add_option("--tz", ing.tz, "also keep days in this zone (default: the config's report zone)");
  i->add_flag("--json", ing.json, "print each file's report as a JSON line");
  i->add_flag("--quiet", ing.quiet, "no progress, only errors and the summary");
  i->add_option("files", ing.files, "pcap, pcapng or log files (.gz too)")
      ->required()
      ->check(CLI::ExistingFile);

  StatsArgs st;
  auto* s = app.add_subcommand(
      "stats", "the month's figures: accesses, sources, per point per day, breakdowns");
  AddCommon(s, &st.common);
  s->add_option("--month", st.month, "YYYY-MM")->required();
  s->add_option("--tz", st.tz, "zone of the days (default: the config's report zone, else UTC)");
  s->add_flag("--json", st.json, "machine output");

  FindingsArgs fi;
  auto* f = app.add_subcommand(
      "findings", "the month's peculiar accesses: surges, new ports, concentrations, falls");
  AddCommon(f, &fi.common);
  f->add_option("--month", fi.month, "YYYY-MM")->required();
  f->add_option("--tz", fi.tz, "zone of the days (default: the config's report zone, else UTC)");
  f->add_flag("--json", fi.json, "machine output");

  ReportArgs rp;
  auto* r = app.add_subcommand(
      "report",
      "write the month's report: index.html, report.md, report.json, charts/*.svg, *.csv");
  AddCommon(r, &rp.common);
  r->add_option("--month", rp.month, "YYYY-MM")->required();
  r->add_option("--tz", rp.tz, "zone of the days (default: the config's report zone, else UTC)");
  r->add_option("--lang", rp.lang, "language of the text (en)");
  r->add_option("--out", rp.out, "output directory (created if missing)")->required();
  r->add_option("--geo-db", rp.geo_db,
                "IP-to-country mmdb (default: the installed one; none: no areas)");
  r->add_option("--ports", rp.port_files, "extra port knowledge file(s) (none: no descriptions)");
  r->add_flag("--no-findings", rp.no_findings, "section 2 from month-on-month changes only");

  PointsArgs pt;
  auto* p = app.add_subcommand("points", "list the monitoring points in the store");
  AddCommon(p, &pt.common);
  p->add_flag("--json", pt.json, "machine output");
  p->add_flag("--status", pt.status,
              "the sensors' last reports: lag, spool depth, accesses today, drops");
  p->add_flag("--batches", pt.batches,
              "every committed batch (the ledger): id, point, origin, time, accesses");
  p->add_option("--point", pt.point, "only this point (in the list, --status and --batches)");
  p->add_option("--forget", pt.forget,
                "take back a committed batch (its raw records and its share of every figure); "
                "repeatable");
  p->add_option("--forget-file", pt.forget_file, "take back every batch ingested from this file");
  p->add_flag("--forget-point", pt.forget_point,
              "take back every batch of --point (within --ingested-from/--ingested-to)");
  p->add_option("--ingested-from", pt.ingested_from,
                "with --forget-point: batches ingested from this UTC time (YYYY-MM-DD[THH:MM:SS])");
  p->add_option("--ingested-to", pt.ingested_to,
                "with --forget-point: batches ingested before this UTC time");
  p->add_flag("--forgotten", pt.forgotten, "the ledger's history: every batch taken back");

  CollectorArgs co;
  auto* c = app.add_subcommand(
      "collector", "receive the sensors' batches over TLS and commit them to the store");
  c->add_option("--config", co.collector_config, "collector TOML file (flags win)")
      ->check(CLI::ExistingFile);
  c->add_option("--db", co.common.db,
                "store: a SQLite file (created if missing) or "
                "clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB[?...]");
  c->add_option("--listen", co.listen, "HOST:PORT to listen on (port 0: a free one)");
  c->add_option("--cert-file", co.cert_file, "TLS certificate chain (PEM)");
  c->add_option("--key-file", co.key_file, "TLS private key (PEM)");
  c->add_option("--sensors", co.sensors, "sensors file: [[sensor]] point, watch, token_sha256")
      ->check(CLI::ExistingFile);
  c->add_flag("--allow-plain", co.allow_plain, "plain HTTP without TLS (loopback only; tests)");
  c->add_option("--max-batch-bytes", co.max_batch_bytes, "largest batch accepted (413 beyond)");
  c->add_option("--max-connections", co.max_connections, "connections served at once")
      ->check(CLI::Range(1, 10000));
  c->add_option("--max-batches-per-second-per-sensor", co.max_batches_per_second_per_sensor,
                "rate limit per sensor (429 beyond)");
  c->add_option("--slow-request-seconds", co.slow_request_seconds,
                "cut a connection without a complete request this long (default 15)");
  c->add_option("--queue-depth", co.queue_depth, "batches waiting for the store (503 beyond)");

  SensorArgs se;
  auto* sn = app.add_subcommand(
      "sensor", "capture live (or follow a firewall log), spool durably, ship to the collector");
  sn->add_option("--config", se.config, "sensor TOML file, the flags' names as keys (flags win)")
      ->check(CLI::ExistingFile);
  sn->add_option("--point", se.point, "this monitoring point's name");
  sn->add_option("--watch", se.watch, "watched addresses: CIDR[,CIDR...]");
  sn->add_option("--interface", se.interface, "capture live on this interface (CAP_NET_RAW)");
  sn->add_option("--netfilter-log", se.netfilter_log, "or follow this firewall log file");
  sn->add_option("--collector", se.collector, "https://HOST:PORT of the collector");
  sn->add_option("--token-file", se.token_file, "file holding this sensor's token");
  sn->add_option("--ca-file", se.ca_file, "PEM CA the collector's certificate must chain to");
  sn->add_option("--spool", se.spool, "spool directory (created if missing)");
  sn->add_option("--spool-max-bytes", se.spool_max_bytes,
                 "spool bound; when full, new accesses are dropped and counted (default 1 GiB)");
  sn->add_option("--segment-bytes", se.segment_bytes,
                 "seal a spool segment (one batch) at this size (default 1 MiB)");
  sn->add_option("--seal-seconds", se.seal_seconds, "seal a segment this old (default 5)")
      ->check(CLI::Range(1, 3600));
  sn->add_flag("--allow-plain", se.allow_plain, "plain http:// to a loopback collector (tests)");
  sn->add_option("--user", se.user, "run as this user once the capture is open");
  sn->add_option("--log-tz", se.log_tz, "zone of log stamps without an offset (default UTC)");
  sn->add_flag("--log-from-start", se.log_from_start,
               "first start: read the log from its start, not only new lines");

  // Every --help ends with the exit statuses (cli.h); so does the README.
  const std::string exit_status =
      "Exit status: 0 done; 1 the work failed (bad input, a store error); 2 usage error "
      "(flags, settings, an unknown command).";
  app.footer(exit_status);
  std::vector<std::string> commands;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(exit_status);
    commands.push_back(sub->get_name());
  }
  if (argc >= 2 && argv[1][0] != '-' &&
      std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
    fmt::print(stderr, "scanscope: unknown command '{}'; the commands are: {}\n", argv[1],
               fmt::join(commands, ", "));
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); its own exit codes do not leak.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (g->parsed()) return RunGenerate(gen);
    if (i->parsed()) return RunIngest(ing);
    if (s->parsed()) return RunStats(st);
    if (p->parsed()) return RunPoints(pt);
    if (c->parsed()) return RunCollector(co);
    if (sn->parsed()) return RunSensor(se);
    if (f->parsed()) return RunFindings(fi);
    if (r->parsed()) return RunReport(rp);
  } catch (const std::exception& e) {
    // Flags and settings were checked before the work began: what escapes
    // now is a failure of the work.
    fmt::print(stderr, "scanscope: {}\n", e.what());
    return 1;
  }
  return 2;
}

}  // namespace scanscope
