#pragma once
// Test support: real ClickHouse servers (Debian's clickhouse-server, 18.16)
// on loopback, for the ClickHouse backend's tests (docs/clickhouse.md).
//
// Each server runs from a config written into its own temp dir: data, tmp,
// user_files and format_schema paths, users.xml (user `default`, no
// password, loopback only) and the logs (log/server.log,
// log/server.err.log, log/stdout) are all there. It listens on 127.0.0.1
// only, on http, tcp and interserver ports chosen free (bind port 0, release;
// on a bind failure the start is retried with new ports). Start polls
// GET /ping until "Ok." with a deadline (30 s); a failure gives a message
// with the tail of the server's logs.
//
// The destructor stops the server (SIGTERM, SIGKILL after 15 s), reaps it and
// removes the temp dir, also when a test fails half-way; the server also gets
// SIGKILL when the test process dies (PR_SET_PDEATHSIG), so no server
// outlives its test. Start-up takes ~0.4 s, a stop ~1.7 s on the 2-core dev
// machine. Not thread-safe.
//
// SCANSCOPE_CLICKHOUSE_SERVER names another server binary (default: the first
// clickhouse-server on PATH, then /usr/sbin/clickhouse-server).

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace scanscope::testing {

// The answer of one HTTP request to a server.
struct HttpResult {
  int status = 0;    // 0: no answer (connect or read failed; `body` says why)
  std::string body;  // the response body (or the reason for status 0)
};

// One HTTP/1.0 request to 127.0.0.1:`port` (POST when `body` is not empty).
HttpResult HttpRequest(int port, const std::string& method, const std::string& target,
                       const std::string& body);

// Ports of one server.
struct ClickHousePorts {
  int http = 0;
  int tcp = 0;
  int interserver = 0;
};

class ClickHouseServer {
 public:
  // Starts one server. nullptr and *error set (with the logs' tail) on failure.
  static std::unique_ptr<ClickHouseServer> Start(std::string* error);
  ~ClickHouseServer();  // stops the server and removes its dir
  ClickHouseServer(const ClickHouseServer&) = delete;
  ClickHouseServer& operator=(const ClickHouseServer&) = delete;

  int http_port() const { return ports_.http; }
  int tcp_port() const { return ports_.tcp; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_.path(); }
  // "clickhouse://127.0.0.1:HTTP_PORT/DATABASE", what `--db` takes.
  std::string Url(const std::string& database) const;

  // Runs `sql` over HTTP; true and the body in *out (may be null) on 200,
  // false and the server's message in *error (may be null) otherwise.
  bool Query(const std::string& sql, std::string* out = nullptr,
             std::string* error = nullptr) const;
  // Query, or "ERROR: message" (for assertions in tests).
  std::string QueryOrError(const std::string& sql) const;

  // The last `bytes` of log/server.err.log and of log/stdout.
  std::string LogTail(size_t bytes = 3000) const;

 private:
  friend class ClickHouseCluster;
  ClickHouseServer() = default;
  // Writes config.xml (with `remote_servers_xml` inside <remote_servers>)
  // and users.xml into dir().
  bool WriteConfig(const std::string& remote_servers_xml, std::string* error);
  bool Launch(std::string* error);
  // Polls /ping until Ok, the process exits, or the deadline passes.
  // *bind_failed is set when the server died because a port was taken.
  bool WaitReady(bool* bind_failed, std::string* error);
  void Stop();

  TempDir dir_;
  ClickHousePorts ports_;
  pid_t pid_ = -1;
};

// Two servers on loopback whose configs both define the cluster
// kTwoShardsCluster: two shards, one replica each (127.0.0.1 and each
// server's tcp port), shard 1 = server(0), shard 2 = server(1). Both configs
// are written before either server starts.
inline constexpr char kTwoShardsCluster[] = "scanscope_two_shards";

class ClickHouseCluster {
 public:
  static std::unique_ptr<ClickHouseCluster> StartTwoShards(std::string* error);
  ~ClickHouseCluster() = default;  // stops both servers
  ClickHouseCluster(const ClickHouseCluster&) = delete;
  ClickHouseCluster& operator=(const ClickHouseCluster&) = delete;

  ClickHouseServer& server(int i) { return *servers_.at(i); }
  const ClickHouseServer& server(int i) const { return *servers_.at(i); }
  int size() const { return static_cast<int>(servers_.size()); }
  // server(0).Url(database) + "?cluster=scanscope_two_shards&nodes=127.0.0.1:
  // HTTP0,127.0.0.1:HTTP1" (the HTTP port of each node, in shard order: the
  // cluster lists only tcp ports).
  std::string Url(const std::string& database) const;

 private:
  ClickHouseCluster() = default;
  std::vector<std::unique_ptr<ClickHouseServer>> servers_;
};

}  // namespace scanscope::testing
