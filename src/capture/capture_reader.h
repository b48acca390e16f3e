#pragma once
// The pcap and pcapng readers (internal to src/capture), one class templated
// on its byte source (byte_source.h) so the mapped-file path is inlined
// pointer arithmetic. Formats are described in docs/capture-formats.md.
//
// Limits that keep hostile input harmless:
//  - a captured length above kMaxCaptureLength (256 KiB, tcpdump's largest
//    snaplen) is never believed;
//  - a pcapng block the reader must look inside (SHB, IDB, EPB, SPB, PB) may
//    be at most kMaxBlockLength long; others are skipped without buffering;
//  - at most kMaxInterfaces interfaces per pcapng section.
// So memory stays bounded whatever the file claims, and every step moves
// forward by at least one record header, so nothing loops.

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "capture/byte_source.h"
#include "capture/capture_file.h"

namespace scanscope::capture_internal {

inline constexpr uint32_t kMaxCaptureLength = 256 * 1024;
inline constexpr uint32_t kMaxBlockLength = 16 * 1024 * 1024;
inline constexpr size_t kMaxInterfaces = 1 << 16;

inline constexpr uint32_t kPcapMagicMicro = 0xa1b2c3d4;  // as read little-endian
inline constexpr uint32_t kPcapMagicNano = 0xa1b23c4d;
inline constexpr uint32_t kPcapngShb = 0x0a0d0d0a;  // the same in both orders
inline constexpr uint32_t kPcapngByteOrderMagic = 0x1a2b3c4d;

inline uint16_t LoadLe16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap16(v);
  return v;
}
inline uint32_t LoadLe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

// Reads integers in one file's (or one section's) byte order.
class ByteOrder {
 public:
  void set_big_endian(bool big) { swap_ = big != (std::endian::native == std::endian::big); }
  uint16_t U16(const uint8_t* p) const {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return swap_ ? __builtin_bswap16(v) : v;
  }
  uint32_t U32(const uint8_t* p) const {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return swap_ ? __builtin_bswap32(v) : v;
  }
  uint64_t U64(const uint8_t* p) const {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return swap_ ? __builtin_bswap64(v) : v;
  }

 private:
  bool swap_ = false;
};

// Adds with saturation at the int64 range (hostile timestamps clamp, never wrap).
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

// How one pcapng interface's timestamps become nanoseconds (if_tsresol,
// if_tsoffset; pcapng spec section 4.2).
class TimestampScale {
 public:
  // `tsresol`: MSB clear -> units of 10^-v s; MSB set -> units of 2^-v s.
  void Set(uint8_t tsresol, int64_t tsoffset_s) {
    const uint8_t v = tsresol & 0x7f;
    if (tsresol & 0x80) {
      kind_ = Kind::kBinary;
      shift_ = v;
    } else if (v <= 9) {
      kind_ = Kind::kMultiply;
      factor_ = Pow10(9 - v);
    } else if (v - 9 <= 19) {
      kind_ = Kind::kDivide;
      factor_ = Pow10(v - 9);
    } else {
      kind_ = Kind::kZero;  // units below 10^-28 s: every stamp is 0 ns
    }
    int64_t off;
    if (__builtin_mul_overflow(tsoffset_s, int64_t{1000000000}, &off)) {
      off = tsoffset_s > 0 ? std::numeric_limits<int64_t>::max()
                           : std::numeric_limits<int64_t>::min();
    }
    offset_ns_ = off;
  }
  int64_t ToNs(uint64_t ts) const {
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t ns = 0;
    switch (kind_) {
      case Kind::kMultiply:
        if (__builtin_mul_overflow(ts, factor_, &ns)) ns = kMax;
        break;
      case Kind::kDivide:
        ns = ts / factor_;
        break;
      case Kind::kBinary: {
        __extension__ using U128 = unsigned __int128;
        const U128 wide = (static_cast<U128>(ts) * 1000000000u) >> shift_;
        ns = wide > kMax ? kMax : static_cast<uint64_t>(wide);
        break;
      }
      case Kind::kZero:
        break;
    }
    if (ns > kMax) ns = kMax;
    return SaturatingAdd(static_cast<int64_t>(ns), offset_ns_);
  }

 private:
  enum class Kind : uint8_t { kMultiply, kDivide, kBinary, kZero };
  static uint64_t Pow10(int e) {
    uint64_t r = 1;
    while (e-- > 0) r *= 10;
    return r;
  }
  Kind kind_ = Kind::kMultiply;
  uint64_t factor_ = 1000;  // default: microseconds
  uint8_t shift_ = 0;
  int64_t offset_ns_ = 0;
};

template <class Source>
class CaptureReader final : public CaptureFile {
 public:
  // `keepalive` owns whatever the source's bytes live in (a mapping), if anything.
  template <class... SourceArgs>
  CaptureReader(std::string name, uint64_t size_hint, std::shared_ptr<void> keepalive,
                SourceArgs&&... args)
      : keepalive_(std::move(keepalive)),
        src_(std::forward<SourceArgs>(args)...),
        name_(std::move(name)),
        size_hint_(size_hint) {}

  // Reads the magic number and the pcap file header; errors mean "not a
  // capture this reader understands" and the reader must not be used.
  Status Init(CaptureFormat wanted);

  bool Next(Frame* frame) override {
    if (stopped_) return false;
    return pcapng_ ? NextPcapng(frame) : NextPcap(frame);
  }
  const Status& error() const override { return error_; }
  const CaptureCounters& counters() const override { return counters_; }
  uint64_t size_hint() const override { return size_hint_; }
  const std::vector<CoverageInterval>& statistics_spans() const override { return spans_; }

 private:
  bool NextPcap(Frame* frame);
  bool NextPcapng(Frame* frame);
  // Block handlers: true when `frame` was filled.
  bool OnSectionHeader(const uint8_t* p, uint32_t len);
  bool OnInterface(const uint8_t* p, uint32_t len);
  void OnStatistics(const uint8_t* p, uint32_t len);
  // Calls f(code, length, value) for each option of the block `p` of `len`
  // bytes from offset `off` up to its trailer; malformed options end the
  // list quietly (opt_endofopt, or a length past the block).
  template <class F>
  void ForEachOption(const uint8_t* p, size_t off, uint32_t len, F f) const {
    const size_t end = len - 4;
    while (off + 4 <= end) {
      const uint16_t code = order_.U16(p + off);
      const uint16_t olen = order_.U16(p + off + 2);
      if (code == 0 || off + 4 + olen > end) break;
      f(code, olen, p + off + 4);
      off += 4 + ((olen + 3u) & ~3u);
    }
  }
  bool OnPacket(const uint8_t* p, uint32_t len, uint32_t type, Frame* frame);

  // Stops the file: counts `issue` and records the message.
  bool Stop(CaptureIssue issue, Status status) {
    counters_.Add(issue);
    return Stop(std::move(status));
  }
  bool Stop(Status status) {
    stopped_ = true;
    error_ = std::move(status);
    counters_.bytes = src_.consumed();
    return false;
  }
  // The input ended: a clean end when nothing of a record was read (have ==
  // 0), else the record at `offset` was cut short.
  bool End(size_t have, size_t need, uint64_t offset, const char* what) {
    if (have == 0 && src_.error().ok()) return Stop(Status::Ok());
    if (have > 0) counters_.Add(CaptureIssue::kTruncatedRecord);
    if (!src_.error().ok()) return Stop(src_.error());
    return Stop(
        Status::Corruption(fmt::format("{}: truncated {} at offset {}: need {} bytes, file has {}",
                                       name_, what, offset, need, have)));
  }

  struct Interface {
    LinkType link_type;
    uint32_t snaplen;
    TimestampScale scale;
  };

  std::shared_ptr<void> keepalive_;
  Source src_;
  std::string name_;
  uint64_t size_hint_;
  CaptureCounters counters_;
  Status error_;
  bool stopped_ = false;
  bool pcapng_ = false;
  ByteOrder order_;
  // pcap
  LinkType pcap_link_ = LinkType::kEthernet;
  uint32_t pcap_max_caplen_ = kMaxCaptureLength;
  uint32_t pcap_snaplen_ = 0;
  int64_t pcap_frac_ns_ = 1000;  // nanoseconds per unit of the fraction field
  // pcapng
  std::vector<Interface> interfaces_;
  int64_t last_time_ns_ = 0;
  std::vector<CoverageInterval> spans_;  // from Interface Statistics Blocks
};

template <class Source>
Status CaptureReader<Source>::Init(CaptureFormat wanted) {
  const size_t have = src_.Ensure(24);
  if (!src_.error().ok() && have < 24) return src_.error();
  if (have == 0) return Status::InvalidArgument(fmt::format("{}: empty file", name_));
  if (have < 4) {
    return Status::InvalidArgument(
        fmt::format("{}: not a pcap or pcapng file ({} bytes)", name_, have));
  }
  const uint8_t* p = src_.data();
  const uint32_t magic = LoadLe32(p);
  if (magic == kPcapngShb) {
    if (wanted == CaptureFormat::kPcap) {
      return Status::InvalidArgument(fmt::format("{}: a pcapng file, not pcap", name_));
    }
    pcapng_ = true;  // the section header is read by NextPcapng like any block
    return Status::Ok();
  }
  bool big = false;
  if (magic == kPcapMagicMicro || magic == kPcapMagicNano) {
    big = false;
  } else if (magic == __builtin_bswap32(kPcapMagicMicro) ||
             magic == __builtin_bswap32(kPcapMagicNano)) {
    big = true;
  } else {
    return Status::InvalidArgument(
        fmt::format("{}: not a pcap or pcapng file (magic {:02x} {:02x} {:02x} {:02x})", name_,
                    p[0], p[1], p[2], p[3]));
  }
  if (wanted == CaptureFormat::kPcapng) {
    return Status::InvalidArgument(fmt::format("{}: a pcap file, not pcapng", name_));
  }
  if (have < 24) {
    return Status::Corruption(
        fmt::format("{}: truncated pcap file header ({} of 24 bytes)", name_, have));
  }
  order_.set_big_endian(big);
  const uint32_t host_magic = big ? __builtin_bswap32(magic) : magic;
  pcap_frac_ns_ = host_magic == kPcapMagicNano ? 1 : 1000;
  const uint16_t major = order_.U16(p + 4);
  if (major != 2) {
    return Status::Unsupported(
        fmt::format("{}: pcap version {}.{} (only 2.x is known)", name_, major, order_.U16(p + 6)));
  }
  pcap_snaplen_ = order_.U32(p + 16);
  // Snaplen 0 is written by some tools for "no limit".
  pcap_max_caplen_ =
      pcap_snaplen_ == 0 || pcap_snaplen_ > kMaxCaptureLength ? kMaxCaptureLength : pcap_snaplen_;
  // The low 16 bits are the LINKTYPE_; the high bits carry FCS information.
  pcap_link_ = static_cast<LinkType>(order_.U32(p + 20) & 0xffff);
  src_.Advance(24);
  counters_.bytes = src_.consumed();
  return Status::Ok();
}

template <class Source>
bool CaptureReader<Source>::NextPcap(Frame* frame) {
  constexpr size_t kHeader = 16;
  const uint64_t offset = src_.offset();
  size_t have = src_.Ensure(kHeader);
  if (have < kHeader) return End(have, kHeader, offset, "pcap record header");
  const uint8_t* p = src_.data();
  const uint32_t caplen = order_.U32(p + 8);
  if (caplen > pcap_max_caplen_) {
    return Stop(CaptureIssue::kBadRecordLength,
                Status::Corruption(fmt::format(
                    "{}: pcap record at offset {}: captured length {} exceeds {} {}", name_, offset,
                    caplen, caplen > kMaxCaptureLength ? "the limit" : "snaplen",
                    caplen > kMaxCaptureLength ? kMaxCaptureLength : pcap_snaplen_)));
  }
  const size_t need = kHeader + caplen;
  have = src_.Ensure(need);
  if (have < need) return End(have, need, offset, "pcap record");
  p = src_.data();
  frame->time_ns = static_cast<int64_t>(order_.U32(p)) * 1000000000 +
                   static_cast<int64_t>(order_.U32(p + 4)) * pcap_frac_ns_;
  frame->link_type = pcap_link_;
  frame->data = std::span<const uint8_t>(p + kHeader, caplen);
  frame->original_length = order_.U32(p + 12);
  src_.Advance(need);
  ++counters_.frames;
  counters_.bytes = src_.consumed();
  return true;
}

template <class Source>
bool CaptureReader<Source>::NextPcapng(Frame* frame) {
  for (;;) {
    const uint64_t offset = src_.offset();
    size_t have = src_.Ensure(12);
    if (have < 8) return End(have, 8, offset, "pcapng block header");
    const uint8_t* p = src_.data();
    const uint32_t raw_type = LoadLe32(p);
    if (raw_type == kPcapngShb) {
      // The byte-order magic after the length says how to read the length.
      if (have < 12) return End(have, 12, offset, "pcapng section header");
      const uint32_t bom = LoadLe32(p + 8);
      if (bom == kPcapngByteOrderMagic) {
        order_.set_big_endian(false);
      } else if (bom == __builtin_bswap32(kPcapngByteOrderMagic)) {
        order_.set_big_endian(true);
      } else {
        return Stop(CaptureIssue::kBadBlock,
                    Status::Corruption(fmt::format(
                        "{}: pcapng section header at offset {}: bad byte-order magic {:08x}",
                        name_, offset, bom)));
      }
    }
    const uint32_t type = order_.U32(p);
    const uint32_t len = order_.U32(p + 4);
    const bool parsed =
        type == kPcapngShb || type == 1 || type == 2 || type == 3 || type == 5 || type == 6;
    if (len % 4 != 0 || len < 12 || (parsed && len > kMaxBlockLength) ||
        (type == kPcapngShb && len < 28)) {
      return Stop(CaptureIssue::kBadBlock,
                  Status::Corruption(
                      fmt::format("{}: pcapng block at offset {}: bad block length {} (type {:#x})",
                                  name_, offset, len, type)));
    }
    if (!parsed) {
      // Skipped without buffering: past the body, then check the trailer.
      src_.Advance(8);
      if (!src_.Skip(len - 12) || src_.Ensure(4) < 4) {
        counters_.Add(CaptureIssue::kTruncatedRecord);
        if (!src_.error().ok()) return Stop(src_.error());
        return Stop(Status::Corruption(fmt::format(
            "{}: truncated pcapng block at offset {}: length {} runs past the end of the file",
            name_, offset, len)));
      }
      const uint32_t trailer = order_.U32(src_.data());
      if (trailer != len) {
        return Stop(CaptureIssue::kBadBlock,
                    Status::Corruption(fmt::format(
                        "{}: pcapng block at offset {}: trailing length {} differs from {}", name_,
                        offset, trailer, len)));
      }
      src_.Advance(4);
      counters_.Add(CaptureIssue::kSkippedBlock);
      counters_.bytes = src_.consumed();
      continue;
    }
    have = src_.Ensure(len);
    if (have < len) return End(have, len, offset, "pcapng block");
    p = src_.data();
    const uint32_t trailer = order_.U32(p + len - 4);
    if (trailer != len) {
      return Stop(CaptureIssue::kBadBlock,
                  Status::Corruption(fmt::format(
                      "{}: pcapng block at offset {}: trailing length {} differs from {}", name_,
                      offset, trailer, len)));
    }
    bool filled = false;
    if (type == kPcapngShb) {
      if (!OnSectionHeader(p, len)) return false;
    } else if (type == 1) {
      if (!OnInterface(p, len)) return false;
    } else if (type == 5) {
      OnStatistics(p, len);
    } else {
      filled = OnPacket(p, len, type, frame);
    }
    src_.Advance(len);
    counters_.bytes = src_.consumed();
    if (filled) {
      ++counters_.frames;
      return true;
    }
  }
}

// Section Header Block: byte order (already set), version, section length
// (ignored: blocks are read one after another, so -1 needs nothing special).
template <class Source>
bool CaptureReader<Source>::OnSectionHeader(const uint8_t* p, uint32_t /*len*/) {
  const uint16_t major = order_.U16(p + 12);
  if (major != 1) {
    return Stop(CaptureIssue::kBadBlock,
                Status::Unsupported(fmt::format(
                    "{}: pcapng section at offset {}: version {}.{} (only 1.x is known)", name_,
                    src_.offset(), major, order_.U16(p + 14))));
  }
  interfaces_.clear();  // interface numbers start again in each section
  return true;
}

// Interface Description Block: link type, snaplen, options if_tsresol (9)
// and if_tsoffset (14). Malformed options end the option list quietly.
template <class Source>
bool CaptureReader<Source>::OnInterface(const uint8_t* p, uint32_t len) {
  if (len < 20) {
    return Stop(CaptureIssue::kBadBlock,
                Status::Corruption(
                    fmt::format("{}: pcapng interface block at offset {}: length {} below 20",
                                name_, src_.offset(), len)));
  }
  if (interfaces_.size() >= kMaxInterfaces) {
    counters_.Add(CaptureIssue::kSkippedBlock);
    return true;
  }
  Interface iface{static_cast<LinkType>(order_.U16(p + 8)), order_.U32(p + 12), {}};
  uint8_t tsresol = 6;
  int64_t tsoffset = 0;
  ForEachOption(p, 16, len, [&](uint16_t code, uint16_t olen, const uint8_t* v) {
    if (code == 9 && olen >= 1) tsresol = v[0];
    if (code == 14 && olen >= 8) tsoffset = static_cast<int64_t>(order_.U64(v));
  });
  iface.scale.Set(tsresol, tsoffset);
  interfaces_.push_back(iface);
  return true;
}

// Interface Statistics Block: interface id, timestamp, then options; the
// span [isb_starttime (2), isb_endtime (3)) in the interface's time scale is
// what the capture watched. A block without both, of an unknown interface or
// with malformed options adds nothing (it is not needed to read packets).
template <class Source>
void CaptureReader<Source>::OnStatistics(const uint8_t* p, uint32_t len) {
  if (len < 24) return;
  const uint32_t iface_id = order_.U32(p + 8);
  if (iface_id >= interfaces_.size()) return;
  auto stamp = [&](const uint8_t* v) {
    return (static_cast<uint64_t>(order_.U32(v)) << 32) | order_.U32(v + 4);
  };
  bool have_start = false, have_end = false;
  uint64_t start = 0, end = 0;
  ForEachOption(p, 20, len, [&](uint16_t code, uint16_t olen, const uint8_t* v) {
    if (code == 2 && olen == 8) have_start = true, start = stamp(v);
    if (code == 3 && olen == 8) have_end = true, end = stamp(v);
  });
  if (!have_start || !have_end) return;
  const TimestampScale& scale = interfaces_[iface_id].scale;
  const int64_t from = scale.ToNs(start), to = scale.ToNs(end);
  if (from < to) spans_.push_back(CoverageInterval{from, to});
}

// Enhanced (6), Simple (3) and obsolete (2) Packet Blocks. A packet whose
// lengths disagree with its block is counted and skipped: the block framing
// is intact, so the next block can still be read.
template <class Source>
bool CaptureReader<Source>::OnPacket(const uint8_t* p, uint32_t len, uint32_t type, Frame* frame) {
  uint32_t iface_id;
  uint32_t caplen;
  uint32_t orig;
  size_t data_at;
  uint64_t ts = 0;
  if (type == 3) {
    if (len < 16) {
      counters_.Add(CaptureIssue::kBadRecordLength);
      return false;
    }
    iface_id = 0;
    orig = order_.U32(p + 8);
    data_at = 12;
    caplen = std::min(orig, len - 16);
    if (!interfaces_.empty() && interfaces_[0].snaplen != 0) {
      caplen = std::min(caplen, interfaces_[0].snaplen);
    }
  } else {
    if (len < 32) {
      counters_.Add(CaptureIssue::kBadRecordLength);
      return false;
    }
    iface_id = type == 6 ? order_.U32(p + 8) : order_.U16(p + 8);
    ts = (static_cast<uint64_t>(order_.U32(p + 12)) << 32) | order_.U32(p + 16);
    caplen = order_.U32(p + 20);
    orig = order_.U32(p + 24);
    data_at = 28;
    if (caplen > len - 32) {
      counters_.Add(CaptureIssue::kBadRecordLength);
      return false;
    }
  }
  if (caplen > kMaxCaptureLength) {
    counters_.Add(CaptureIssue::kBadRecordLength);
    return false;
  }
  if (iface_id >= interfaces_.size()) {
    counters_.Add(CaptureIssue::kUnknownInterface);
    return false;
  }
  const Interface& iface = interfaces_[iface_id];
  if (type != 3) last_time_ns_ = iface.scale.ToNs(ts);
  frame->time_ns = last_time_ns_;
  frame->link_type = iface.link_type;
  frame->data = std::span<const uint8_t>(p + data_at, caplen);
  frame->original_length = orig;
  return true;
}

}  // namespace scanscope::capture_internal
