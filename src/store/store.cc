#include "store/store.h"

#include <algorithm>
#include <thread>

namespace scanscope {

namespace {

// Raw records are handed to the backend in chunks of this many.
constexpr size_t kRawChunkRecords = 64 * 1024;

Status CheckName(const std::string& what, const std::string& name) {
  if (name.empty()) return Status::InvalidArgument(what + " must not be empty");
  if (name.size() > 1024) return Status::InvalidArgument(what + " is longer than 1024 bytes");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument(what + " holds a control character: \"" + name + "\"");
    }
  }
  return Status::Ok();
}

Status CheckDays(int32_t first_day, int32_t last_day) {
  if (first_day > last_day) {
    return Status::InvalidArgument("day range is empty: " + FormatDay(first_day) + " > " +
                                   FormatDay(last_day));
  }
  return Status::Ok();
}

}  // namespace

IngestWriter::IngestWriter(std::vector<TimeZone> zones) : zones_(std::move(zones)) {
  day_finders_.reserve(zones_.size());
  for (const TimeZone& z : zones_) day_finders_.emplace_back(z);
  tables_.resize(zones_.size());
  raw_buffer_.reserve(kRawChunkRecords);
}

Status IngestWriter::Add(std::span<const AccessRecord> records) {
  SCANSCOPE_RETURN_IF_ERROR(AddToDays(records));
  return AppendRaw(records);
}

Status IngestWriter::AddToDays(std::span<const AccessRecord> records) {
  if (committed_) return Status::InvalidArgument("ingest: Add after Commit");
  const size_t zones = tables_.size();
  for (size_t z = 0; z < zones; ++z) {
    DayFinder& finder = day_finders_[z];
    days_.resize(records.size());
    for (size_t i = 0; i < records.size(); ++i) days_[i] = finder.Day(records[i].time_ns);
    tables_[z].AddRecords(records, days_);
  }
  accesses_ += records.size();
  return Status::Ok();
}

Status IngestWriter::AppendRaw(std::span<const AccessRecord> records) {
  if (committed_ || raw_failed_)
    return Status::InvalidArgument("ingest: Add after Commit or error");
  while (!records.empty()) {
    size_t room = kRawChunkRecords - raw_buffer_.size();
    size_t n = std::min(room, records.size());
    std::span<const AccessRecord> part = records.first(n);
    records = records.subspan(n);
    Status st;
    if (raw_buffer_.empty() && n == kRawChunkRecords) {
      st = DoAppendRaw(part);  // a whole chunk from the caller: no copy
    } else {
      raw_buffer_.insert(raw_buffer_.end(), part.begin(), part.end());
      if (raw_buffer_.size() == kRawChunkRecords) {
        st = DoAppendRaw(raw_buffer_);
        raw_buffer_.clear();
      }
    }
    if (!st.ok()) {
      raw_failed_ = true;  // the writer is unusable after a backend error
      return st;
    }
  }
  return Status::Ok();
}

// Fills every block's encoded_rows, on two threads when there are many.
void IngestWriter::EncodeBlocks(std::vector<SourceDayBlock>* blocks) {
  constexpr size_t kParallelBlocks = 512;
  auto work = [blocks](size_t first) {
    for (size_t i = first; i < blocks->size(); i += 2) {
      SourceDayBlock& b = (*blocks)[i];
      b.encoded_rows = EncodeBlockRows(b.rows);
    }
  };
  if (blocks->size() < kParallelBlocks) {
    for (SourceDayBlock& b : *blocks) b.encoded_rows = EncodeBlockRows(b.rows);
    return;
  }
  std::thread other(work, 1);
  work(0);
  other.join();
}

Status IngestWriter::Commit(const std::string& summary_json) {
  if (committed_ || raw_failed_) {
    return Status::InvalidArgument("ingest: Commit after Commit (or after an error)");
  }
  committed_ = true;
  if (!raw_buffer_.empty()) {
    SCANSCOPE_RETURN_IF_ERROR(DoAppendRaw(raw_buffer_));
    raw_buffer_.clear();
  }
  std::vector<std::vector<SourceDayBlock>> blocks(tables_.size());
  for (size_t z = 0; z < tables_.size(); ++z) {
    blocks[z] = tables_[z].TakeBlocks();
    EncodeBlocks(&blocks[z]);
  }
  return DoCommit(std::move(blocks), accesses_, summary_json);
}

Status Store::PutPoint(const MonitoringPoint& point) {
  SCANSCOPE_RETURN_IF_ERROR(CheckName("point name", point.name));
  return DoPutPoint(point);
}

Status Store::PutPointStatus(const PointStatus& status) {
  SCANSCOPE_RETURN_IF_ERROR(CheckName("point name", status.point));
  if (status.status_json.size() > (1u << 20)) {
    return Status::InvalidArgument("point status of " + status.point + " is larger than 1 MiB");
  }
  return DoPutPointStatus(status);
}

Result<std::vector<PointStatus>> Store::PointStatuses() { return DoPointStatuses(); }

Status Store::DoPutPointStatus(const PointStatus&) {
  return Status::Unsupported("this store does not keep sensor status");
}

Result<std::vector<PointStatus>> Store::DoPointStatuses() {
  return Status::Unsupported("this store does not keep sensor status");
}

Result<std::unique_ptr<IngestWriter>> Store::BeginIngest(const BatchInfo& info) {
  SCANSCOPE_RETURN_IF_ERROR(CheckName("batch id", info.batch_id));
  SCANSCOPE_RETURN_IF_ERROR(CheckName("point name", info.point));
  Result<std::vector<std::string>> names = Zones();
  if (!names.ok()) return names.status();
  std::vector<TimeZone> zones;
  for (const std::string& name : *names) {
    Result<TimeZone> z = TimeZone::Find(name);
    if (!z.ok()) return z.status();
    zones.push_back(*z);
  }
  return DoBeginIngest(info, std::move(zones));
}

Status Store::AddZone(const TimeZone& zone) {
  Result<std::vector<std::string>> names = Zones();
  if (!names.ok()) return names.status();
  if (std::find(names->begin(), names->end(), zone.name()) != names->end()) {
    return Status::AlreadyExists("zone " + zone.name() + " is already kept");
  }
  return DoAddZone(zone);
}

Status Store::EnsureZone(const TimeZone& zone) {
  Result<std::vector<std::string>> names = Zones();
  if (!names.ok()) return names.status();
  if (std::find(names->begin(), names->end(), zone.name()) != names->end()) return Status::Ok();
  return DoAddZone(zone);
}

namespace {
Status CheckKeptZone(Store* store, const TimeZone& zone) {
  Result<std::vector<std::string>> names = store->Zones();
  if (!names.ok()) return names.status();
  if (std::find(names->begin(), names->end(), zone.name()) == names->end()) {
    return Status::NotFound("zone " + zone.name() + " is not kept by the store (EnsureZone first)");
  }
  return Status::Ok();
}
}  // namespace

Result<std::vector<BlockTotal>> Store::Totals(const TimeZone& zone, int32_t first_day,
                                              int32_t last_day) {
  SCANSCOPE_RETURN_IF_ERROR(CheckDays(first_day, last_day));
  SCANSCOPE_RETURN_IF_ERROR(CheckKeptZone(this, zone));
  return DoTotals(zone.name(), first_day, last_day);
}

Status Store::ScanBlocks(const TimeZone& zone, int32_t first_day, int32_t last_day,
                         const BlockVisitor& visit) {
  SCANSCOPE_RETURN_IF_ERROR(CheckDays(first_day, last_day));
  if (!visit) return Status::InvalidArgument("ScanBlocks: no visitor");
  SCANSCOPE_RETURN_IF_ERROR(CheckKeptZone(this, zone));
  return DoScanBlocks(zone.name(), first_day, last_day, visit);
}

}  // namespace scanscope
