#pragma once
// Byte sources under the capture readers (internal to src/capture).
//
// A reader asks a source for the next `n` bytes as one contiguous run
// (Ensure), looks at them (data), and moves past them (Advance or Skip).
// Two sources with the same inline interface, so a reader templated on its
// source compiles to straight pointer arithmetic on the hot path:
//  - MemorySource: bytes already in memory (a mapped file or a caller's
//    buffer). Views into it are zero-copy and stay valid for its lifetime.
//  - StreamSource: bytes produced on demand into one reusable buffer, by
//    inflating gzip (from memory or a file descriptor) or by reading a
//    descriptor that cannot be mapped (a pipe). Views stay valid until the
//    next Ensure/Skip. Memory is bounded by the largest Ensure a reader asks
//    for (readers bound that) plus fixed zlib and input buffers.
// Neither source is thread-safe; one reader owns one source.

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace scanscope::capture_internal {

class MemorySource {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  // Makes up to `n` bytes available at data(); returns how many are (fewer
  // than `n` only at the end of the input).
  size_t Ensure(size_t n) {
    const size_t left = bytes_.size() - pos_;
    return n < left ? n : left;
  }
  const uint8_t* data() const { return bytes_.data() + pos_; }
  // Moves past `n` bytes; `n` must be at most what Ensure last returned.
  void Advance(size_t n) { pos_ += n; }
  // Moves past `n` bytes that need not be available; false (and at the end)
  // when the input ends first.
  bool Skip(uint64_t n) {
    const size_t left = bytes_.size() - pos_;
    if (n > left) {
      pos_ = bytes_.size();
      return false;
    }
    pos_ += static_cast<size_t>(n);
    return true;
  }
  // Offset of data() in the (uncompressed) byte stream.
  uint64_t offset() const { return pos_; }
  // Input bytes consumed so far (for progress against size_hint).
  uint64_t consumed() const { return pos_; }
  // OK unless producing bytes failed (corrupt gzip); never fails here.
  const Status& error() const { return error_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  Status error_;
};

class StreamSource {
 public:
  enum class Mode { kRaw, kGzip };
  // Reads from memory (`bytes` must outlive the source); only kGzip makes
  // sense here, a plain buffer belongs in a MemorySource.
  StreamSource(Mode mode, std::span<const uint8_t> bytes, std::string name);
  // Reads from `fd`, which the source then owns and closes. `prefix` holds
  // bytes already read from it (used to look at the magic number).
  StreamSource(Mode mode, int fd, std::vector<uint8_t> prefix, std::string name);
  ~StreamSource();
  StreamSource(const StreamSource&) = delete;
  StreamSource& operator=(const StreamSource&) = delete;

  size_t Ensure(size_t n) {
    const size_t have = end_ - begin_;
    if (have >= n) return n;
    return Refill(n);
  }
  const uint8_t* data() const { return buf_.data() + begin_; }
  void Advance(size_t n) {
    begin_ += n;
    offset_ += n;
  }
  bool Skip(uint64_t n);
  uint64_t offset() const { return offset_; }
  uint64_t consumed() const;
  const Status& error() const { return error_; }

 private:
  size_t Refill(size_t n);
  // Appends produced bytes after end_; false when nothing more will come.
  bool Produce();
  bool ProduceGzip();
  // Refills in_ from the descriptor; false at its end or on error.
  bool ReadInput();

  Mode mode_;
  std::string name_;
  // Input: either a span in memory, or a descriptor read into in_buf_.
  std::span<const uint8_t> in_mem_;
  int fd_ = -1;
  bool fd_eof_ = false;
  std::vector<uint8_t> in_buf_;
  size_t in_begin_ = 0, in_end_ = 0;
  uint64_t in_consumed_ = 0;  // input bytes handed to zlib or copied out
  // Output: the reusable window readers see.
  std::vector<uint8_t> buf_;
  size_t begin_ = 0, end_ = 0;
  uint64_t offset_ = 0;  // stream offset of buf_[begin_]
  bool done_ = false;    // no more bytes will be produced
  z_stream zs_{};
  bool zs_ready_ = false;   // inflateInit2 done (reset between members)
  bool in_member_ = false;  // inside a gzip member
  Status error_;
};

}  // namespace scanscope::capture_internal
