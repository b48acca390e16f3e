#include "collector/ingest_queue.h"

#include <fmt/format.h>

#include "collector/sensor_coverage.h"
#include "common/clock.h"

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
      if (jobs_.empty()) {  // stopping, and everything queued is answered
        lock.unlock();
        std::vector<std::string> points;
        for (const auto& [point, e] : pending_coverage_) points.push_back(point);
        for (const std::string& point : points) (void)FlushCoverage(point);
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job->batch) {
      job->batch_done.set_value(Commit(*job->batch, job->origin));
      std::lock_guard<std::mutex> lock(mu_);
      --queued_batches_;
    } else {
      job->status_done.set_value(PutStatus(*job->status));
    }
  }
}

Status IngestQueue::PutStatus(const PointStatus& status) {
  if (!last_status_loaded_) {
    // The reports stored before this collector started, once; after that
    // each point's last report is the one this queue stored.
    Result<std::vector<PointStatus>> before = store_->PointStatuses();
    if (!before.ok()) return before.status();
    for (PointStatus& p : *before) last_status_[p.point] = std::move(p);
    last_status_loaded_ = true;
  }
  auto last = last_status_.find(status.point);
  std::optional<CoverageEntry> entry =
      SensorCoverage(last != last_status_.end() ? &last->second : nullptr, status, NowNs());
  SCANSCOPE_RETURN_IF_ERROR(store_->PutPointStatus(status));
  last_status_[status.point] = status;
  if (!entry) return FlushCoverage(status.point);  // the run's interval ends here
  auto it = pending_coverage_.find(status.point);
  if (it != pending_coverage_.end() &&
      (it->second.origin != entry->origin || it->second.to_ns != entry->from_ns)) {
    SCANSCOPE_RETURN_IF_ERROR(FlushCoverage(status.point));
    it = pending_coverage_.end();
  }
  if (it == pending_coverage_.end()) {
    pending_coverage_.emplace(status.point, *entry);
  } else {
    it->second.to_ns = entry->to_ns;
  }
  const CoverageEntry& p = pending_coverage_.at(status.point);
  if (p.to_ns - p.from_ns >= kCoverageFlushNs) return FlushCoverage(status.point);
  return Status::Ok();
}

Status IngestQueue::FlushCoverage(const std::string& point) {
  auto it = pending_coverage_.find(point);
  if (it == pending_coverage_.end()) return Status::Ok();
  CoverageEntry e = it->second;
  pending_coverage_.erase(it);
  if (e.from_ns >= e.to_ns) return Status::Ok();
  e.recorded_at_ns = NowNs();
  return store_->AddCoverage({e});
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
