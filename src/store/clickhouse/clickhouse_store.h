#pragma once
// The ClickHouse backend: the same answers as the SQLite store, from a column
// store that scales out. Layout and guarantees: docs/clickhouse.md ("The
// backend"). Spoken to over HTTP; ClickHouse 18.16 (Debian 12) or newer.
//
// In short: raw accesses in a MergeTree partitioned by UTC month; source-day
// rows in a MergeTree keyed by (zone, day, point, port type, source), merged
// by every read (GROUP BY with sum/min/max), never by hoping background merges
// ran; the ingest ledger. ClickHouse has no transactions, so every write
// attempt carries a fresh attempt id, the ledger row is written last, and
// reads count only rows of the attempt the ledger accepted for each batch
// (the earliest committed one): a writer that dies leaves invisible rows, two
// writers racing on one batch count once.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.h"

namespace scanscope {

struct ClickHouseOptions {
  std::string host;
  int port = 8123;  // the HTTP interface
  std::string user;
  std::string password;
  std::string database;
  // Non-empty: tables on every node of this cluster (from system.clusters of
  // the node connected to), reads and writes through Distributed tables.
  std::string cluster;
  // The HTTP host:port of each node of the cluster, in system.clusters order
  // (shard_num, replica_num). Empty: each node's host_name on `port`.
  std::vector<std::pair<std::string, int>> node_http;
  // > 0: on open, raw records of UTC months that ended more than this many
  // months ago are dropped (whole partitions). Source-days are kept.
  int retention_months = 0;
};

// True when `db` names a ClickHouse store (starts with "clickhouse://").
bool IsClickHouseUrl(std::string_view db);

// clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?cluster=NAME]
//   [&nodes=HOST:PORT,HOST:PORT][&retention_months=N]
// USER and PASSWORD (percent-encoded in the URL) default to the environment's
// SCANSCOPE_CLICKHOUSE_USER and SCANSCOPE_CLICKHOUSE_PASSWORD.
Result<ClickHouseOptions> ParseClickHouseUrl(std::string_view url);

// Opens the store in `options.database`, creating the database and its tables
// when missing. A new store keeps the days of `default_zones` from the start.
// Applies retention when set.
Result<std::unique_ptr<Store>> OpenClickHouseStore(const ClickHouseOptions& options,
                                                   const std::vector<TimeZone>& default_zones);

// Drops the raw records' month partitions that ended more than
// `retention_months` months before the UTC month of `now_ns` (so months from
// (that month - retention_months) on are kept). Returns the dropped months
// (YYYYMM). OpenClickHouseStore runs it with the clock when retention is set.
Result<std::vector<uint32_t>> ApplyClickHouseRetention(const ClickHouseOptions& options,
                                                       int64_t now_ns);

}  // namespace scanscope
