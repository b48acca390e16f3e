// scanscope collector: receives the sensors' batches over TLS and commits
// them to the store (docs/collector.md).
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "app/commands.h"
#include "app/context.h"
#include "collector/collector_server.h"
#include "common/host_port.h"
#include "common/toml_file.h"

namespace scanscope {

namespace {

// The [[sensor]] tables of a sensors file.
Result<std::vector<SensorCredential>> LoadSensors(const std::string& path) {
  Result<toml::table> parsed = ParseTomlFile(path);
  if (!parsed.ok()) return parsed.status();
  const toml::table& file = *parsed;
  SCANSCOPE_RETURN_IF_ERROR(RejectUnknownTomlKeys(path, file, "a sensors file", {"sensor"}));
  const toml::array* list = file["sensor"].as_array();
  if (list == nullptr || list->empty()) {
    return Status::InvalidArgument(path + ": no [[sensor]] tables");
  }
  std::vector<SensorCredential> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table* t = list->get(i)->as_table();
    std::string where = fmt::format("{}: sensor {}", path, i + 1);
    if (t == nullptr) return Status::InvalidArgument(where + ": not a table");
    SCANSCOPE_RETURN_IF_ERROR(
        RejectUnknownTomlKeys(path, *t, "a [[sensor]] table", {"point", "token_sha256", "watch"}));
    SensorCredential s;
    auto point = (*t)["point"].value<std::string>();
    if (!point || point->empty()) return Status::InvalidArgument(where + ": no point");
    s.point = *point;
    where += " (" + s.point + ")";
    auto hash = (*t)["token_sha256"].value<std::string>();
    if (!hash || !ParseSha256Hex(*hash, &s.token_sha256)) {
      return Status::InvalidArgument(where + ": token_sha256 must be 64 hex digits");
    }
    std::string watch;
    if (const toml::array* w = (*t)["watch"].as_array()) {
      for (const toml::node& n : *w) {
        auto v = n.value<std::string>();
        if (!v) return Status::InvalidArgument(where + ": watch must be a list of strings");
        if (!watch.empty()) watch += ",";
        watch += *v;
      }
    } else if (auto v = (*t)["watch"].value<std::string>()) {
      watch = *v;
    }
    if (!watch.empty()) {
      auto set = PrefixSet::Parse(watch);
      if (!set.ok()) return Status::InvalidArgument(where + ": watch: " + set.status().message());
      s.watched = *set;
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Fills the unset fields of *args from the collector's TOML file (flags win).
Status ApplyConfig(const std::string& path, CollectorArgs* args) {
  Result<toml::table> parsed = ParseTomlFile(path);
  if (!parsed.ok()) return parsed.status();
  const toml::table& t = *parsed;
  SCANSCOPE_RETURN_IF_ERROR(
      RejectUnknownTomlKeys(path, t, "the collector's settings",
                            {"db", "listen", "cert_file", "key_file", "sensors", "allow_plain",
                             "max_batch_bytes", "max_connections", "max_connections_per_source",
                             "max_batches_per_second_per_sensor", "max_record_age_days"}));
  auto str = [&](const char* key, std::string* field) {
    if (field->empty()) {
      if (auto v = t[key].value<std::string>()) *field = *v;
    }
  };
  str("db", &args->common.db);
  str("listen", &args->listen);
  str("cert_file", &args->cert_file);
  str("key_file", &args->key_file);
  str("sensors", &args->sensors);
  if (!args->allow_plain) args->allow_plain = t["allow_plain"].value_or(false);
  if (args->max_batch_bytes == 0) args->max_batch_bytes = t["max_batch_bytes"].value_or(0);
  if (args->max_connections == 0) args->max_connections = t["max_connections"].value_or(0);
  if (args->max_connections_per_source == 0) {
    args->max_connections_per_source = t["max_connections_per_source"].value_or(0);
  }
  if (args->max_record_age_days < 0) {
    args->max_record_age_days = t["max_record_age_days"].value_or(-1);
  }
  if (args->max_batches_per_second_per_sensor == 0) {
    args->max_batches_per_second_per_sensor = t["max_batches_per_second_per_sensor"].value_or(0.0);
  }
  return Status::Ok();
}

}  // namespace

int RunCollector(CollectorArgs args) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt("collector"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %L %v");
  if (!args.collector_config.empty()) {
    Status st = ApplyConfig(args.collector_config, &args);
    if (!st.ok()) return Fail(st.message(), 2);
  }
  if (args.common.db.empty()) return Fail("no store given: use --db FILE", 2);
  if (args.listen.empty()) return Fail("no --listen HOST:PORT given", 2);
  if (args.sensors.empty()) return Fail("no --sensors FILE given", 2);
  CollectorOptions options;
  Result<HostPort> listen = ParseHostPort(args.listen);
  if (!listen.ok()) return Fail("--listen " + listen.status().message(), 2);
  options.host = listen->host;
  options.port = listen->port;
  options.cert_file = args.cert_file;
  options.key_file = args.key_file;
  options.allow_plain = args.allow_plain;
  if (args.max_batch_bytes > 0) options.max_batch_bytes = args.max_batch_bytes;
  if (args.max_connections > 0) options.max_connections = args.max_connections;
  if (args.max_connections_per_source > 0) {
    options.max_connections_per_source = args.max_connections_per_source;
  }
  if (args.max_batches_per_second_per_sensor > 0) {
    options.max_batches_per_second_per_sensor = args.max_batches_per_second_per_sensor;
  }
  if (args.slow_request_seconds > 0) options.slow_request_seconds = args.slow_request_seconds;
  if (args.queue_depth > 0) options.queue_depth = args.queue_depth;
  if (args.max_record_age_days >= 0) options.max_record_age_days = args.max_record_age_days;
  auto sensors = LoadSensors(args.sensors);
  if (!sensors.ok()) return Fail(sensors.status().message(), 2);

  CommonArgs store_args{"", args.common.db};
  auto store = OpenStoreFor(store_args, Config{});
  if (!store.ok()) return Fail(store.status().message());

  // SIGTERM/SIGINT go to one thread that stops the server; every thread
  // started from here on inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const size_t n_sensors = sensors->size();
  auto server = CollectorServer::Create(store->get(), std::move(*sensors), options);
  if (!server.ok()) return Fail(server.status().message());
  spdlog::info("collector: listening on {}:{} ({}, {} sensor(s), store {})", options.host,
               (*server)->port(), options.cert_file.empty() ? "plain HTTP" : "TLS", n_sensors,
               args.common.db);
  CollectorServer* raw = server->get();
  std::atomic<bool> signalled{false};
  std::thread stopper([raw, signals, &signalled] {
    int sig = 0;
    sigwait(&signals, &sig);
    signalled = true;
    spdlog::info("collector: {} received, finishing in-flight batches", strsignal(sig));
    raw->Stop();
  });
  raw->Run();
  // Run returns after a signal's Stop, or when listening failed: then wake the stopper.
  if (!signalled) pthread_kill(stopper.native_handle(), SIGTERM);
  const CollectorCounters& c = raw->counters();
  spdlog::info(
      "collector: stopped; committed {} batch(es) ({} accesses), {} duplicate(s), {} status "
      "report(s); refused: {} bad token, {} wrong point, {} bad batch, {} too large, {} rate, {} "
      "busy, {} TLS, {} slow; {} store error(s)",
      c.committed.load(), c.records.load(), c.duplicates.load(), c.statuses.load(),
      c.bad_token.load(), c.wrong_point.load(), c.bad_batch.load(), c.too_large.load(),
      c.rate_limited.load(), c.busy.load(), c.tls_failures.load(), c.slow_clients_cut.load(),
      c.store_errors.load());
  stopper.join();
  return 0;
}

}  // namespace scanscope
