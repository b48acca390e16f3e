#include "store/memory_store.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "common/clock.h"

namespace scanscope {
namespace {

// (day, point, port code): the in-zone key of a block. Ordered by point name,
// like the other backends' answers.
using BlockKey = std::tuple<int32_t, std::string, uint32_t>;
using ZoneBlocks = std::map<BlockKey, SourceDayBlock>;

// A batch's raw records, as one chunk per batch and point.
struct RawBatch {
  std::string batch_id;
  std::vector<AccessRecord> records;
};

struct MemoryState {
  std::map<std::string, MonitoringPoint> points;
  std::vector<std::string> zone_names;
  std::map<std::string, ZoneBlocks> blocks;          // by zone name
  std::map<std::string, std::vector<RawBatch>> raw;  // by point, in commit order
  std::vector<LedgerEntry> ledger;
  std::map<std::string, PointStatus> statuses;  // by point
  std::vector<ForgottenBatch> forgotten;
  std::vector<CoverageEntry> coverage;
};

void MergeInto(ZoneBlocks* zone, const std::string& point, std::vector<SourceDayBlock> blocks) {
  for (SourceDayBlock& b : blocks) {
    auto [it, inserted] =
        zone->try_emplace(BlockKey{b.day, point, b.port.Code()}, SourceDayBlock{});
    if (inserted) {
      it->second = std::move(b);
    } else {
      MergeBlockRows(&it->second.rows, b.rows);
    }
  }
}

class MemoryWriter : public IngestWriter {
 public:
  MemoryWriter(MemoryState* state, BatchInfo info, std::vector<TimeZone> zones)
      : IngestWriter(std::move(zones)), state_(state), info_(std::move(info)) {}

 private:
  Status DoAppendRaw(std::span<const AccessRecord> records) override {
    raw_.insert(raw_.end(), records.begin(), records.end());
    return Status::Ok();
  }
  Status DoCommit(std::vector<std::vector<SourceDayBlock>> blocks_by_zone, uint64_t accesses,
                  const std::string& summary_json) override {
    for (size_t z = 0; z < blocks_by_zone.size(); ++z) {
      MergeInto(&state_->blocks[zones()[z].name()], info_.point, std::move(blocks_by_zone[z]));
    }
    state_->raw[info_.point].push_back(RawBatch{info_.batch_id, std::move(raw_)});
    const int64_t now = NowNs();
    for (const CoverageInterval& i : coverage().intervals()) {
      state_->coverage.push_back(CoverageEntry{info_.point, CoverageKind::kWatched, i.from_ns,
                                               i.to_ns, info_.batch_id, now});
    }
    state_->ledger.push_back(
        LedgerEntry{info_.batch_id, info_.point, info_.origin, now, accesses, summary_json});
    return Status::Ok();
  }

  MemoryState* state_;
  BatchInfo info_;
  std::vector<AccessRecord> raw_;
};

class MemoryStore : public Store {
 public:
  explicit MemoryStore(std::vector<TimeZone> zones) {
    for (const TimeZone& z : zones) {
      if (std::find(state_.zone_names.begin(), state_.zone_names.end(), z.name()) ==
          state_.zone_names.end()) {
        state_.zone_names.push_back(z.name());
        state_.blocks[z.name()];
      }
    }
  }

  Result<std::vector<MonitoringPoint>> Points() override {
    std::vector<MonitoringPoint> out;
    for (const auto& [name, p] : state_.points) out.push_back(p);
    return out;
  }
  Result<std::vector<LedgerEntry>> Ledger() override { return state_.ledger; }
  Result<std::vector<std::string>> Zones() override { return state_.zone_names; }

 protected:
  std::string Name() const override { return "memory store"; }

 private:
  Status DoPutPoint(const MonitoringPoint& point) override {
    state_.points[point.name] = point;
    return Status::Ok();
  }
  Result<bool> DoHasPoint(const std::string& point) override {
    return state_.points.contains(point);
  }
  Result<std::optional<std::string>> DoFindBatch(const std::string& batch_id) override {
    for (const LedgerEntry& e : state_.ledger) {
      if (e.batch_id == batch_id) return std::optional<std::string>(e.origin);
    }
    return std::optional<std::string>();
  }
  Result<std::unique_ptr<IngestWriter>> DoBeginIngest(const BatchInfo& info,
                                                      std::vector<TimeZone> zones) override {
    return std::unique_ptr<IngestWriter>(new MemoryWriter(&state_, info, std::move(zones)));
  }
  Status DoPutPointStatus(const PointStatus& status) override {
    state_.statuses[status.point] = status;
    return Status::Ok();
  }
  Result<std::vector<PointStatus>> DoPointStatuses() override {
    std::vector<PointStatus> out;
    for (const auto& [name, st] : state_.statuses) out.push_back(st);
    return out;
  }

  Status DoScanRaw(const std::string& point, int64_t from_ns, int64_t to_ns,
                   const RawVisitor& visit) override {
    auto it = state_.raw.find(point);
    if (it == state_.raw.end()) return Status::Ok();
    std::vector<AccessRecord> chunk;
    for (const RawBatch& batch : it->second) {
      for (const AccessRecord& r : batch.records) {
        if (r.time_ns < from_ns || r.time_ns >= to_ns) continue;
        chunk.push_back(r);
        if (chunk.size() == 65536) {
          SCANSCOPE_RETURN_IF_ERROR(visit(chunk));
          chunk.clear();
        }
      }
    }
    return chunk.empty() ? Status::Ok() : visit(chunk);
  }
  Result<std::map<std::string, uint64_t>> DoRawRecordsByBatch() override {
    std::map<std::string, uint64_t> out;
    for (const auto& [point, batches] : state_.raw) {
      for (const RawBatch& b : batches) out[b.batch_id] += b.records.size();
    }
    return out;
  }
  Status DoStoreZone(const TimeZone& zone,
                     const std::function<Status(const ZoneBlockSink&)>& build) override {
    ZoneBlocks blocks;
    SCANSCOPE_RETURN_IF_ERROR(build([&](const std::string& point, std::vector<SourceDayBlock> b) {
      MergeInto(&blocks, point, std::move(b));
      return Status::Ok();
    }));
    state_.blocks[zone.name()] = std::move(blocks);
    state_.zone_names.push_back(zone.name());
    return Status::Ok();
  }

  Status DoForget(const LedgerEntry& batch, const ZoneDaysBuilder& rebuild) override {
    std::vector<RawBatch>& batches = state_.raw[batch.point];
    auto it = std::find_if(batches.begin(), batches.end(),
                           [&](const RawBatch& b) { return b.batch_id == batch.batch_id; });
    RawBatch removed;
    if (it != batches.end()) {
      removed = std::move(*it);
      batches.erase(it);
    }
    // The new blocks of the days the batch touched, in every zone, before
    // anything else changes: a failure puts the raw records back.
    struct Rebuilt {
      std::string zone;
      int32_t first_day, last_day;
      std::vector<SourceDayBlock> blocks;
    };
    std::vector<Rebuilt> rebuilt;
    if (!removed.records.empty()) {
      auto [lo, hi] = std::minmax_element(
          removed.records.begin(), removed.records.end(),
          [](const AccessRecord& a, const AccessRecord& b) { return a.time_ns < b.time_ns; });
      for (const std::string& name : state_.zone_names) {
        Result<TimeZone> zone = TimeZone::Find(name);
        if (!zone.ok()) return zone.status();
        const int32_t d0 = zone->LocalDay(lo->time_ns), d1 = zone->LocalDay(hi->time_ns);
        Result<std::vector<SourceDayBlock>> blocks = rebuild(*zone, d0, d1);
        if (!blocks.ok()) {
          batches.push_back(std::move(removed));
          return blocks.status();
        }
        rebuilt.push_back(Rebuilt{name, d0, d1, std::move(*blocks)});
      }
    }
    for (Rebuilt& r : rebuilt) {
      ZoneBlocks& zone = state_.blocks[r.zone];
      std::erase_if(zone, [&](const auto& kv) {
        return std::get<1>(kv.first) == batch.point && std::get<0>(kv.first) >= r.first_day &&
               std::get<0>(kv.first) <= r.last_day;
      });
      MergeInto(&zone, batch.point, std::move(r.blocks));
    }
    std::erase_if(state_.ledger,
                  [&](const LedgerEntry& e) { return e.batch_id == batch.batch_id; });
    std::erase_if(state_.coverage,
                  [&](const CoverageEntry& e) { return e.origin == batch.batch_id; });
    state_.forgotten.push_back(ForgottenBatch{batch, NowNs()});
    return Status::Ok();
  }
  Result<std::vector<ForgottenBatch>> DoForgotten() override { return state_.forgotten; }

  Status DoAddCoverage(const std::vector<CoverageEntry>& entries) override {
    state_.coverage.insert(state_.coverage.end(), entries.begin(), entries.end());
    return Status::Ok();
  }
  Result<std::vector<CoverageEntry>> DoCoverageEntries() override { return state_.coverage; }

  Result<std::vector<BlockTotal>> DoTotals(const std::string& zone, int32_t first_day,
                                           int32_t last_day) override {
    std::vector<BlockTotal> out;
    const ZoneBlocks& blocks = state_.blocks[zone];
    for (auto it = blocks.lower_bound(BlockKey{first_day, "", 0});
         it != blocks.end() && std::get<0>(it->first) <= last_day; ++it) {
      out.push_back(BlockTotal{std::get<0>(it->first), std::get<1>(it->first), it->second.port,
                               it->second.Accesses(), it->second.Sources()});
    }
    return out;
  }

  Status DoScanBlocks(const std::string& zone, int32_t first_day, int32_t last_day,
                      const BlockVisitor& visit) override {
    const ZoneBlocks& blocks = state_.blocks[zone];
    for (auto it = blocks.lower_bound(BlockKey{first_day, "", 0});
         it != blocks.end() && std::get<0>(it->first) <= last_day; ++it) {
      SCANSCOPE_RETURN_IF_ERROR(visit(std::get<1>(it->first), it->second));
    }
    return Status::Ok();
  }

  MemoryState state_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(std::vector<TimeZone> zones) {
  return std::make_unique<MemoryStore>(std::move(zones));
}

}  // namespace scanscope
