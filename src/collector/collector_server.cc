#include "collector/collector_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "collector/ingest_queue.h"
#include "collector/refusal_log.h"
#include "collector/spool_watch.h"
#include "common/clock.h"
#include "common/hex.h"
#include "common/host_port.h"
#include "common/log_safe.h"
#include "common/time_zone.h"
#include "transport/wire_batch.h"

namespace scanscope {

std::array<uint8_t, 32> Sha256(std::string_view text) {
  std::array<uint8_t, 32> out{};
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &n, EVP_sha256(), nullptr);
  return out;
}

std::string ToHex(const std::array<uint8_t, 32>& digest) { return EncodeHex(digest); }

bool ParseSha256Hex(std::string_view hex, std::array<uint8_t, 32>* out) {
  return DecodeHex(hex, *out);
}

namespace {

using Clock = std::chrono::steady_clock;

// cpp-httplib's task queue with a bound: `threads` workers, and at most
// `threads` accepted connections waiting for one. When both are taken,
// enqueue blocks the accept loop, so further connections wait in the
// kernel's listen backlog instead of in our memory: the connection limit.
class BoundedPool : public httplib::TaskQueue {
 public:
  explicit BoundedPool(size_t threads) : limit_(threads) {
    for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [this] { return jobs_.size() < limit_ || shutdown_; });
    jobs_.push_back(std::move(fn));
    ready_.notify_one();
  }
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    ready_.notify_all();
    room_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        room_.notify_one();
      }
      fn();
    }
  }
  const size_t limit_;
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  bool shutdown_ = false;
};

// A sensor's token bucket: `rate` batches per second, bursts of 2 s worth.
struct RateBucket {
  double tokens = 0;
  Clock::time_point last{};
  bool started = false;
};

// Each connection's last sign of life, so that a client that trickles bytes
// (slowloris) is cut after slow_request_seconds without a complete request.
// Keyed by the peer's port (unique among one collector's live connections on
// one address family) with the socket it was seen on.
struct ConnectionWatch {
  struct Entry {
    int fd = -1;
    Clock::time_point last;
    int in_handler = 0;
    std::string address;  // the peer's
  };
  std::mutex mu;
  std::map<int, Entry> by_port;
};

int PeerPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

// The peer's address as text ("?" when the socket has none), and its port.
std::string PeerAddress(int fd, int* port = nullptr) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char buf[INET6_ADDRSTRLEN] = "?";
  int p = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    p = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    p = ntohs(a->sin6_port);
  }
  if (port != nullptr) *port = p;
  return buf;
}

std::string PeerName(int fd) {
  int port = 0;
  std::string address = PeerAddress(fd, &port);
  return fmt::format("{}:{}", address, port);
}

// How deeply a JSON text nests its arrays and objects (strings skipped):
// measured before parsing, so a report nested a million deep costs a scan.
constexpr int kMaxStatusDepth = 16;
int JsonDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

struct CollectorServer::Impl {
  Store* store = nullptr;
  std::vector<SensorCredential> sensors;
  CollectorOptions options;
  CollectorCounters counters;
  SpoolWatch spools;
  RefusalLog refusals;
  std::unique_ptr<httplib::Server> http;
  std::unique_ptr<IngestQueue> queue;
  int port = 0;

  std::mutex rate_mu;
  std::map<std::string, RateBucket> rates;

  ConnectionWatch watch;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;       // Stop was called
  bool watchdog_exit = false;  // Run is done listening
  std::thread watchdog;

  // --- helpers run on connection threads ---

  // The sensor whose token the request carries, or nullptr. Compares with
  // every sensor's hash, in constant time each, whatever matched before.
  const SensorCredential* Authenticate(const httplib::Request& req) const {
    std::string auth = req.get_header_value("Authorization");
    static constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0) {
      return nullptr;
    }
    std::array<uint8_t, 32> digest = Sha256(std::string_view(auth).substr(kBearer.size()));
    const SensorCredential* found = nullptr;
    for (const SensorCredential& s : sensors) {
      if (CRYPTO_memcmp(digest.data(), s.token_sha256.data(), digest.size()) == 0) found = &s;
    }
    return found;
  }

  // Takes one batch from the point's bucket; false when it is empty.
  bool TakeRate(const std::string& point) {
    const double rate = options.max_batches_per_second_per_sensor;
    if (rate <= 0) return true;
    const double burst = std::max(1.0, 2 * rate);
    std::lock_guard<std::mutex> lock(rate_mu);
    RateBucket& b = rates[point];
    Clock::time_point now = Clock::now();
    if (!b.started) {
      b.started = true;
      b.tokens = burst;
    } else {
      b.tokens =
          std::min(burst, b.tokens + rate * std::chrono::duration<double>(now - b.last).count());
    }
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  void Refuse(const httplib::Request& req, httplib::Response& res, int status,
              const std::string& who, const std::string& reason, std::atomic<uint64_t>* counter) {
    if (counter != nullptr) counter->fetch_add(1, std::memory_order_relaxed);
    LogRefusal(req.remote_addr,
               fmt::format("collector: refused {} {} from {}:{} ({}): {} {}", LogSafe(req.method),
                           LogSafe(req.path), req.remote_addr, req.remote_port, LogSafe(who),
                           status, LogSafe(reason, 1024)));
    res.status = status;
    res.set_content(nlohmann::json({{"error", reason}}).dump(), "application/json");
    logged_ = true;
  }

  // One refusal line, unless its source has had its share of lines lately
  // (RefusalLog); the next line it gets says how many were left out.
  void LogRefusal(const std::string& source, const std::string& line) {
    RefusalLog::Decision d = refusals.Refused(source, NowNs());
    if (!d.log) return;
    if (d.suppressed > 0) {
      spdlog::warn("collector: {} refusal line(s) from {} left out (over {} in {} s)", d.suppressed,
                   source, RefusalLog::kLinesPerWindow, RefusalLog::kWindowNs / 1'000'000'000);
    }
    spdlog::warn("{}", line);
  }

  // Counts the connection in or out of a handler; `succeeded`: a request
  // was answered 200, the only thing that extends a connection's life (a
  // client that keeps sending requests that fail is cut like a slow one).
  void Touch(int remote_port, int handler_delta, bool succeeded = false) {
    std::lock_guard<std::mutex> lock(watch.mu);
    auto it = watch.by_port.find(remote_port);
    if (it == watch.by_port.end()) return;
    if (succeeded) it->second.last = Clock::now();
    it->second.in_handler += handler_delta;
  }

  // Ends the connection of a refused request once its answer is written
  // (cpp-httplib calls the logger after writing): its body, if any, is never
  // read. TLS connections are found by their peer's port (ConnectionWatch); a
  // plain one (loopback tests only) is asked to close by its Connection
  // header.
  void CloseIfRefusedEarly(const httplib::Request& req) {
    if (!close_after_answer_) return;
    close_after_answer_ = false;
    std::lock_guard<std::mutex> lock(watch.mu);
    auto it = watch.by_port.find(req.remote_port);
    if (it == watch.by_port.end() || PeerPort(it->second.fd) != req.remote_port) return;
    // The connection's descriptor becomes a socket that was never connected:
    // cpp-httplib's next read on it fails at once and it closes it, and the
    // kernel drops the connection with whatever it still held (shutdown
    // alone would let the rest of the body be read as a next request). This
    // runs on the connection's own worker thread, inside cpp-httplib's call.
    const int fd = it->second.fd;
    watch.by_port.erase(it);
    const int dead = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (dead < 0 || ::dup2(dead, fd) < 0) ::shutdown(fd, SHUT_RDWR);
    if (dead >= 0) ::close(dead);
  }

  // Runs on the request's head, before cpp-httplib reads any body: only the
  // two POST routes, with a Content-Length within their limit, no
  // Transfer-Encoding or Content-Encoding, and a known token pass. Anything
  // else is answered at once and its connection closed, so that memory and
  // time before authentication do not depend on what a client sends.
  httplib::Server::HandlerResponse Gate(const httplib::Request& req, httplib::Response& res) {
    gated_sensor_ = nullptr;
    const bool batch = req.path == "/v1/batch", status = req.path == "/v1/status";
    auto refuse = [&](int code, const std::string& reason, std::atomic<uint64_t>* counter) {
      Refuse(req, res, code, "before reading", reason, counter);
      res.set_header("Connection", "close");
      close_after_answer_ = true;
      return httplib::Server::HandlerResponse::Handled;
    };
    if (!batch && !status) return refuse(404, "no such path", &counters.bad_request_head);
    if (req.method != "POST") {
      res.set_header("Allow", "POST");
      return refuse(405, "only POST", &counters.bad_request_head);
    }
    if (req.has_header("Transfer-Encoding")) {
      return refuse(411, "Transfer-Encoding is not accepted: send Content-Length",
                    &counters.bad_request_head);
    }
    if (!req.has_header("Content-Length")) {
      return refuse(411, "Content-Length required", &counters.bad_request_head);
    }
    if (req.has_header("Content-Encoding")) {
      return refuse(415, "Content-Encoding is not accepted", &counters.bad_request_head);
    }
    const std::string length_text = req.get_header_value("Content-Length");
    const size_t limit = batch ? options.max_batch_bytes : options.max_status_bytes;
    char* end = nullptr;
    const unsigned long long length = std::strtoull(length_text.c_str(), &end, 10);
    if (length_text.empty() || *end != '\0' || length_text[0] == '-') {
      return refuse(400, "bad Content-Length", &counters.bad_request_head);
    }
    if (length > limit) {
      return refuse(413, fmt::format("body of {} bytes is over the limit of {}", length, limit),
                    &counters.too_large);
    }
    gated_sensor_ = Authenticate(req);
    if (gated_sensor_ == nullptr) {
      return refuse(401, "missing or unknown bearer token", &counters.bad_token);
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  // Why a record is outside the window of times the collector takes (more
  // than a day ahead of its clock, or older than max_record_age_days); ""
  // when every record is inside. Such a record is not stored and makes no
  // partition.
  std::string OutOfTime(const std::vector<AccessRecord>& records) const {
    constexpr int64_t kDayNs = int64_t{86400} * 1'000'000'000;
    const int64_t now = NowNs();
    const int64_t latest = now + kDayNs;
    const int64_t earliest =
        options.max_record_age_days > 0 ? now - options.max_record_age_days * kDayNs : INT64_MIN;
    for (size_t i = 0; i < records.size(); ++i) {
      const int64_t t = records[i].time_ns;
      if (t > latest) {
        return fmt::format("record {} is dated {}, more than a day after the collector's clock", i,
                           FormatUtcTime(t));
      }
      if (t < earliest) {
        return fmt::format(
            "record {} is dated {}, more than {} days before the collector's clock "
            "(--max-record-age-days)",
            i, FormatUtcTime(t), options.max_record_age_days);
      }
    }
    return "";
  }

  void HandleBatch(const httplib::Request& req, httplib::Response& res) {
    const SensorCredential* sensor = gated_sensor_;  // authenticated by Gate
    if (sensor == nullptr) {
      return Refuse(req, res, 401, "no sensor", "missing or unknown bearer token",
                    &counters.bad_token);
    }
    const std::string& who = sensor->point;
    if (req.body.size() > options.max_batch_bytes) {
      return Refuse(req, res, 413, who,
                    fmt::format("batch of {} bytes is over the limit of {}", req.body.size(),
                                options.max_batch_bytes),
                    &counters.too_large);
    }
    if (!TakeRate(sensor->point)) {
      res.set_header("Retry-After", "1");
      return Refuse(
          req, res, 429, who,
          fmt::format("over {} batches per second", options.max_batches_per_second_per_sensor),
          &counters.rate_limited);
    }
    WireLimits limits;
    limits.max_bytes = options.max_batch_bytes;
    limits.max_records = options.max_records;
    Result<WireBatch> batch = DecodeWireBatch(req.body, limits);
    if (!batch.ok()) {
      return Refuse(req, res, 400, who, "bad batch: " + batch.status().message(),
                    &counters.bad_batch);
    }
    if (batch->point != sensor->point) {
      return Refuse(req, res, 403, who,
                    fmt::format("token of point {} may not write point {} (batch {})",
                                sensor->point, batch->point, batch->batch_id),
                    &counters.wrong_point);
    }
    if (!sensor->watched.empty()) {
      for (size_t i = 0; i < batch->records.size(); ++i) {
        const IpAddress& d = batch->records[i].destination;
        if (!sensor->watched.Contains(d)) {
          return Refuse(req, res, 400, who,
                        fmt::format("batch {}: record {} is to {}, which point {} does not watch",
                                    batch->batch_id, i, d.ToString(), sensor->point),
                        &counters.bad_batch);
        }
      }
    }
    if (std::string why = OutOfTime(batch->records); !why.empty()) {
      return Refuse(req, res, 400, who, fmt::format("batch {}: {}", batch->batch_id, why),
                    &counters.out_of_time);
    }
    const std::string batch_id = batch->batch_id;
    const size_t records = batch->records.size();
    auto done = queue->SubmitBatch(std::move(*batch), "sensor " + sensor->point);
    if (!done) {
      res.set_header("Retry-After", "1");
      return Refuse(req, res, 503, who,
                    fmt::format("busy: {} batches are waiting for the store (at most {}); retry",
                                queue->batches_waiting(), queue->capacity()),
                    &counters.busy);
    }
    Result<IngestOutcome> outcome = done->get();
    if (!outcome.ok()) {
      return Refuse(req, res, 500, who,
                    fmt::format("batch {}: store error: {}", batch_id, outcome.status().message()),
                    &counters.store_errors);
    }
    const bool duplicate = *outcome == IngestOutcome::kDuplicate;
    if (duplicate) {
      counters.duplicates.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("collector: batch {} of {} is a duplicate (committed before)", batch_id, who);
    } else {
      counters.committed.fetch_add(1, std::memory_order_relaxed);
      counters.records.fetch_add(records, std::memory_order_relaxed);
      spdlog::debug("collector: committed batch {} of {} ({} accesses)", batch_id, who, records);
    }
    if (auto other = spools.Saw(batch_id, NowNs())) {
      counters.second_spools.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn(
          "collector: point {} sends from a second spool (batch {}; spool {} sent {} s ago): two "
          "sensors for one point, or one restarted with a fresh spool; each access is stored once",
          sensor->point, batch_id, other->spool, other->seconds_ago);
    }
    res.set_content(
        nlohmann::json({{"batch_id", batch_id}, {"result", duplicate ? "duplicate" : "committed"}})
            .dump(),
        "application/json");
    logged_ = true;
  }

  void HandleStatus(const httplib::Request& req, httplib::Response& res) {
    const SensorCredential* sensor = gated_sensor_;  // authenticated by Gate
    if (sensor == nullptr) {
      return Refuse(req, res, 401, "no sensor", "missing or unknown bearer token",
                    &counters.bad_token);
    }
    if (!TakeRate(sensor->point)) {
      res.set_header("Retry-After", "1");
      return Refuse(
          req, res, 429, sensor->point,
          fmt::format("over {} requests per second", options.max_batches_per_second_per_sensor),
          &counters.rate_limited);
    }
    if (JsonDepth(req.body) > kMaxStatusDepth) {
      return Refuse(req, res, 400, sensor->point,
                    fmt::format("bad status report: nested deeper than {}", kMaxStatusDepth),
                    &counters.bad_batch);
    }
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("point") || !j["point"].is_string() ||
        !j.contains("status") || !j["status"].is_object()) {
      return Refuse(req, res, 400, sensor->point,
                    "bad status report: not {\"point\":..., \"status\":{...}}",
                    &counters.bad_batch);
    }
    std::string point = j["point"].get<std::string>();
    if (point != sensor->point) {
      return Refuse(
          req, res, 403, sensor->point,
          fmt::format("token of point {} may not report for point {}", sensor->point, point),
          &counters.wrong_point);
    }
    auto done = queue->SubmitStatus(PointStatus{point, NowNs(), j["status"].dump()});
    if (!done) {
      res.set_header("Retry-After", "1");
      return Refuse(req, res, 503, sensor->point, "stopping", &counters.busy);
    }
    Status st = done->get();
    if (!st.ok()) {
      return Refuse(req, res, 500, sensor->point, "store error: " + st.message(),
                    &counters.store_errors);
    }
    counters.statuses.fetch_add(1, std::memory_order_relaxed);
    res.set_content(R"({"result":"stored"})", "application/json");
    logged_ = true;
  }

  // Logs what cpp-httplib answered without our handlers (413 before the
  // body was read, 400 for a broken request, 404).
  void LogUnhandled(const httplib::Request& req, const httplib::Response& res) {
    Touch(req.remote_port, 0, res.status == 200);
    CloseIfRefusedEarly(req);
    if (logged_) {
      logged_ = false;
      return;
    }
    if (res.status == 413)
      counters.too_large.fetch_add(1, std::memory_order_relaxed);
    else
      counters.bad_batch.fetch_add(1, std::memory_order_relaxed);
    LogRefusal(req.remote_addr,
               fmt::format("collector: refused {} {} from {}:{}: {} {}", LogSafe(req.method),
                           LogSafe(req.path), req.remote_addr, req.remote_port, res.status,
                           res.status == 413 ? "request body over the limit of " +
                                                   std::to_string(options.max_batch_bytes) +
                                                   " bytes (or a form-encoded body over 8 KiB: "
                                                   "send application/octet-stream)"
                                             : "bad request"));
  }

  // Cuts connections that went slow_request_seconds without a complete
  // request; once the server is stopping, every connection not inside a
  // handler at once (so that SIGTERM does not wait for idle or trickling
  // clients). Runs until Run has returned from listening.
  void Route(httplib::Server& http);

  void Watchdog() {
    std::unique_lock<std::mutex> stop_lock(stop_mu);
    while (!stop_cv.wait_for(stop_lock, std::chrono::milliseconds(250),
                             [this] { return watchdog_exit; })) {
      const bool draining = stopping;
      const auto limit = draining
                             ? Clock::duration::zero()
                             : Clock::duration(std::chrono::seconds(options.slow_request_seconds));
      stop_lock.unlock();
      std::lock_guard<std::mutex> lock(watch.mu);
      Clock::time_point now = Clock::now();
      for (auto it = watch.by_port.begin(); it != watch.by_port.end();) {
        const auto& e = it->second;
        if (PeerPort(e.fd) != it->first) {
          it = watch.by_port.erase(it);  // closed, or the descriptor is another's now
          continue;
        }
        if (e.in_handler == 0 && now - e.last >= limit) {
          if (!draining) {
            counters.slow_clients_cut.fetch_add(1, std::memory_order_relaxed);
            spdlog::warn("collector: cut slow connection from {}: no complete request in {} s",
                         PeerName(e.fd), options.slow_request_seconds);
          }
          // Checked and cut under the lock, so the descriptor is still this
          // connection's: the worker's read fails and it closes the socket.
          ::shutdown(e.fd, SHUT_RDWR);
          it = watch.by_port.erase(it);
          continue;
        }
        ++it;
      }
      stop_lock.lock();
    }
  }

  static thread_local bool logged_;
  static thread_local bool close_after_answer_;  // set by Gate, read by the logger
  // The sensor whose token Gate accepted for the request this thread serves.
  static thread_local const SensorCredential* gated_sensor_;
};

thread_local bool CollectorServer::Impl::logged_ = false;
thread_local bool CollectorServer::Impl::close_after_answer_ = false;
thread_local const SensorCredential* CollectorServer::Impl::gated_sensor_ = nullptr;

namespace {

// OpenSSL's info callback on the server's context: watches each TLS
// connection from its handshake, and logs a failed handshake (plain text to
// the TLS port, a client that does not trust us, a scanner).
void TlsInfo(const SSL* ssl, int where, int ret) {
  auto* impl = static_cast<CollectorServer::Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (impl == nullptr) return;
  int fd = SSL_get_fd(ssl);
  if (where & SSL_CB_HANDSHAKE_START) {
    int port = -1;
    std::string address = PeerAddress(fd, &port);
    if (address == "?") return;
    std::lock_guard<std::mutex> lock(impl->watch.mu);
    auto& e = impl->watch.by_port[port];
    if (e.fd == fd) return;  // a later handshake message of a connection seen
    e = ConnectionWatch::Entry{fd, Clock::now(), 0, address};
    // At most max_connections_per_source live connections per address.
    int live = 0;
    for (const auto& [p, other] : impl->watch.by_port) {
      if (other.address == address && PeerPort(other.fd) == p) ++live;
    }
    if (live > impl->options.max_connections_per_source) {
      impl->counters.per_source_cut.fetch_add(1, std::memory_order_relaxed);
      impl->LogRefusal(address,
                       fmt::format("collector: refused a connection from {}:{}: over {} "
                                   "connections from one address",
                                   address, port, impl->options.max_connections_per_source));
      ::shutdown(fd, SHUT_RDWR);
      impl->watch.by_port.erase(port);
    }
    return;
  }
  if ((where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT && !SSL_is_init_finished(ssl) &&
      std::string_view(SSL_alert_type_string(ret)) == "F") {
    // The client gave up on us (it does not trust our certificate, ...).
    impl->counters.tls_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("collector: refused TLS handshake from {}: client sent fatal alert: {}",
                 PeerName(fd), SSL_alert_desc_string_long(ret));
    return;
  }
  if ((where & SSL_CB_EXIT) && ret == 0) {
    unsigned long err = ERR_peek_error();
    char buf[256] = "connection closed";
    if (err != 0) ERR_error_string_n(err, buf, sizeof(buf));
    impl->counters.tls_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("collector: refused TLS handshake from {}: {}", PeerName(fd), buf);
  } else if ((where & SSL_CB_EXIT) && ret < 0) {
    unsigned long err = ERR_peek_error();
    if (err != 0) {
      char buf[256];
      ERR_error_string_n(err, buf, sizeof(buf));
      impl->counters.tls_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("collector: refused TLS handshake from {}: {}", PeerName(fd), buf);
    }
  }
}

}  // namespace

CollectorServer::CollectorServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CollectorServer::~CollectorServer() {
  Stop();
  StopWatchdog();
  if (impl_->queue) impl_->queue->Stop();
}

namespace {

// Each point once, each token once.
Status CheckSensors(const std::vector<SensorCredential>& sensors) {
  for (size_t i = 0; i < sensors.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (sensors[i].point == sensors[j].point) {
        return Status::InvalidArgument("point " + sensors[i].point + " is configured twice");
      }
      if (sensors[i].token_sha256 == sensors[j].token_sha256) {
        return Status::InvalidArgument("points " + sensors[j].point + " and " + sensors[i].point +
                                       " share a token; each sensor needs its own");
      }
    }
  }
  return Status::Ok();
}

// The TLS server with the certificate and key loaded (TLS 1.3 only, no
// compression); the context's info callback (TlsInfo) finds `app_data`.
Result<std::unique_ptr<httplib::Server>> TlsServer(const CollectorOptions& options,
                                                   void* app_data) {
  std::string error;
  auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    // Both ends are ours: TLS 1.3 only (no renegotiation, no legacy suites).
    SSL_CTX_set_min_proto_version(&ctx, TLS1_3_VERSION);
    SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(&ctx, options.cert_file.c_str()) != 1) {
      error = "cannot load certificate " + options.cert_file;
    } else if (SSL_CTX_use_PrivateKey_file(&ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      error = "cannot load private key " + options.key_file;
    } else if (SSL_CTX_check_private_key(&ctx) != 1) {
      error =
          "private key " + options.key_file + " does not match certificate " + options.cert_file;
    }
    if (!error.empty()) {
      unsigned long err = ERR_get_error();
      if (err != 0) {
        char buf[256];
        ERR_error_string_n(err, buf, sizeof(buf));
        error += std::string(": ") + buf;
      }
      return false;
    }
    SSL_CTX_set_app_data(&ctx, app_data);
    SSL_CTX_set_info_callback(&ctx, TlsInfo);
    return true;
  });
  if (!server->is_valid()) {
    return Status::InvalidArgument(error.empty() ? "TLS setup failed" : error);
  }
  return std::unique_ptr<httplib::Server>(std::move(server));
}

}  // namespace

// The two routes, the log of what no route took, and the answer to a
// handler's exception.
void CollectorServer::Impl::Route(httplib::Server& http) {
  Impl* raw = this;
  http.set_pre_routing_handler(
      [raw](const httplib::Request& req, httplib::Response& res) { return raw->Gate(req, res); });
  http.Post("/v1/batch", [raw](const httplib::Request& req, httplib::Response& res) {
    raw->Touch(req.remote_port, +1);
    raw->HandleBatch(req, res);
    raw->Touch(req.remote_port, -1);
  });
  http.Post("/v1/status", [raw](const httplib::Request& req, httplib::Response& res) {
    raw->Touch(req.remote_port, +1);
    raw->HandleStatus(req, res);
    raw->Touch(req.remote_port, -1);
  });
  http.set_logger([raw](const httplib::Request& req, const httplib::Response& res) {
    raw->LogUnhandled(req, res);
  });
  http.set_exception_handler(
      [raw](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        raw->Refuse(req, res, 500, "?", "internal error: " + what, &raw->counters.store_errors);
      });
}

Result<std::unique_ptr<CollectorServer>> CollectorServer::Create(
    Store* store, std::vector<SensorCredential> sensors, CollectorOptions options) {
  if (sensors.empty()) return Status::InvalidArgument("no sensors configured");
  if (options.max_connections < 1) return Status::InvalidArgument("max connections must be >= 1");
  if (options.max_batch_bytes < kWireHeaderBytes) {
    return Status::InvalidArgument("max batch bytes is too small");
  }
  SCANSCOPE_RETURN_IF_ERROR(CheckSensors(sensors));
  auto impl = std::make_unique<Impl>();
  impl->store = store;
  impl->sensors = std::move(sensors);
  impl->options = options;
  for (const SensorCredential& s : impl->sensors) {
    SCANSCOPE_RETURN_IF_ERROR(store->PutPoint(MonitoringPoint{s.point, s.watched, "sensor"}));
  }
  const bool plain = options.cert_file.empty() && options.key_file.empty();
  if (plain) {
    if (!options.allow_plain) {
      return Status::InvalidArgument(
          "no TLS certificate and key given (plain HTTP needs --allow-plain, on loopback only)");
    }
    if (!IsLoopbackHost(options.host)) {
      return Status::InvalidArgument("plain HTTP is only allowed on a loopback address, not " +
                                     options.host);
    }
    impl->http = std::make_unique<httplib::Server>();
  } else {
    if (options.cert_file.empty() || options.key_file.empty()) {
      return Status::InvalidArgument("TLS needs both a certificate file and a key file");
    }
    auto server = TlsServer(options, impl.get());
    if (!server.ok()) return server.status();
    impl->http = std::move(*server);
  }
  httplib::Server& http = *impl->http;
  Impl* raw = impl.get();
  const size_t threads = static_cast<size_t>(options.max_connections);
  http.new_task_queue = [threads] { return new BoundedPool(threads); };
  http.set_payload_max_length(options.max_batch_bytes);
  http.set_read_timeout(options.read_timeout_seconds, 0);
  http.set_write_timeout(options.write_timeout_seconds, 0);
  http.set_keep_alive_timeout(5);
  http.set_keep_alive_max_count(1000);
  // An answer is one small write after the request: without TCP_NODELAY it
  // can wait for the peer's delayed ACK (40 ms a batch).
  http.set_tcp_nodelay(true);
  raw->Route(http);
  int port = options.port == 0
                 ? http.bind_to_any_port(options.host)
                 : (http.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port <= 0) {
    return Status::IoError(fmt::format("cannot listen on {}:{}: {}", options.host, options.port,
                                       std::strerror(errno)));
  }
  impl->port = port;
  impl->queue = std::make_unique<IngestQueue>(store, options.queue_depth);
  if (!plain) impl->watchdog = std::thread([raw] { raw->Watchdog(); });
  return std::unique_ptr<CollectorServer>(new CollectorServer(std::move(impl)));
}

int CollectorServer::port() const { return impl_->port; }

void CollectorServer::Run() {
  bool stopped_before;
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    stopped_before = impl_->stopping;
  }
  if (!stopped_before) impl_->http->listen_after_bind();
  // Every connection thread has answered (cpp-httplib joined them); commit
  // what is still queued, then stop the watchdog.
  impl_->queue->Stop();
  Stop();
  StopWatchdog();
}

void CollectorServer::StopWatchdog() {
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    impl_->watchdog_exit = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->watchdog.joinable()) impl_->watchdog.join();
}

void CollectorServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  impl_->http->stop();
}

const CollectorCounters& CollectorServer::counters() const { return impl_->counters; }

}  // namespace scanscope
