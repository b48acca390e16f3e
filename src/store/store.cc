#include "store/store.h"

#include <algorithm>
#include <climits>
#include <thread>
#include <tuple>

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
  // Add holds a whole batch (a collector's: seconds of traffic): only the
  // stored records of its own span are read, not whole hours.
  if (committed_) return Status::InvalidArgument("ingest: Add after Commit");
  std::vector<AccessRecord> fresh(records.begin(), records.end());
  if (duplicates_) {
    Result<uint64_t> removed = duplicates_->FilterSpan(&fresh);
    if (!removed.ok()) return removed.status();
  }
  SCANSCOPE_RETURN_IF_ERROR(AddToDays(fresh));
  return AppendRaw(fresh);
}

Result<uint64_t> IngestWriter::RemoveStored(std::vector<AccessRecord>* records) {
  if (committed_) return Status::InvalidArgument("ingest: Add after Commit");
  if (!duplicates_) return uint64_t{0};
  return duplicates_->Filter(records);
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

IngestWriter::~IngestWriter() {
  for (bool* open : open_flags_) *open = false;
}

Status Store::CheckNoWriter(const char* what) const {
  if (writer_open_) return Status::InvalidArgument(std::string(what) + " while an ingest is open");
  return Status::Ok();
}

Status Store::PutPoint(const MonitoringPoint& point) {
  SCANSCOPE_RETURN_IF_ERROR(CheckName("point name", point.name));
  SCANSCOPE_RETURN_IF_ERROR(CheckNoWriter("PutPoint"));
  return DoPutPoint(point);
}

Status Store::PutPointStatus(const PointStatus& status) {
  SCANSCOPE_RETURN_IF_ERROR(CheckName("point name", status.point));
  if (status.status_json.size() > (1u << 20)) {
    return Status::InvalidArgument("point status of " + status.point + " is larger than 1 MiB");
  }
  SCANSCOPE_RETURN_IF_ERROR(CheckNoWriter("PutPointStatus"));
  Result<bool> known = DoHasPoint(status.point);
  if (!known.ok()) return known.status();
  if (!*known) {
    return Status::NotFound(Name() + ": monitoring point " + status.point + " is not in the store");
  }
  return DoPutPointStatus(status);
}

Result<std::vector<PointStatus>> Store::PointStatuses() { return DoPointStatuses(); }

Result<std::unique_ptr<IngestWriter>> Store::BeginIngest(const BatchInfo& info) {
  SCANSCOPE_RETURN_IF_ERROR(CheckName("batch id", info.batch_id));
  SCANSCOPE_RETURN_IF_ERROR(CheckName("point name", info.point));
  if (writer_open_) return Status::InvalidArgument("an ingest is already open on this store");
  // Points are never removed, so this check may precede the writer's transaction.
  Result<bool> known = DoHasPoint(info.point);
  if (!known.ok()) return known.status();
  if (!*known) {
    return Status::NotFound(Name() + ": monitoring point " + info.point + " is not in the store");
  }
  Result<std::vector<std::string>> names = Zones();
  if (!names.ok()) return names.status();
  std::vector<TimeZone> zones;
  for (const std::string& name : *names) {
    Result<TimeZone> z = TimeZone::Find(name);
    if (!z.ok()) return z.status();
    zones.push_back(*z);
  }
  Result<std::unique_ptr<IngestWriter>> writer = DoBeginIngest(info, std::move(zones));
  if (!writer.ok()) return writer.status();
  // Inside the writer's transaction where there is one: no other process can
  // commit the same batch between this look and this batch's commit. On a
  // refusal the writer goes, and with it its transaction.
  Result<std::optional<std::string>> origin = DoFindBatch(info.batch_id);
  if (!origin.ok()) return origin.status();
  if (*origin) {
    return Status::AlreadyExists("batch " + info.batch_id + " is already ingested (" + **origin +
                                 ")");
  }
  writer_open_ = true;
  (*writer)->open_flags_.push_back(&writer_open_);
  // The point's records already stored, one hour at a time, for telling the
  // batch's new accesses from those it repeats.
  (*writer)->duplicates_ = std::make_unique<DuplicateFilter>(
      [this, point = info.point](int64_t from, int64_t to, const DuplicateFilter::RecordSink& add) {
        return DoScanRaw(point, from, to, [&](std::span<const AccessRecord> records) {
          add(records);
          return Status::Ok();
        });
      });
  return writer;
}

Status Store::AddZone(const TimeZone& zone) {
  Result<std::vector<std::string>> names = Zones();
  if (!names.ok()) return names.status();
  if (std::find(names->begin(), names->end(), zone.name()) != names->end()) {
    return Status::AlreadyExists("zone " + zone.name() + " is already kept");
  }
  return BuildZone(zone);
}

Status Store::EnsureZone(const TimeZone& zone) {
  Result<std::vector<std::string>> names = Zones();
  if (!names.ok()) return names.status();
  if (std::find(names->begin(), names->end(), zone.name()) != names->end()) return Status::Ok();
  return BuildZone(zone);
}

// The days of a new zone, from every point's raw records; refused when
// retention has dropped raw records of any batch, whose days would silently
// lack them.
Status Store::BuildZone(const TimeZone& zone) {
  SCANSCOPE_RETURN_IF_ERROR(CheckNoWriter("AddZone"));
  Result<std::vector<LedgerEntry>> ledger = Ledger();
  if (!ledger.ok()) return ledger.status();
  Result<std::map<std::string, uint64_t>> kept = DoRawRecordsByBatch();
  if (!kept.ok()) return kept.status();
  for (const LedgerEntry& e : *ledger) {
    auto it = kept->find(e.batch_id);
    const uint64_t have = it == kept->end() ? 0 : it->second;
    if (have != e.accesses) {
      return Status::NotFound(Name() + ": cannot build days of zone " + zone.name() +
                              ": raw records of batch " + e.batch_id + " (point " + e.point +
                              ") were deleted by retention (" + std::to_string(have) + " of " +
                              std::to_string(e.accesses) + " kept)");
    }
  }
  Result<std::vector<MonitoringPoint>> points = Points();
  if (!points.ok()) return points.status();
  return DoStoreZone(zone, [&](const ZoneBlockSink& put) -> Status {
    for (const MonitoringPoint& p : *points) {
      SourceDayTable table;
      DayFinder finder(zone);
      std::vector<int32_t> days;
      SCANSCOPE_RETURN_IF_ERROR(
          DoScanRaw(p.name, INT64_MIN, INT64_MAX, [&](std::span<const AccessRecord> records) {
            days.resize(records.size());
            for (size_t i = 0; i < records.size(); ++i) days[i] = finder.Day(records[i].time_ns);
            table.AddRecords(records, days);
            return Status::Ok();
          }));
      SCANSCOPE_RETURN_IF_ERROR(put(p.name, table.TakeBlocks()));
    }
    return Status::Ok();
  });
}

Result<LedgerEntry> Store::Forget(const std::string& batch_id) {
  SCANSCOPE_RETURN_IF_ERROR(CheckName("batch id", batch_id));
  SCANSCOPE_RETURN_IF_ERROR(CheckNoWriter("Forget"));
  Result<std::vector<LedgerEntry>> ledger = Ledger();
  if (!ledger.ok()) return ledger.status();
  auto it = std::find_if(ledger->begin(), ledger->end(),
                         [&](const LedgerEntry& e) { return e.batch_id == batch_id; });
  if (it == ledger->end()) {
    return Status::NotFound(Name() + ": no batch " + batch_id + " in the ledger");
  }
  const LedgerEntry entry = *it;
  SCANSCOPE_RETURN_IF_ERROR(DoForget(entry,
                                     [&](const TimeZone& zone, int32_t first_day,
                                         int32_t last_day) -> Result<std::vector<SourceDayBlock>> {
                                       SourceDayTable table;
                                       DayFinder finder(zone);
                                       std::vector<int32_t> days;
                                       SCANSCOPE_RETURN_IF_ERROR(
                                           DoScanRaw(entry.point, zone.DayStartUtcNs(first_day),
                                                     zone.DayStartUtcNs(last_day + 1),
                                                     [&](std::span<const AccessRecord> records) {
                                                       days.resize(records.size());
                                                       for (size_t i = 0; i < records.size(); ++i)
                                                         days[i] = finder.Day(records[i].time_ns);
                                                       table.AddRecords(records, days);
                                                       return Status::Ok();
                                                     }));
                                       return table.TakeBlocks();
                                     }));
  return entry;
}

Result<std::vector<ForgottenBatch>> Store::Forgotten() { return DoForgotten(); }

std::string_view CoverageKindName(CoverageKind kind) {
  switch (kind) {
    case CoverageKind::kWatched:
      return "watched";
    case CoverageKind::kAdded:
      return "added";
    case CoverageKind::kRemoved:
      return "removed";
  }
  return "?";
}

std::optional<CoverageKind> ParseCoverageKind(std::string_view name) {
  for (CoverageKind k : {CoverageKind::kWatched, CoverageKind::kAdded, CoverageKind::kRemoved}) {
    if (name == CoverageKindName(k)) return k;
  }
  return std::nullopt;
}

Status Store::AddCoverage(const std::vector<CoverageEntry>& entries) {
  SCANSCOPE_RETURN_IF_ERROR(CheckNoWriter("AddCoverage"));
  std::vector<std::string> checked;
  for (const CoverageEntry& e : entries) {
    SCANSCOPE_RETURN_IF_ERROR(CheckName("coverage origin", e.origin));
    if (e.from_ns >= e.to_ns) {
      return Status::InvalidArgument("coverage of " + e.point + ": an empty interval (from " +
                                     std::to_string(e.from_ns) + " to " + std::to_string(e.to_ns) +
                                     ")");
    }
    if (std::find(checked.begin(), checked.end(), e.point) != checked.end()) continue;
    Result<bool> known = DoHasPoint(e.point);
    if (!known.ok()) return known.status();
    if (!*known) return Status::NotFound(Name() + ": no point " + e.point);
    checked.push_back(e.point);
  }
  if (entries.empty()) return Status::Ok();
  return DoAddCoverage(entries);
}

Result<std::vector<CoverageEntry>> Store::CoverageEntries() {
  Result<std::vector<CoverageEntry>> entries = DoCoverageEntries();
  if (!entries.ok()) return entries.status();
  std::sort(entries->begin(), entries->end(), [](const CoverageEntry& a, const CoverageEntry& b) {
    return std::tie(a.point, a.from_ns, a.to_ns, a.kind, a.origin) <
           std::tie(b.point, b.from_ns, b.to_ns, b.kind, b.origin);
  });
  return entries;
}

Result<std::map<std::string, IntervalSet>> Store::Coverage() {
  Result<std::vector<CoverageEntry>> entries = CoverageEntries();
  if (!entries.ok()) return entries.status();
  std::map<std::string, IntervalSet> out;
  for (const CoverageEntry& e : *entries) {
    if (e.kind != CoverageKind::kRemoved) out[e.point].Add(e.from_ns, e.to_ns);
  }
  for (const CoverageEntry& e : *entries) {
    if (e.kind == CoverageKind::kRemoved) out[e.point].Remove(e.from_ns, e.to_ns);
  }
  return out;
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

Status Store::ScanRaw(const std::string& point, int64_t from_ns, int64_t to_ns,
                      const RawVisitor& visit) {
  SCANSCOPE_RETURN_IF_ERROR(CheckName("point name", point));
  if (!visit) return Status::InvalidArgument("ScanRaw: no visitor");
  if (from_ns >= to_ns) return Status::Ok();
  return DoScanRaw(point, from_ns, to_ns, visit);
}

}  // namespace scanscope
