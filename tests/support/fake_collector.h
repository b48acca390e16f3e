#pragma once
// Test helper (header only, for src/sensor/*_test.cc): a BatchSender that
// behaves like the collector's ledger: a batch id seen before is a no-op,
// and it fails the sends a test tells it to (as a down collector would).

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sensor/shipper.h"

namespace scanscope::testing {

class FakeCollector : public BatchSender {
 public:
  // fail(n): whether the n-th send (from 0) fails.
  explicit FakeCollector(std::function<bool(uint64_t)> fail = {}) : fail_(std::move(fail)) {}

  Status Send(const WireBatch& batch) override {
    std::lock_guard lock(mu_);
    uint64_t n = sends_++;
    refused_for_good_ = refuse_ && refuse_(batch);
    if (refused_for_good_) return Status::InvalidArgument("fake collector: 400 never");
    if (fail_ && fail_(n)) {
      ++failed_;
      return Status::Unavailable("fake collector: down");
    }
    if (batch.point != point_ && !point_.empty()) return Status::PermissionDenied("other point");
    if (ledger_.count(batch.batch_id) != 0) {
      ++duplicates_;
      return Status::Ok();
    }
    ledger_[batch.batch_id] = batch.records;
    order_.push_back(batch.batch_id);
    return Status::Ok();
  }
  Status Report(const std::string& point, const std::string& status_json) override {
    std::lock_guard lock(mu_);
    last_status_point_ = point;
    last_status_ = status_json;
    ++reports_;
    return Status::Ok();
  }

  // refuse(batch): whether the collector refuses it for good (a 400).
  void set_refuse(std::function<bool(const WireBatch&)> refuse) {
    std::lock_guard lock(mu_);
    refuse_ = std::move(refuse);
  }
  bool refused_for_good() const override {
    std::lock_guard lock(mu_);
    return refused_for_good_;
  }

  void set_point(std::string p) {
    std::lock_guard lock(mu_);
    point_ = std::move(p);
  }
  // Every committed record, in commit order.
  std::vector<AccessRecord> Records() const {
    std::lock_guard lock(mu_);
    std::vector<AccessRecord> out;
    for (const std::string& id : order_) {
      const auto& r = ledger_.at(id);
      out.insert(out.end(), r.begin(), r.end());
    }
    return out;
  }
  size_t RecordCount() const { return Records().size(); }
  std::vector<std::string> BatchIds() const {
    std::lock_guard lock(mu_);
    return order_;
  }
  uint64_t failed() const {
    std::lock_guard lock(mu_);
    return failed_;
  }
  uint64_t duplicates() const {
    std::lock_guard lock(mu_);
    return duplicates_;
  }
  uint64_t reports() const {
    std::lock_guard lock(mu_);
    return reports_;
  }
  std::string last_status() const {
    std::lock_guard lock(mu_);
    return last_status_;
  }

 private:
  std::function<bool(uint64_t)> fail_;
  mutable std::mutex mu_;
  std::string point_;
  uint64_t sends_ = 0, failed_ = 0, duplicates_ = 0, reports_ = 0;
  std::function<bool(const WireBatch&)> refuse_;
  bool refused_for_good_ = false;
  std::map<std::string, std::vector<AccessRecord>> ledger_;
  std::vector<std::string> order_;
  std::string last_status_point_, last_status_;
};

}  // namespace scanscope::testing
