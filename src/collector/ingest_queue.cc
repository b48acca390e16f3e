#include "collector/ingest_queue.h"

#include <fmt/format.h>

namespace scanscope {

IngestQueue::IngestQueue(Store* store, size_t capacity)
    : store_(store), capacity_(capacity == 0 ? 1 : capacity), writer_([this] { Run(); }) {}

IngestQueue::~IngestQueue() { Stop(); }

std::optional<std::future<Result<IngestOutcome>>> IngestQueue::SubmitBatch(WireBatch batch,
                                                                           std::string origin) {
  auto job = std::make_unique<Job>();
  job->batch = std::move(batch);
  job->origin = std::move(origin);
  auto future = job->batch_done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queued_batches_ >= capacity_) return std::nullopt;
    ++queued_batches_;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return future;
}

size_t IngestQueue::batches_waiting() {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_batches_;
}

std::optional<std::future<Status>> IngestQueue::SubmitStatus(PointStatus status) {
  auto job = std::make_unique<Job>();
  job->status = std::move(status);
  auto future = job->status_done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return std::nullopt;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return future;
}

void IngestQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void IngestQueue::Run() {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and everything queued is answered
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job->batch) {
      job->batch_done.set_value(Commit(*job->batch, job->origin));
      std::lock_guard<std::mutex> lock(mu_);
      --queued_batches_;
    } else {
      job->status_done.set_value(store_->PutPointStatus(*job->status));
    }
  }
}

Result<IngestOutcome> IngestQueue::Commit(const WireBatch& batch, const std::string& origin) {
  auto writer = store_->BeginIngest(BatchInfo{batch.batch_id, batch.point, origin});
  if (!writer.ok()) {
    if (writer.status().IsAlreadyExists()) return IngestOutcome::kDuplicate;
    return writer.status();
  }
  SCANSCOPE_RETURN_IF_ERROR((*writer)->Add(batch.records));
  SCANSCOPE_RETURN_IF_ERROR((*writer)->Commit(
      fmt::format(R"({{"source":"collector","records":{}}})", batch.records.size())));
  return IngestOutcome::kCommitted;
}

}  // namespace scanscope
