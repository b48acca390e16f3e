#pragma once
// CollectorClient: the sensor's side of the transport. Sends WireBatch frames
// and status reports to one collector over HTTPS (cpp-httplib with OpenSSL),
// the collector's certificate verified against a CA file, authenticated by
// the sensor's bearer token. docs/collector.md describes the protocol.
//
//   POST /v1/batch   body: a WireBatch frame (application/octet-stream)
//        200 {"batch_id":..., "result":"committed"|"duplicate"}
//        400 garbage / 401 token / 403 other point / 413 too big /
//        429 rate / 503 busy (Retry-After) / 500 store error
//   POST /v1/status  body: {"point":..., "status":{...}} (application/json)
//        200 {"result":"stored"}
//
// Not thread-safe: one client per sending thread. Keeps one keep-alive
// connection and reconnects as needed.

#include <memory>
#include <string>

#include "common/status.h"
#include "transport/wire_batch.h"

namespace scanscope {

struct ClientOptions {
  std::string url;      // https://HOST:PORT (http:// only with allow_plain)
  std::string token;    // the sensor's bearer token (the collector keeps its sha256)
  std::string ca_file;  // PEM CA the collector's certificate must chain to (https)
  bool allow_plain = false;
  int connect_timeout_ms = 5000;
  int timeout_ms = 30000;
};

class CollectorClient {
 public:
  // InvalidArgument for a URL that is not https://HOST:PORT (or http:// with
  // allow_plain), an empty token, or a missing CA file for https.
  static Result<std::unique_ptr<CollectorClient>> Create(const ClientOptions& options);
  ~CollectorClient();

  // OK only once the collector acknowledged the batch: committed now or
  // before (a duplicate). Any error: keep the batch and retry later.
  //   Unavailable      : no connection, timeout, 503 busy, 429 rate, 5xx
  //                      (transient: retry after a pause)
  //   InvalidArgument  : 400/413, the collector refuses these bytes (retrying
  //                      the same bytes will not help)
  //   PermissionDenied : 401/403, the token or the point is not accepted
  // The message names the HTTP status and the collector's reason.
  Status Send(const WireBatch& batch);

  // The sensor's counters (a JSON object), stored by the collector as the
  // point's latest status and shown by `scanscope points --status`.
  Status Report(const std::string& point, const std::string& status_json);

  // Whether the last Send/Report failure asked to wait (Retry-After seconds, 0 if none).
  int retry_after_seconds() const { return retry_after_seconds_; }
  // Whether the collector refused the last batch for good (400, 403, 413,
  // 422): sending the same bytes with the same token will never succeed.
  bool refused_for_good() const { return refused_for_good_; }

 private:
  struct Impl;
  explicit CollectorClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int retry_after_seconds_ = 0;
  bool refused_for_good_ = false;
};

}  // namespace scanscope
