#include "app/cli.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <string>
#include <utility>
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

CLI::App* AddGenerate(CLI::App* app, GenerateArgs* a) {
  CLI::App* cmd = app->add_subcommand(
      "generate", "write a month of generated traffic for N points as pcap files");
  cmd->add_option("--month", a->month, "month to generate, YYYY-MM")->required();
  cmd->add_option("--points", a->points, "number of monitoring points")->check(CLI::Range(1, 1000));
  cmd->add_option("--packets", a->packets, "packets in all (all points, all kinds)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000'000}));
  cmd->add_option("--seed", a->seed, "seed; the same seed gives the same files");
  cmd->add_option("--out", a->out, "output directory")->required();
  cmd->add_option("--tz", a->tz, "zone of the daily rhythm (default: UTC)");
  return cmd;
}

CLI::App* AddIngest(CLI::App* app, IngestArgs* a) {
  CLI::App* cmd =
      app->add_subcommand("ingest", "read captures or firewall logs of one point into the store");
  AddCommon(cmd, &a->common);
  cmd->add_option("--point", a->point, "monitoring point name")->required();
  cmd->add_option("--watch", a->watch,
                  "watched addresses: CIDR[,CIDR...] (default: from --config)");
  cmd->add_option("--description", a->description, "point description (stored with the point)");
  cmd->add_option("--format", a->format, "auto|pcap|pcapng|netfilter")
      ->check(CLI::IsMember({"auto", "pcap", "pcapng", "netfilter"}));
  cmd->add_option("--log-year", a->log_year, "year of classic syslog stamps (default: file mtime)")
      ->check(CLI::Range(1971, 2200));
  cmd->add_option("--log-tz", a->log_tz, "zone of log stamps without an offset (default: UTC)");
  cmd->add_option("--tz", a->tz, "also keep days in this zone (default: the config's report zone)");
  cmd->add_option("--max-silence-minutes", a->max_silence_minutes,
                  "a silence this long in a file: the point was not watching (default 60)")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--json", a->json, "print each file's report as a JSON line");
  cmd->add_flag("--quiet", a->quiet, "no progress, only errors and the summary");
  cmd->add_option("files", a->files, "pcap, pcapng or log files (.gz too)")
      ->required()
      ->check(CLI::ExistingFile);
  return cmd;
}

CLI::App* AddStats(CLI::App* app, StatsArgs* a) {
  CLI::App* cmd = app->add_subcommand(
      "stats", "the month's figures: accesses, sources, per point per day, breakdowns");
  AddCommon(cmd, &a->common);
  cmd->add_option("--month", a->month, "YYYY-MM")->required();
  cmd->add_option("--tz", a->tz, "zone of the days (default: the config's report zone, else UTC)");
  cmd->add_flag("--json", a->json, "machine output");
  return cmd;
}

CLI::App* AddFindings(CLI::App* app, FindingsArgs* a) {
  CLI::App* cmd = app->add_subcommand(
      "findings", "the month's peculiar accesses: surges, new ports, concentrations, falls");
  AddCommon(cmd, &a->common);
  cmd->add_option("--month", a->month, "YYYY-MM")->required();
  cmd->add_option("--tz", a->tz, "zone of the days (default: the config's report zone, else UTC)");
  cmd->add_flag("--json", a->json, "machine output");
  return cmd;
}

CLI::App* AddReport(CLI::App* app, ReportArgs* a) {
  CLI::App* cmd = app->add_subcommand(
      "report",
      "write the month's report: index.html, report.md, report.json, charts/*.svg, *.csv");
  AddCommon(cmd, &a->common);
  cmd->add_option("--month", a->month, "YYYY-MM")->required();
  cmd->add_option("--tz", a->tz, "zone of the days (default: the config's report zone, else UTC)");
  cmd->add_option("--lang", a->lang, "language of the text (en)");
  cmd->add_option("--out", a->out, "output directory (created if missing)")->required();
  cmd->add_option("--geo-db", a->geo_db,
                  "IP-to-country mmdb (default: the installed one; none: no areas)");
  cmd->add_option("--ports", a->port_files, "extra port knowledge file(s) (none: no descriptions)");
  cmd->add_flag("--no-findings", a->no_findings, "section 2 from month-on-month changes only");
  return cmd;
}

CLI::App* AddPoints(CLI::App* app, PointsArgs* a) {
  CLI::App* cmd = app->add_subcommand("points", "list the monitoring points in the store");
  AddCommon(cmd, &a->common);
  cmd->add_flag("--json", a->json, "machine output");
  cmd->add_flag("--status", a->status,
                "the sensors' last reports: lag, spool depth, accesses today, drops");
  cmd->add_flag("--batches", a->batches,
                "every committed batch (the ledger): id, point, origin, time, accesses");
  cmd->add_option("--point", a->point, "only this point (in the list, --status and --batches)");
  cmd->add_option("--forget", a->forget,
                  "take back a committed batch (its raw records and its share of every figure); "
                  "repeatable");
  cmd->add_option("--forget-file", a->forget_file, "take back every batch ingested from this file");
  cmd->add_flag("--forget-point", a->forget_point,
                "take back every batch of --point (within --ingested-from/--ingested-to)");
  cmd->add_option(
      "--ingested-from", a->ingested_from,
      "with --forget-point: batches ingested from this UTC time (YYYY-MM-DD[THH:MM:SS])");
  cmd->add_option("--ingested-to", a->ingested_to,
                  "with --forget-point: batches ingested before this UTC time");
  cmd->add_flag("--forgotten", a->forgotten, "the ledger's history: every batch taken back");
  CLI::Option* coverage =
      cmd->add_option("--coverage", a->coverage,
                      "when each point was watching; or add|remove POINT FROM TO (UTC "
                      "YYYY-MM-DD[THH:MM:SS]) to state it by hand")
          ->expected(0, 4);
  cmd->add_option("--month", a->month, "with --coverage: each day's share watched, YYYY-MM");
  cmd->add_option("--tz", a->tz, "with --coverage --month: zone of the days (default: UTC)");
  cmd->callback([a, coverage] { a->coverage_given = coverage->count() > 0; });
  return cmd;
}

CLI::App* AddCollector(CLI::App* app, CollectorArgs* a) {
  CLI::App* cmd = app->add_subcommand(
      "collector", "receive the sensors' batches over TLS and commit them to the store");
  cmd->add_option("--config", a->collector_config, "collector TOML file (flags win)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--db", a->common.db,
                  "store: a SQLite file (created if missing) or "
                  "clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB[?...]");
  cmd->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0: a free one)");
  cmd->add_option("--cert-file", a->cert_file, "TLS certificate chain (PEM)");
  cmd->add_option("--key-file", a->key_file, "TLS private key (PEM)");
  cmd->add_option("--sensors", a->sensors, "sensors file: [[sensor]] point, watch, token_sha256")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--allow-plain", a->allow_plain, "plain HTTP without TLS (loopback only; tests)");
  cmd->add_option("--max-batch-bytes", a->max_batch_bytes, "largest batch accepted (413 beyond)");
  cmd->add_option("--max-connections-per-source", a->max_connections_per_source,
                  "TLS connections from one address at once (default 4)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--max-connections", a->max_connections, "connections served at once")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--max-batches-per-second-per-sensor", a->max_batches_per_second_per_sensor,
                  "rate limit per sensor (429 beyond)");
  cmd->add_option("--max-record-age-days", a->max_record_age_days,
                  "refuse records older than this many days (default 400; 0: no bound)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--slow-request-seconds", a->slow_request_seconds,
                  "cut a connection without a complete request this long (default 15)");
  cmd->add_option("--queue-depth", a->queue_depth, "batches waiting for the store (503 beyond)");
  return cmd;
}

CLI::App* AddSensor(CLI::App* app, SensorArgs* a) {
  CLI::App* cmd = app->add_subcommand(
      "sensor", "capture live (or follow a firewall log), spool durably, ship to the collector");
  cmd->add_option("--config", a->config, "sensor TOML file, the flags' names as keys (flags win)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--point", a->point, "this monitoring point's name");
  cmd->add_option("--watch", a->watch, "watched addresses: CIDR[,CIDR...]");
  cmd->add_option("--interface", a->interface, "capture live on this interface (CAP_NET_RAW)");
  cmd->add_option("--netfilter-log", a->netfilter_log, "or follow this firewall log file");
  cmd->add_option("--collector", a->collector, "https://HOST:PORT of the collector");
  cmd->add_option("--token-file", a->token_file, "file holding this sensor's token");
  cmd->add_option("--ca-file", a->ca_file, "PEM CA the collector's certificate must chain to");
  cmd->add_option("--spool", a->spool, "spool directory (created if missing)");
  cmd->add_option("--spool-max-bytes", a->spool_max_bytes,
                  "spool bound; when full, new accesses are dropped and counted (default 1 GiB)");
  cmd->add_option("--segment-bytes", a->segment_bytes,
                  "seal a spool segment (one batch) at this size (default 1 MiB)");
  cmd->add_option("--seal-seconds", a->seal_seconds, "seal a segment this old (default 5)")
      ->check(CLI::Range(1, 3600));
  cmd->add_flag("--allow-plain", a->allow_plain, "plain http:// to a loopback collector (tests)");
  cmd->add_option("--user", a->user, "run as this user once the capture is open");
  cmd->add_option("--log-tz", a->log_tz, "zone of log stamps without an offset (default UTC)");
  cmd->add_flag("--log-from-start", a->log_from_start,
                "first start: read the log from its start, not only new lines");
  return cmd;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{
      "scanscope: turns the unwanted, one-sided traffic hitting monitoring points into the "
      "month's exact figures"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("scanscope {}", kVersion));
  GenerateArgs gen;
  IngestArgs ing;
  StatsArgs st;
  FindingsArgs fi;
  ReportArgs rp;
  PointsArgs pt;
  CollectorArgs co;
  SensorArgs se;
  const std::pair<CLI::App*, std::function<int()>> commands_run[] = {
      {AddGenerate(&app, &gen), [&] { return RunGenerate(gen); }},
      {AddIngest(&app, &ing), [&] { return RunIngest(ing); }},
      {AddStats(&app, &st), [&] { return RunStats(st); }},
      {AddFindings(&app, &fi), [&] { return RunFindings(fi); }},
      {AddReport(&app, &rp), [&] { return RunReport(rp); }},
      {AddPoints(&app, &pt), [&] { return RunPoints(pt); }},
      {AddCollector(&app, &co), [&] { return RunCollector(co); }},
      {AddSensor(&app, &se), [&] { return RunSensor(se); }},
  };

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
    for (const auto& [cmd, run] : commands_run) {
      if (cmd->parsed()) return run();
    }
  } catch (const std::exception& e) {
    // Flags and settings were checked before the work began: what escapes
    // now is a failure of the work.
    fmt::print(stderr, "scanscope: {}\n", e.what());
    return 1;
  }
  return 2;
}

}  // namespace scanscope
