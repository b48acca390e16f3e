#pragma once
// One function per subcommand; cli.cc parses flags into these argument
// structs. Each returns the process exit code.

#include <cstdint>
#include <string>
#include <vector>

namespace scanscope {

struct CommonArgs {
  std::string config;  // TOML file; empty: none
  std::string db;
};

struct GenerateArgs {
  CommonArgs common;
  std::string month;
  int points = 10;
  uint64_t packets = 1'000'000;
  uint64_t seed = 1;
  std::string out;
  std::string tz;
};
int RunGenerate(const GenerateArgs& args);

struct IngestArgs {
  CommonArgs common;
  std::string point;
  std::string watch;
  std::string description;
  std::string format = "auto";
  int log_year = 0;
  std::string log_tz;
  std::string tz;                // a zone whose days the store keeps (besides the config's)
  int max_silence_minutes = 60;  // a longer silence in a file: the point was not watching
  bool json = false;             // the per-file reports as JSON lines on stdout
  bool quiet = false;
  std::vector<std::string> files;
};
int RunIngest(const IngestArgs& args);

struct StatsArgs {
  CommonArgs common;
  std::string month;
  std::string tz;
  bool json = false;
};
int RunStats(const StatsArgs& args);

struct FindingsArgs {
  CommonArgs common;
  std::string month;
  std::string tz;
  bool json = false;
};
int RunFindings(const FindingsArgs& args);

struct ReportArgs {
  CommonArgs common;
  std::string month;
  std::string tz;
  std::string lang = "en";
  std::string out;
  std::string geo_db;                   // mmdb file; empty: the default; "none": no areas
  std::vector<std::string> port_files;  // extra port knowledge files; "none": no descriptions
  bool no_findings = false;             // section 2 from month-on-month changes only
};
int RunReport(const ReportArgs& args);

struct PointsArgs {
  CommonArgs common;
  bool json = false;
  bool status = false;   // the sensors' last reports: lag, spool, drops
  bool batches = false;  // every committed batch (the ledger), oldest first
  std::string point;     // only this point's (the list, --status, --batches)
  // Taking batches back: by id, every batch from a file, or every batch of
  // --point ingested in [ingested_from, ingested_to) (UTC, YYYY-MM-DD[THH:MM:SS]).
  std::vector<std::string> forget;
  std::string forget_file;
  bool forget_point = false;
  std::string ingested_from, ingested_to;
  bool forgotten = false;  // the ledger's history: batches taken back
  // --coverage: list (no values), or add|remove POINT FROM TO (UTC).
  bool coverage_given = false;
  std::vector<std::string> coverage;
  std::string month, tz;  // with --coverage: the share of each day watched
};
int RunPoints(const PointsArgs& args);

struct CollectorArgs {
  CommonArgs common;             // common.db: the store
  std::string collector_config;  // collector.toml; flags win over it
  std::string listen;            // HOST:PORT; port 0 picks a free one
  std::string cert_file, key_file, sensors;
  bool allow_plain = false;
  size_t max_batch_bytes = 0;  // 0: the config's, else the default
  int max_connections = 0;
  int max_connections_per_source = 0;
  double max_batches_per_second_per_sensor = 0;
  int slow_request_seconds = 0;
  size_t queue_depth = 0;
  int max_record_age_days = -1;  // -1: the config's, else 400; 0: no bound
};
int RunCollector(CollectorArgs args);

struct SensorArgs {
  std::string config;  // sensor.toml; flags win over it
  std::string point, watch, interface, netfilter_log, collector, token_file, ca_file, spool;
  uint64_t spool_max_bytes = 0;  // 0: the config's, else the default
  uint64_t segment_bytes = 0;
  int seal_seconds = 0;  // 0: the config's, else 5
  bool allow_plain = false;
  std::string user;
  std::string log_tz;
  bool log_from_start = false;
};
int RunSensor(const SensorArgs& args);

}  // namespace scanscope
