#pragma once
// CollectorServer: receives the sensors' batches and status reports over
// HTTPS (cpp-httplib's SSLServer; plain HTTP only when allowed and on a
// loopback address) and commits them to the store through one IngestQueue.
// docs/collector.md describes the protocol, the limits and the answers.
//
// Per request: the bearer token's SHA-256 is compared (in constant time) with
// every configured sensor's; the sensor may only write its own point; the
// body must decode (transport/wire_batch.h) within the limits and every
// record's destination must lie in the point's watched prefixes. A refusal
// gets its HTTP status, a JSON {"error": reason}, one log line and a counter;
// nothing a client sends stops the others being served.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "store/store.h"

namespace scanscope {

struct SensorCredential {
  std::string point;
  PrefixSet watched;                       // empty: destinations are not checked
  std::array<uint8_t, 32> token_sha256{};  // SHA-256 of the sensor's bearer token
};

struct CollectorOptions {
  std::string host = "127.0.0.1";
  int port = 0;                     // 0: pick a free one (see CollectorServer::port())
  std::string cert_file, key_file;  // PEM; both required unless allow_plain
  bool allow_plain = false;         // plain HTTP: only with a loopback host
  size_t max_batch_bytes = 16u << 20;
  size_t max_status_bytes = 64u << 10;  // a status report's body
  size_t max_records = 1u << 20;
  int max_connections = 32;                       // worker threads = connections served at once
  int max_connections_per_source = 4;             // TLS connections from one address at once
  double max_batches_per_second_per_sensor = 50;  // token bucket, burst = 2 s worth (>= 1)
  size_t queue_depth = 16;                        // batches waiting for the writer (503 beyond)
  int read_timeout_seconds = 5;                   // per read of a request (cpp-httplib)
  int write_timeout_seconds = 5;
  int slow_request_seconds = 15;  // a connection with no complete request this long is cut
  // A record dated more than this many days before the collector's clock is
  // refused (0: no backward bound, for a team backfilling old logs); one
  // dated more than a day after it always is.
  int max_record_age_days = 400;
};

// What the collector refused or accepted since start, by reason.
struct CollectorCounters {
  std::atomic<uint64_t> committed{0}, duplicates{0}, records{0}, statuses{0};
  std::atomic<uint64_t> bad_token{0}, wrong_point{0}, bad_batch{0}, too_large{0}, rate_limited{0},
      busy{0}, store_errors{0}, tls_failures{0}, slow_clients_cut{0};
  std::atomic<uint64_t> second_spools{0};  // batches from a second spool of a point (warned)
  // Refused before any body was read (docs/collector.md, "Before a token"):
  // a method or path we do not serve, a body without Content-Length or with
  // a Transfer-Encoding or Content-Encoding.
  std::atomic<uint64_t> bad_request_head{0};
  std::atomic<uint64_t> out_of_time{0};     // batches with a record outside the time window
  std::atomic<uint64_t> per_source_cut{0};  // connections over max_connections_per_source
};

class CollectorServer {
 public:
  // Checks the options (a plain listener must be on loopback; TLS files must
  // load) and binds the port. `store` must outlive the server; the server's
  // writer thread is its only user until Stop returns.
  static Result<std::unique_ptr<CollectorServer>> Create(Store* store,
                                                         std::vector<SensorCredential> sensors,
                                                         CollectorOptions options);
  ~CollectorServer();

  int port() const;  // the bound port
  // Serves until Stop (from another thread). Returns after in-flight requests
  // are answered and every queued batch is committed.
  void Run();
  void Stop();
  const CollectorCounters& counters() const;

  struct Impl;

 private:
  explicit CollectorServer(std::unique_ptr<Impl> impl);
  void StopWatchdog();
  std::unique_ptr<Impl> impl_;
};

// SHA-256 of `text` (OpenSSL), and the parse of its lower- or upper-case hex.
std::array<uint8_t, 32> Sha256(std::string_view text);
std::string ToHex(const std::array<uint8_t, 32>& digest);
bool ParseSha256Hex(std::string_view hex, std::array<uint8_t, 32>* out);

}  // namespace scanscope
