#pragma once
// IngestQueue: the one thread that writes the store (SQLite is single-writer)
// and the bounded queue in front of it. Connection threads decode and check a
// batch, Submit it, and wait for the answer; when the queue is full Submit
// refuses at once (the caller answers 503 and the sensor retries later), so a
// burst costs at most `depth` batches of memory, never an unbounded backlog.
//
// Thread-safe: Submit from any thread. Stop finishes every batch already
// queued (each gets its answer), then joins the writer.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "store/store.h"
#include "transport/wire_batch.h"

namespace scanscope {

enum class IngestOutcome { kCommitted, kDuplicate };

class IngestQueue {
 public:
  // `store` must outlive the queue and be used by no one else meanwhile.
  IngestQueue(Store* store, size_t capacity);
  ~IngestQueue();  // Stop()
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  // Queues a batch for commit. nullopt when the queue is full or stopping
  // (nothing was queued); else a future that yields kCommitted once the
  // store committed it, kDuplicate when its id was in the ledger already, or
  // the store's error.
  std::optional<std::future<Result<IngestOutcome>>> SubmitBatch(WireBatch batch,
                                                                std::string origin);
  // Queues a status report the same way (it does not count against the capacity: a
  // report is small and at most one per sensor is useful).
  std::optional<std::future<Status>> SubmitStatus(PointStatus status);

  // Commits what is queued, then stops the writer thread. Idempotent.
  void Stop();

  // The most batches that may wait at once, and how many wait now.
  size_t capacity() const { return capacity_; }
  size_t batches_waiting();

 private:
  struct Job {
    std::optional<WireBatch> batch;
    std::string origin;
    std::optional<PointStatus> status;
    std::promise<Result<IngestOutcome>> batch_done;
    std::promise<Status> status_done;
  };
  void Run();
  Result<IngestOutcome> Commit(const WireBatch& batch, const std::string& origin);
  // Stores a status report and what it says of the point's coverage
  // (collector/sensor_coverage.h). Consecutive reports of one run extend one
  // pending interval, written when the run breaks, every kCoverageFlushNs, and
  // at Stop: a few rows a hour, not one per report.
  Status PutStatus(const PointStatus& status);
  Status FlushCoverage(const std::string& point);
  static constexpr int64_t kCoverageFlushNs = int64_t{15} * 60 * 1'000'000'000;

  Store* store_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Job>> jobs_;
  size_t queued_batches_ = 0;
  bool stopping_ = false;
  std::map<std::string, CoverageEntry> pending_coverage_;  // by point; writer thread only
  std::map<std::string, PointStatus> last_status_;         // by point; writer thread only
  bool last_status_loaded_ = false;
  std::thread writer_;
};

}  // namespace scanscope
