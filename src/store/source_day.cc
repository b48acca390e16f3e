#include "store/source_day.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>

#include "store/codec_util.h"

namespace scanscope {

using store_internal::Cursor;
using store_internal::PutVarint;
using store_internal::UnZigZag;
using store_internal::ZigZag;

namespace {

constexpr size_t kInitialCapacity = 256;  // per day; a power of two
constexpr uint8_t kBlockFormatVersion = 1;
constexpr uint8_t kCompressionNone = 0;
constexpr uint8_t kCompressionZstd = 1;
// Bodies smaller than this are stored raw: zstd's frame overhead would eat
// any gain and its per-call cost dominates.
constexpr size_t kCompressThreshold = 4096;
constexpr int kZstdLevel = 1;
// Smallest encoding of one row, less the one time-unit byte per block:
// 1 shared-length byte + >= 1 address byte + 1 byte each for accesses,
// first delta and span, so >= 5; 4 leaves room for the unit byte.
constexpr size_t kMinRowBytes = 4;
// Largest: 1 + 16 + 3 varints of 10 bytes (+ the time-unit byte).
constexpr size_t kMaxRowBytes = 1 + 16 + 30 + 1;
// Time units by exponent: ns, us, ms, s.
constexpr int64_t kUnits[4] = {1, 1000, 1000000, 1000000000};

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t BigEndian64(const uint8_t* p) { return __builtin_bswap64(Load64(p)); }

// Source-day key hash within one day: mixes the address words with the port. Any decent
// 64-bit mix will do; this one is two multiplies and two shifts.
inline size_t HashKey(const IpAddress& source, uint32_t port_code) {
  const uint8_t* b = source.bytes().data();
  uint64_t h = Load64(b + 8) + Load64(b) * 0x9E3779B97F4A7C15ull;
  h ^= uint64_t{port_code} * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 32;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return static_cast<size_t>(h);
}

inline bool SameSource(const IpAddress& a, const IpAddress& b) {
  const uint8_t* x = a.bytes().data();
  const uint8_t* y = b.bytes().data();
  return ((Load64(x) ^ Load64(y)) | (Load64(x + 8) ^ Load64(y + 8))) == 0;
}

inline bool SourceLess(const IpAddress& a, const IpAddress& b) {
  uint64_t ah = BigEndian64(a.bytes().data()), bh = BigEndian64(b.bytes().data());
  if (ah != bh) return ah < bh;
  return BigEndian64(a.bytes().data() + 8) < BigEndian64(b.bytes().data() + 8);
}

}  // namespace

uint64_t SourceDayBlock::Accesses() const {
  uint64_t sum = 0;
  for (const SourceDayRow& r : rows) sum += r.accesses;
  return sum;
}

void MergeBlockRows(std::vector<SourceDayRow>* a, std::span<const SourceDayRow> b) {
  if (b.empty()) return;
  if (a->empty()) {
    a->assign(b.begin(), b.end());
    return;
  }
  std::vector<SourceDayRow> out;
  out.reserve(a->size() + b.size());
  size_t i = 0, j = 0;
  while (i < a->size() && j < b.size()) {
    const SourceDayRow& x = (*a)[i];
    const SourceDayRow& y = b[j];
    if (SourceLess(x.source, y.source)) {
      out.push_back(x);
      ++i;
    } else if (SourceLess(y.source, x.source)) {
      out.push_back(y);
      ++j;
    } else {
      SourceDayRow m = x;
      m.accesses += y.accesses;
      m.first_ns = std::min(x.first_ns, y.first_ns);
      m.last_ns = std::max(x.last_ns, y.last_ns);
      out.push_back(m);
      ++i;
      ++j;
    }
  }
  out.insert(out.end(), a->begin() + static_cast<std::ptrdiff_t>(i), a->end());
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(j), b.end());
  *a = std::move(out);
}

// Format (docs/store.md): version byte, compression byte, varint row count,
// [varint body size if compressed], body (raw or one zstd frame), CRC-32C of
// everything before it (4 bytes, little-endian). The body is column-wise:
// addresses (per row: count of leading bytes shared with the previous
// address, 0..15, then the rest; an IPv4-mapped neighbour costs 1 + <= 4
// bytes), accesses (varint), one byte u (times are in units of 1000^u ns),
// first (zigzag varint delta from the previous row's first, the first from
// 0), and last - first (varint; rows must have first_ns <= last_ns).
std::string EncodeBlockRows(std::span<const SourceDayRow> rows) {
  std::string body;
  body.reserve(rows.size() * 14);
  const uint8_t* prev = nullptr;
  for (const SourceDayRow& r : rows) {
    const uint8_t* cur = r.source.bytes().data();
    size_t shared = 0;
    if (prev != nullptr) {
      while (shared < 15 && cur[shared] == prev[shared]) ++shared;
    }
    body.push_back(static_cast<char>(shared));
    body.append(reinterpret_cast<const char*>(cur + shared), 16 - shared);
    prev = cur;
  }
  for (const SourceDayRow& r : rows) PutVarint(&body, r.accesses);
  // The coarsest of s, ms, us, ns that divides every time (captures rarely
  // carry true nanoseconds), so that deltas are shorter.
  int unit_exp = 3;
  for (const SourceDayRow& r : rows) {
    while (unit_exp > 0 &&
           (r.first_ns % kUnits[unit_exp] != 0 || r.last_ns % kUnits[unit_exp] != 0)) {
      --unit_exp;
    }
    if (unit_exp == 0) break;
  }
  const int64_t unit = kUnits[unit_exp];
  body.push_back(static_cast<char>(unit_exp));
  uint64_t prev_first = 0;
  for (const SourceDayRow& r : rows) {
    auto first = static_cast<uint64_t>(r.first_ns / unit);
    PutVarint(&body, ZigZag(static_cast<int64_t>(first - prev_first)));
    prev_first = first;
  }
  for (const SourceDayRow& r : rows) {
    PutVarint(&body,
              static_cast<uint64_t>(r.last_ns / unit) - static_cast<uint64_t>(r.first_ns / unit));
  }

  std::string out;
  out.reserve(body.size() / 2 + 24);
  out.push_back(static_cast<char>(kBlockFormatVersion));
  bool compressed = false;
  if (body.size() >= kCompressThreshold) {
    std::string frame;
    if (store_internal::ZstdCompress(body, kZstdLevel, &frame) && frame.size() < body.size()) {
      out.push_back(static_cast<char>(kCompressionZstd));
      PutVarint(&out, rows.size());
      PutVarint(&out, body.size());
      out += frame;
      compressed = true;
    }
  }
  if (!compressed) {
    out.push_back(static_cast<char>(kCompressionNone));
    PutVarint(&out, rows.size());
    out += body;
  }
  PutU32(&out, store_internal::Crc32c(out.data(), out.size()));
  return out;
}

Status DecodeBlockRows(std::string_view bytes, std::vector<SourceDayRow>* rows) {
  rows->clear();
  if (bytes.size() < 2 + 1 + 4) return Status::Corruption("source-day block: too short");
  size_t content = bytes.size() - 4;
  uint32_t want = GetU32(bytes.data() + content);
  if (store_internal::Crc32c(bytes.data(), content) != want) {
    return Status::Corruption("source-day block: checksum mismatch");
  }
  Cursor in(bytes.substr(0, content));
  uint8_t version = 0, compression = 0;
  uint64_t count = 0;
  if (!in.Byte(&version) || !in.Byte(&compression) || !in.Varint(&count)) {
    return Status::Corruption("source-day block: bad header");
  }
  if (version != kBlockFormatVersion) {
    return Status::Corruption("source-day block: unknown format version " +
                              std::to_string(version));
  }
  std::string inflated;
  std::string_view body;
  if (compression == kCompressionNone) {
    body = std::string_view(in.data(), in.remaining());
  } else if (compression == kCompressionZstd) {
    uint64_t body_size = 0;
    if (!in.Varint(&body_size)) return Status::Corruption("source-day block: bad body size");
    if (count == 0 || body_size / kMaxRowBytes > count || body_size / kMinRowBytes < count) {
      return Status::Corruption("source-day block: body size does not fit row count");
    }
    if (!store_internal::ZstdDecompress(std::string_view(in.data(), in.remaining()),
                                        static_cast<size_t>(body_size), &inflated)) {
      return Status::Corruption("source-day block: bad zstd frame");
    }
    body = inflated;
  } else {
    return Status::Corruption("source-day block: unknown compression " +
                              std::to_string(compression));
  }
  if (body.size() / kMinRowBytes < count) {
    return Status::Corruption("source-day block: row count exceeds body");
  }
  rows->resize(static_cast<size_t>(count));
  Cursor b(body);
  auto fail = [rows](const char* what) {
    rows->clear();
    return Status::Corruption(std::string("source-day block: ") + what);
  };
  std::array<uint8_t, 16> addr{};
  for (size_t i = 0; i < count; ++i) {
    uint8_t shared = 0;
    const char* rest = nullptr;
    if (!b.Byte(&shared) || shared > 15 || (i == 0 && shared != 0) ||
        !b.Bytes(16 - shared, &rest)) {
      return fail("bad address");
    }
    std::memcpy(addr.data() + shared, rest, 16 - shared);
    (*rows)[i].source = IpAddress::FromBytes(addr);
    if (i > 0 && !SourceLess((*rows)[i - 1].source, (*rows)[i].source)) {
      return fail("sources not strictly ascending");
    }
  }
  for (size_t i = 0; i < count; ++i) {
    uint64_t v = 0;
    if (!b.Varint(&v) || v == 0) return fail("bad access count");
    (*rows)[i].accesses = v;
  }
  uint8_t unit_exp = 0;
  if (!b.Byte(&unit_exp) || unit_exp > 3) return fail("bad time unit");
  const int64_t unit = kUnits[unit_exp];
  uint64_t prev_first = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t v = 0;
    if (!b.Varint(&v)) return fail("bad first-seen time");
    prev_first += static_cast<uint64_t>(UnZigZag(v));
    if (__builtin_mul_overflow(static_cast<int64_t>(prev_first), unit, &(*rows)[i].first_ns)) {
      return fail("first-seen time out of range");
    }
  }
  for (size_t i = 0; i < count; ++i) {
    uint64_t v = 0;
    if (!b.Varint(&v)) return fail("bad last-seen time");
    int64_t first_units = (*rows)[i].first_ns / unit;
    int64_t last_units = static_cast<int64_t>(static_cast<uint64_t>(first_units) + v);
    if (last_units < first_units || __builtin_mul_overflow(last_units, unit, &(*rows)[i].last_ns)) {
      return fail("bad last-seen time");
    }
  }
  if (!b.empty()) return fail("trailing bytes");
  return Status::Ok();
}

SourceDayTable::SourceDayTable() = default;
SourceDayTable::~SourceDayTable() = default;
SourceDayTable::SourceDayTable(SourceDayTable&&) noexcept = default;
SourceDayTable& SourceDayTable::operator=(SourceDayTable&&) noexcept = default;

SourceDayTable::DayTable* SourceDayTable::ForDay(int32_t day) {
  if (last_ != nullptr && last_->day == day) return last_;
  auto it = by_day_.find(day);
  if (it != by_day_.end()) return last_ = it->second;
  auto t = std::make_unique<DayTable>();
  t->day = day;
  t->slots.resize(kInitialCapacity);
  t->mask = kInitialCapacity - 1;
  last_ = t.get();
  by_day_.emplace(day, last_);
  days_.push_back(std::move(t));
  return last_;
}

void SourceDayTable::Add(int32_t day, PortType port, const IpAddress& source, int64_t time_ns,
                         uint64_t accesses) {
  if (accesses == 0) return;
  DayTable* t = ForDay(day);
  const uint32_t code = port.Code();
  size_t i = HashKey(source, code) & t->mask;
  for (;;) {
    Slot& s = t->slots[i];
    if (s.accesses == 0) break;
    if (s.port_code == code && SameSource(s.source, source)) {
      s.accesses += accesses;
      if (time_ns < s.first_ns) s.first_ns = time_ns;
      if (time_ns > s.last_ns) s.last_ns = time_ns;
      return;
    }
    i = (i + 1) & t->mask;
  }
  // A new key: grow first if the load would pass ~0.7, then insert.
  if ((t->size + 1) * 10 > t->slots.size() * 7) {
    Grow(t);
    i = HashKey(source, code) & t->mask;
    while (t->slots[i].accesses != 0) i = (i + 1) & t->mask;
  }
  Slot& s = t->slots[i];
  s.source = source;
  s.port_code = code;
  s.accesses = accesses;
  s.first_ns = time_ns;
  s.last_ns = time_ns;
  ++t->size;
  ++size_;
}

void SourceDayTable::AddRecords(std::span<const AccessRecord> records,
                                std::span<const int32_t> days) {
  // Far enough ahead to cover a cache miss, near enough to stay in L1.
  constexpr size_t kAhead = 8;
  const size_t n = std::min(records.size(), days.size());
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n && last_ != nullptr && days[i + kAhead] == last_->day) {
      const AccessRecord& next = records[i + kAhead];
      __builtin_prefetch(&last_->slots[HashKey(next.source, next.port_type.Code()) & last_->mask],
                         1);
    }
    Add(days[i], records[i].port_type, records[i].source, records[i].time_ns);
  }
}

void SourceDayTable::Grow(DayTable* t) {
  std::vector<Slot> old(t->slots.size() * 2);
  old.swap(t->slots);
  t->mask = t->slots.size() - 1;
  for (const Slot& s : old) {
    if (s.accesses == 0) continue;
    size_t i = HashKey(s.source, s.port_code) & t->mask;
    while (t->slots[i].accesses != 0) i = (i + 1) & t->mask;
    t->slots[i] = s;
  }
}

std::vector<SourceDayBlock> SourceDayTable::TakeBlocks() {
  std::sort(days_.begin(), days_.end(),
            [](const std::unique_ptr<DayTable>& a, const std::unique_ptr<DayTable>& b) {
              return a->day < b->day;
            });
  // Days are independent: a big table is turned into blocks on two threads,
  // each taking every other day, then the days are put back in order.
  std::vector<std::vector<SourceDayBlock>> per_day(days_.size());
  auto work = [&](size_t first) {
    for (size_t i = first; i < days_.size(); i += 2) {
      DayToBlocks(days_[i].get(), &per_day[i]);
    }
  };
  if (size_ >= kParallelRows && days_.size() > 1) {
    std::thread other(work, 1);
    work(0);
    other.join();
  } else {
    for (size_t i = 0; i < days_.size(); ++i) {
      DayToBlocks(days_[i].get(), &per_day[i]);
    }
  }
  std::vector<SourceDayBlock> blocks;
  size_t total = 0;
  for (const auto& d : per_day) total += d.size();
  blocks.reserve(total);
  for (auto& d : per_day) {
    for (SourceDayBlock& b : d) blocks.push_back(std::move(b));
  }
  days_.clear();
  by_day_.clear();
  last_ = nullptr;
  size_ = 0;
  return blocks;
}

// Buckets the day's rows by port with a small map from port code to block,
// then sorts each block's rows by source and the day's blocks by port.
void SourceDayTable::DayToBlocks(DayTable* day, std::vector<SourceDayBlock>* out) {
  std::unordered_map<uint32_t, uint32_t> block_of_port;
  std::vector<SourceDayBlock>& day_blocks = *out;
  for (const Slot& s : day->slots) {
    if (s.accesses == 0) continue;
    auto [it, inserted] =
        block_of_port.try_emplace(s.port_code, static_cast<uint32_t>(day_blocks.size()));
    if (inserted) {
      SourceDayBlock b;
      b.day = day->day;
      // Codes come from PortType::Code(), so FromCode always succeeds.
      b.port = PortType::FromCode(s.port_code).value_or(PortType());
      day_blocks.push_back(std::move(b));
    }
    day_blocks[it->second].rows.push_back(
        SourceDayRow{s.source, s.accesses, s.first_ns, s.last_ns});
  }
  std::vector<Slot>().swap(day->slots);  // free as we go
  std::sort(day_blocks.begin(), day_blocks.end(),
            [](const SourceDayBlock& a, const SourceDayBlock& b) { return a.port < b.port; });
  for (SourceDayBlock& b : day_blocks) {
    std::sort(b.rows.begin(), b.rows.end(), [](const SourceDayRow& x, const SourceDayRow& y) {
      return SourceLess(x.source, y.source);
    });
  }
}

}  // namespace scanscope
