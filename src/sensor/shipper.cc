#include "sensor/shipper.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

namespace scanscope {

using Clock = std::chrono::steady_clock;

Shipper::Shipper(Spool* spool, BatchSender* sender, ShipperOptions options,
                 std::function<std::string(const ShipperCounters&)> status_json)
    : spool_(spool),
      sender_(sender),
      options_(std::move(options)),
      status_json_(std::move(status_json)) {}

Shipper::~Shipper() { (void)Stop(Clock::now()); }

std::string Shipper::BatchId(const std::string& point, const std::string& spool_id, uint64_t seq) {
  return fmt::format("{}/{}/{:016x}", point, spool_id, seq);
}

void Shipper::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Shipper::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool Shipper::Stop(Clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    if (!draining_) {
      draining_ = true;
      deadline_ = deadline;
    } else {
      deadline_ = std::min(deadline_, deadline);
    }
    if (deadline <= Clock::now()) stop_now_ = true;
    woken_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  return emptied_;
}

ShipperCounters Shipper::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void Shipper::WaitUntil(Clock::time_point until) {
  std::unique_lock lock(mu_);
  if (draining_) until = std::min(until, deadline_);
  cv_.wait_until(lock, until, [&] { return woken_ || stop_now_; });
  woken_ = false;
}

void Shipper::Report() {
  ShipperCounters snapshot = counters();
  Status s = sender_->Report(options_.point, status_json_(snapshot));
  std::lock_guard lock(mu_);
  if (s.ok()) {
    ++counters_.reports;
  } else {
    if (counters_.report_failures == 0) {
      spdlog::warn("sensor: status report failed: {}", s.ToString());
    }
    ++counters_.report_failures;
  }
}

bool Shipper::LoadBatch(uint64_t seq) {
  if (batch_ && batch_seq_ == seq) return true;
  auto contents = spool_->Read(seq);
  if (!contents.ok()) {
    spdlog::error("sensor: reading spool segment {:016x}: {}", seq, contents.status().ToString());
    Backoff(Clock::now());
    return false;
  }
  if (contents->corrupt_blocks > 0) {
    spdlog::warn(
        "sensor: spool segment {:016x}: {} damaged block(s), {} bytes skipped (checksum); "
        "{} records kept",
        seq, contents->corrupt_blocks, contents->corrupt_bytes, contents->records.size());
  }
  batch_ = WireBatch{options_.point, BatchId(options_.point, spool_->id(), seq),
                     std::move(contents->records)};
  batch_seq_ = seq;
  return true;
}

void Shipper::Backoff(Clock::time_point from) {
  WaitUntil(from + backoff_);
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
}

void Shipper::Sent(uint64_t seq) {
  if (failing_) {
    spdlog::info("sensor: collector accepts batches again after {} failed attempt(s)",
                 failures_in_row_);
  }
  failing_ = false;
  failures_in_row_ = 0;
  backoff_ = options_.backoff_min;
  Status r = spool_->Remove(seq);
  if (!r.ok()) {
    // Sent and acknowledged but still on disk: it goes again and the
    // collector's ledger drops it as a duplicate.
    spdlog::error("sensor: {}", r.ToString());
  }
  {
    std::lock_guard lock(mu_);
    ++counters_.shipped_batches;
    counters_.shipped_records += batch_->records.size();
  }
  batch_.reset();
}

void Shipper::SendFailed(const Status& s) {
  {
    std::lock_guard lock(mu_);
    ++counters_.ship_failures;
  }
  ++failures_in_row_;
  auto wait = std::max<std::chrono::milliseconds>(
      backoff_, std::chrono::seconds(sender_->retry_after_seconds()));
  // One line when shipping starts failing, then one per ten failures.
  if (!failing_ || failures_in_row_ % 10 == 0) {
    spdlog::warn("sensor: sending batch {} failed ({} in a row): {}; retrying in {} ms",
                 batch_->batch_id, failures_in_row_, s.ToString(), wait.count());
  }
  failing_ = true;
  WaitUntil(Clock::now() + wait);
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
}

// A batch the collector will never take: moved to the spool's rejected/,
// logged once, counted; the batches behind it go on.
void Shipper::SetAside(uint64_t seq, const Status& s) {
  Status moved = spool_->SetAside(seq);
  if (!moved.ok()) {
    spdlog::error("sensor: {}", moved.ToString());
    return SendFailed(s);  // still in the spool: retried, not lost
  }
  spdlog::error("sensor: batch {} refused for good, set aside in {}/rejected/: {}",
                batch_->batch_id, spool_->dir(), s.ToString());
  {
    std::lock_guard lock(mu_);
    ++counters_.rejected_batches;
  }
  batch_.reset();
}

void Shipper::Run() {
  auto next_report = Clock::now();
  backoff_ = options_.backoff_min;
  for (;;) {
    auto now = Clock::now();
    {
      std::lock_guard lock(mu_);
      if (stop_now_ || (draining_ && now >= deadline_)) break;
    }
    if (now >= next_report) {
      Report();
      next_report = Clock::now() + options_.report_interval;
    }
    std::vector<uint64_t> sealed = spool_->Sealed();
    if (sealed.empty()) {
      batch_.reset();
      {
        std::lock_guard lock(mu_);
        if (draining_) {
          emptied_ = true;
          break;
        }
      }
      WaitUntil(std::min(now + options_.idle_poll, next_report));
      continue;
    }
    uint64_t seq = sealed.front();
    if (!LoadBatch(seq)) continue;
    if (batch_->records.empty()) {
      Status r = spool_->Remove(seq);
      if (!r.ok()) spdlog::error("sensor: {}", r.ToString());
      std::lock_guard lock(mu_);
      ++counters_.empty_segments;
      batch_.reset();
      continue;
    }
    Status s = sender_->Send(*batch_);
    if (s.ok()) {
      Sent(seq);
    } else if (sender_->refused_for_good()) {
      SetAside(seq, s);
    } else {
      SendFailed(s);
    }
  }
  bool last_report;
  {
    std::lock_guard lock(mu_);
    last_report = !stop_now_ && Clock::now() < deadline_;
  }
  if (last_report) Report();
}

}  // namespace scanscope
