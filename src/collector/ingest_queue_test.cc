#include "collector/ingest_queue.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "store/memory_store.h"

namespace scanscope {
namespace {

// A MemoryStore whose BeginIngest waits until the test opens the gate, so
// that the test decides when the writer thread is busy.
class GatedStore : public Store {
 public:
  GatedStore() : inner_(NewMemoryStore({TimeZone::Utc()})) {}
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  Result<std::vector<MonitoringPoint>> Points() override { return inner_->Points(); }
  Result<std::vector<LedgerEntry>> Ledger() override { return inner_->Ledger(); }
  Result<std::vector<std::string>> Zones() override { return inner_->Zones(); }

 protected:
  std::string Name() const override { return "gated memory store"; }

 private:
  // Each primitive through the inner store's public methods, which apply the
  // rules a second time; harmless for a test.
  Status DoPutPoint(const MonitoringPoint& p) override { return inner_->PutPoint(p); }
  Result<bool> DoHasPoint(const std::string& point) override {
    Result<std::vector<MonitoringPoint>> points = inner_->Points();
    if (!points.ok()) return points.status();
    for (const MonitoringPoint& p : *points) {
      if (p.name == point) return true;
    }
    return false;
  }
  Result<std::optional<std::string>> DoFindBatch(const std::string& batch_id) override {
    Result<std::vector<LedgerEntry>> ledger = inner_->Ledger();
    if (!ledger.ok()) return ledger.status();
    for (const LedgerEntry& e : *ledger) {
      if (e.batch_id == batch_id) return std::optional<std::string>(e.origin);
    }
    return std::optional<std::string>();
  }
  Result<std::unique_ptr<IngestWriter>> DoBeginIngest(const BatchInfo& info,
                                                      std::vector<TimeZone>) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
    return inner_->BeginIngest(info);
  }
  Status DoScanRaw(const std::string& point, int64_t from, int64_t to,
                   const RawVisitor& visit) override {
    return inner_->ScanRaw(point, from, to, visit);
  }
  Result<std::map<std::string, uint64_t>> DoRawRecordsByBatch() override {
    std::map<std::string, uint64_t> out;
    Result<std::vector<LedgerEntry>> ledger = inner_->Ledger();
    if (!ledger.ok()) return ledger.status();
    for (const LedgerEntry& e : *ledger) out[e.batch_id] = e.accesses;
    return out;
  }
  Status DoStoreZone(const TimeZone& zone,
                     const std::function<Status(const ZoneBlockSink&)>&) override {
    return inner_->AddZone(zone);
  }
  Status DoForget(const LedgerEntry& batch, const ZoneDaysBuilder&) override {
    return inner_->Forget(batch.batch_id).status();
  }
  Result<std::vector<ForgottenBatch>> DoForgotten() override { return inner_->Forgotten(); }
  Status DoAddCoverage(const std::vector<CoverageEntry>& entries) override {
    return inner_->AddCoverage(entries);
  }
  Result<std::vector<CoverageEntry>> DoCoverageEntries() override {
    return inner_->CoverageEntries();
  }
  Result<std::vector<BlockTotal>> DoTotals(const std::string& zone, int32_t first,
                                           int32_t last) override {
    return inner_->Totals(TimeZone::Find(zone).value(), first, last);
  }
  Status DoScanBlocks(const std::string& zone, int32_t first, int32_t last,
                      const BlockVisitor& visit) override {
    return inner_->ScanBlocks(TimeZone::Find(zone).value(), first, last, visit);
  }
  Status DoPutPointStatus(const PointStatus& s) override { return inner_->PutPointStatus(s); }
  Result<std::vector<PointStatus>> DoPointStatuses() override { return inner_->PointStatuses(); }

  std::unique_ptr<Store> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

WireBatch Batch(const std::string& id, size_t n) {
  WireBatch b{"p", "p/" + id, {}};
  for (size_t i = 0; i < n; ++i) {
    AccessRecord r;
    // Each batch's own probes: the same probe in two batches is one access.
    r.time_ns = 1'700'000'000'000'000'000 +
                static_cast<int64_t>(std::hash<std::string>()(id) % 1'000'000) * 1000 +
                static_cast<int64_t>(i);
    r.source = IpAddress::FromV4(0x0A000000u + static_cast<uint32_t>(i));
    r.destination = IpAddress::FromV4(0xC0000201);
    r.port_type = PortType::Tcp(445);
    b.records.push_back(r);
  }
  return b;
}

uint64_t StoredAccesses(Store* store) {
  uint64_t n = 0;
  auto ledger = store->Ledger();  // kept: a range-for over a temporary's value() would dangle
  for (const LedgerEntry& e : ledger.value()) n += e.accesses;
  return n;
}

// A full queue refuses at once (the collector's 503), counting the batch in
// the writer's hands; once the writer moves, batches commit, a resent id is
// a duplicate, and Stop answers what is still queued.
TEST(IngestQueue, FullQueueRefusesAtOnceAndDuplicatesCountOnce) {
  GatedStore store;
  ASSERT_TRUE(store.PutPoint(MonitoringPoint{"p", {}, ""}).ok());
  IngestQueue queue(&store, 2);
  auto a = queue.SubmitBatch(Batch("a", 3), "test");
  auto b = queue.SubmitBatch(Batch("b", 4), "test");
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(queue.SubmitBatch(Batch("c", 5), "test").has_value());  // full: 503
  store.Open();
  EXPECT_EQ(a->get().value(), IngestOutcome::kCommitted);
  EXPECT_EQ(b->get().value(), IngestOutcome::kCommitted);
  auto again = queue.SubmitBatch(Batch("a", 3), "test");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get().value(), IngestOutcome::kDuplicate);
  auto status = queue.SubmitStatus(PointStatus{"p", 5, R"({"spool_bytes":1})"});
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->get().ok());
  auto c = queue.SubmitBatch(Batch("c", 5), "test");
  ASSERT_TRUE(c);
  queue.Stop();  // finishes c before returning
  EXPECT_EQ(c->get().value(), IngestOutcome::kCommitted);
  EXPECT_FALSE(queue.SubmitBatch(Batch("d", 1), "test").has_value());  // stopped
  EXPECT_EQ(StoredAccesses(&store), 3u + 4u + 5u);
  EXPECT_EQ(store.PointStatuses()->size(), 1u);
}

// A store error reaches the waiting connection, and the next batch is fine.
TEST(IngestQueue, StoreErrorsAreAnswered) {
  GatedStore store;
  store.Open();
  IngestQueue queue(&store, 4);
  auto unknown = queue.SubmitBatch(Batch("x", 1), "test");  // point "p" not in the store
  ASSERT_TRUE(unknown);
  auto r = unknown->get();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  ASSERT_TRUE(store.PutPoint(MonitoringPoint{"p", {}, ""}).ok());
  auto ok = queue.SubmitBatch(Batch("x", 1), "test");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->get().value(), IngestOutcome::kCommitted);
}

}  // namespace
}  // namespace scanscope
