#pragma once
// Shipper: the sensor's sending thread. Takes sealed spool segments oldest
// first, sends each as one WireBatch (id "<point>/<spool id>/<segment seq>",
// the same on every retry and after any restart), and removes a segment from
// the spool only once the collector acknowledged it (Send returned OK:
// committed now, or a duplicate of an earlier commit). Any error keeps the
// segment and retries it after a bounded exponential backoff (0.2 s doubling
// to 30 s, or the collector's Retry-After if longer), so nothing is lost and,
// with the collector's ledger, nothing is counted twice. Every
// report_interval it sends the sensor's status (a JSON object) as well.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "spool/spool.h"
#include "transport/wire_batch.h"

namespace scanscope {

// Where batches go: the CollectorClient in production, a fake in tests.
// Called from the shipper's thread only.
class BatchSender {
 public:
  virtual ~BatchSender() = default;
  virtual Status Send(const WireBatch& batch) = 0;
  virtual Status Report(const std::string& point, const std::string& status_json) = 0;
  // Seconds the peer asked to wait after the last failure (0: none).
  virtual int retry_after_seconds() const { return 0; }
  // Whether the last batch was refused for good (docs/sensor.md: it is set
  // aside in the spool's rejected/ instead of being retried forever).
  virtual bool refused_for_good() const { return false; }
};

struct ShipperOptions {
  std::string point;
  std::chrono::milliseconds report_interval{5000};
  std::chrono::milliseconds backoff_min{200};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds idle_poll{250};  // how often to look for new sealed segments
};

struct ShipperCounters {
  uint64_t shipped_batches = 0;
  uint64_t shipped_records = 0;
  uint64_t ship_failures = 0;
  uint64_t reports = 0;
  uint64_t report_failures = 0;
  uint64_t empty_segments = 0;    // sealed segments with no readable record: removed unsent
  uint64_t rejected_batches = 0;  // refused for good by the collector: set aside in rejected/
};

class Shipper {
 public:
  // `spool` and `sender` must outlive the shipper. `status_json` is called
  // on the shipper's thread and must be thread-safe.
  Shipper(Spool* spool, BatchSender* sender, ShipperOptions options,
          std::function<std::string(const ShipperCounters&)> status_json);
  ~Shipper();  // stops at once (Stop(now))

  void Start();
  // Looks for sealed segments now (after a seal) instead of at the next poll.
  void Wake();
  // Ships what is sealed until nothing is left or `deadline` passes, sends
  // a last status report if time is left, then stops the thread. Returns
  // true when the spool was emptied of sealed segments. A Send in flight at
  // the deadline is waited for (bounded by the client's timeout).
  bool Stop(std::chrono::steady_clock::time_point deadline);

  ShipperCounters counters() const;
  // The batch id of a segment: "<point>/<spool id>/<seq as 16 hex digits>".
  static std::string BatchId(const std::string& point, const std::string& spool_id, uint64_t seq);

 private:
  void Run();
  // The batch of sealed segment `seq`, read once and kept until sent; false
  // (logged, backoff) when the segment cannot be read.
  bool LoadBatch(uint64_t seq);
  // After a send: on success the segment goes and the backoff resets; on
  // failure, counted, logged (first and every tenth), and a wait.
  void Sent(uint64_t seq);
  void SendFailed(const Status& s);
  void SetAside(uint64_t seq, const Status& s);
  void Backoff(std::chrono::steady_clock::time_point from);
  // Waits until `until`, a Wake, or a stop; false if stopping.
  void WaitUntil(std::chrono::steady_clock::time_point until);
  void Report();

  Spool* spool_;
  BatchSender* sender_;
  ShipperOptions options_;
  std::function<std::string(const ShipperCounters&)> status_json_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool draining_ = false;
  bool stop_now_ = false;
  bool emptied_ = false;
  std::chrono::steady_clock::time_point deadline_;
  ShipperCounters counters_;
  // The shipping thread's own state.
  std::optional<WireBatch> batch_;  // the oldest sealed segment, read once
  uint64_t batch_seq_ = 0;
  std::chrono::milliseconds backoff_{0};
  bool failing_ = false;
  uint64_t failures_in_row_ = 0;
  std::thread thread_;
};

}  // namespace scanscope
