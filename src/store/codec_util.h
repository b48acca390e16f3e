#pragma once
// Byte-level helpers shared by the store's codecs (source_day.cc,
// raw_chunk.cc): LEB128 varints, zigzag, CRC-32C
// and per-thread zstd contexts. Internal to src/store/; not a public API.
//
// Every reader takes a bounded cursor and returns false on running off the
// end or on an over-long varint, so that a decoder can turn any damage into
// Status::Corruption without reading out of bounds.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/little_endian.h"

namespace scanscope::store_internal {

// Appends `v` as LEB128 (7 bits a byte, low first; at most 10 bytes).
inline void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, static_cast<size_t>(n));
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// A bounded reader over bytes it does not own.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  const char* data() const { return p_; }

  bool Byte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool Bytes(size_t n, const char** out) {
    if (remaining() < n) return false;
    *out = p_;
    p_ += n;
    return true;
  }
  // Rejects varints longer than 10 bytes or with bits beyond 64.
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (p_ == end_) return false;
      uint64_t byte = static_cast<uint8_t>(*p_++);
      if (shift == 63 && byte > 1) return false;
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }

 private:
  const char* p_;
  const char* end_;
};

// CRC-32C (Castagnoli), as in iSCSI and LevelDB; slicing-by-8.
uint32_t Crc32c(const char* data, size_t n);

// Compresses `in` with zstd at `level` onto the end of *out (a per-thread
// context is reused). Returns false if zstd fails (it should not).
bool ZstdCompress(std::string_view in, int level, std::string* out);
// Decompresses a zstd frame that must hold exactly `expected_size` bytes into
// *out (resized). False on any damage or size mismatch.
bool ZstdDecompress(std::string_view in, size_t expected_size, std::string* out);

}  // namespace scanscope::store_internal
