#include "store/memory_store.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

#include "common/clock.h"

namespace scanscope {
namespace {

// (day, point, port code): the in-zone key of a block. Ordered by point name,
// like the SQLite backend's answers.
using BlockKey = std::tuple<int32_t, std::string, uint32_t>;
using ZoneBlocks = std::map<BlockKey, SourceDayBlock>;

struct MemoryState {
  std::map<std::string, MonitoringPoint> points;
  std::vector<std::string> zone_names;
  std::map<std::string, ZoneBlocks> blocks;              // by zone name
  std::map<std::string, std::vector<AccessRecord>> raw;  // by point, arrival order
  std::vector<LedgerEntry> ledger;
  bool writer_open = false;
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
      : IngestWriter(std::move(zones)), state_(state), info_(std::move(info)) {
    state_->writer_open = true;
  }
  ~MemoryWriter() override { state_->writer_open = false; }

 private:
  Status DoAppendRaw(std::span<const AccessRecord> records) override {
    raw_.insert(raw_.end(), records.begin(), records.end());
    return Status::Ok();
  }
  Status DoCommit(std::vector<std::vector<SourceDayBlock>> blocks_by_zone, uint64_t accesses,
                  const std::string& summary_json) override {
    for (const LedgerEntry& e : state_->ledger) {
      if (e.batch_id == info_.batch_id) {
        return Status::AlreadyExists("batch " + info_.batch_id + " is already ingested");
      }
    }
    for (size_t z = 0; z < blocks_by_zone.size(); ++z) {
      MergeInto(&state_->blocks[zones()[z].name()], info_.point, std::move(blocks_by_zone[z]));
    }
    std::vector<AccessRecord>& raw = state_->raw[info_.point];
    raw.insert(raw.end(), raw_.begin(), raw_.end());
    LedgerEntry entry;
    entry.batch_id = info_.batch_id;
    entry.point = info_.point;
    entry.origin = info_.origin;
    entry.ingested_at_ns = NowNs();
    entry.accesses = accesses;
    entry.summary_json = summary_json;
    state_->ledger.push_back(std::move(entry));
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

 private:
  Status DoPutPoint(const MonitoringPoint& point) override {
    state_.points[point.name] = point;
    return Status::Ok();
  }

  Result<std::unique_ptr<IngestWriter>> DoBeginIngest(const BatchInfo& info,
                                                      std::vector<TimeZone> zones) override {
    if (state_.writer_open) {
      return Status::InvalidArgument("an ingest is already open on this store");
    }
    if (!state_.points.contains(info.point)) {
      return Status::NotFound("monitoring point " + info.point + " is not in the store");
    }
    for (const LedgerEntry& e : state_.ledger) {
      if (e.batch_id == info.batch_id) {
        return Status::AlreadyExists("batch " + info.batch_id + " is already ingested (" +
                                     e.origin + ")");
      }
    }
    return std::unique_ptr<IngestWriter>(new MemoryWriter(&state_, info, std::move(zones)));
  }

  Status DoPutPointStatus(const PointStatus& status) override {
    if (!state_.points.contains(status.point)) {
      return Status::NotFound("monitoring point " + status.point + " is not in the store");
    }
    statuses_[status.point] = status;
    return Status::Ok();
  }

  Result<std::vector<PointStatus>> DoPointStatuses() override {
    std::vector<PointStatus> out;
    for (const auto& [name, st] : statuses_) out.push_back(st);
    return out;
  }

  Status DoAddZone(const TimeZone& zone) override {
    ZoneBlocks blocks;
    for (const auto& [point, records] : state_.raw) {
      SourceDayTable table;
      DayFinder finder(zone);
      for (const AccessRecord& r : records) {
        table.Add(finder.Day(r.time_ns), r.port_type, r.source, r.time_ns);
      }
      MergeInto(&blocks, point, table.TakeBlocks());
    }
    state_.blocks[zone.name()] = std::move(blocks);
    state_.zone_names.push_back(zone.name());
    return Status::Ok();
  }

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
  std::map<std::string, PointStatus> statuses_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(std::vector<TimeZone> zones) {
  return std::make_unique<MemoryStore>(std::move(zones));
}

}  // namespace scanscope
