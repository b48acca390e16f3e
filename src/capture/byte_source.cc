#include "capture/byte_source.h"

#include <errno.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace scanscope::capture_internal {
namespace {

constexpr size_t kInitialWindow = 1 << 20;  // output window, grows to the largest Ensure
constexpr size_t kInputChunk = 256 << 10;   // descriptor reads
constexpr size_t kMaxInflateIn = 1u << 30;  // zlib counts in 32 bits

}  // namespace

StreamSource::StreamSource(Mode mode, std::span<const uint8_t> bytes, std::string name)
    : mode_(mode), name_(std::move(name)), in_mem_(bytes) {}

StreamSource::StreamSource(Mode mode, int fd, std::vector<uint8_t> prefix, std::string name)
    : mode_(mode), name_(std::move(name)), fd_(fd) {
  if (mode_ == Mode::kRaw) {
    // Raw bytes go straight to the window; the prefix is its first bytes.
    buf_ = std::move(prefix);
    end_ = buf_.size();
  } else {
    in_buf_ = std::move(prefix);
    in_end_ = in_buf_.size();
  }
}

StreamSource::~StreamSource() {
  if (zs_ready_) inflateEnd(&zs_);
  if (fd_ >= 0) close(fd_);
}

uint64_t StreamSource::consumed() const {
  return mode_ == Mode::kGzip ? in_consumed_ : offset_ + (end_ - begin_);
}

size_t StreamSource::Refill(size_t n) {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() < n) buf_.resize(std::max(n, kInitialWindow));
  while (end_ < n && !done_) {
    if (!Produce()) done_ = true;
  }
  return std::min(n, end_);
}

bool StreamSource::Skip(uint64_t n) {
  for (;;) {
    const size_t have = end_ - begin_;
    if (n <= have) {
      Advance(static_cast<size_t>(n));
      return true;
    }
    n -= have;
    offset_ += have;
    begin_ = end_ = 0;
    if (done_) return false;
    if (buf_.size() < kInitialWindow) buf_.resize(kInitialWindow);
    if (!Produce()) {
      done_ = true;
      return false;
    }
  }
}

bool StreamSource::ReadInput() {
  if (fd_ < 0 || fd_eof_) return false;
  if (in_begin_ > 0) {
    std::memmove(in_buf_.data(), in_buf_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_buf_.size() < in_end_ + kInputChunk) in_buf_.resize(in_end_ + kInputChunk);
  for (;;) {
    const ssize_t got = read(fd_, in_buf_.data() + in_end_, in_buf_.size() - in_end_);
    if (got > 0) {
      in_end_ += static_cast<size_t>(got);
      return true;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error_ = Status::IoError(fmt::format("{}: read failed: {}", name_, std::strerror(errno)));
    }
    fd_eof_ = true;
    return false;
  }
}

bool StreamSource::Produce() {
  if (!error_.ok()) return false;
  if (mode_ == Mode::kGzip) return ProduceGzip();
  // Raw descriptor (a pipe): read into the window.
  for (;;) {
    const ssize_t got = read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (got > 0) {
      end_ += static_cast<size_t>(got);
      return true;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error_ = Status::IoError(fmt::format("{}: read failed: {}", name_, std::strerror(errno)));
    }
    return false;
  }
}

// Inflates gzip members one after another (RFC 1952 allows concatenation).
// Produces at least one byte, or returns false at the clean end of the last
// member, or sets error_ (truncated or corrupt data) and returns false.
bool StreamSource::ProduceGzip() {
  const bool from_fd = fd_ >= 0;
  auto input = [&]() -> const uint8_t* {
    return from_fd ? in_buf_.data() + in_begin_ : in_mem_.data();
  };
  auto consume = [&](size_t k) {
    if (from_fd) {
      in_begin_ += k;
    } else {
      in_mem_ = in_mem_.subspan(k);
    }
    in_consumed_ += k;
  };
  auto left = [&]() -> size_t { return from_fd ? in_end_ - in_begin_ : in_mem_.size(); };

  for (;;) {
    if (!in_member_) {
      // Between members: more input must be another gzip member.
      while (left() < 2 && ReadInput()) {
      }
      if (!error_.ok()) return false;
      if (left() == 0) return false;  // clean end after the last member
      const uint8_t* p = input();
      if (left() < 2 || p[0] != 0x1f || p[1] != 0x8b) {
        error_ = Status::Corruption(
            fmt::format("{}: data after the end of the gzip stream at compressed offset {}", name_,
                        in_consumed_));
        return false;
      }
      const int rc = zs_ready_ ? inflateReset(&zs_) : inflateInit2(&zs_, 16 + MAX_WBITS);
      if (rc != Z_OK) {
        error_ = Status::Internal(fmt::format("{}: zlib initialisation failed", name_));
        return false;
      }
      zs_ready_ = true;
      in_member_ = true;
    }
    if (left() == 0 && !ReadInput()) {
      if (error_.ok()) {
        error_ = Status::Corruption(
            fmt::format("{}: gzip data truncated at compressed offset {} (uncompressed offset {})",
                        name_, in_consumed_, offset_ + (end_ - begin_)));
      }
      return false;
    }
    const size_t in_avail = std::min(left(), kMaxInflateIn);
    const size_t out_avail = std::min(buf_.size() - end_, kMaxInflateIn);
    zs_.next_in = const_cast<Bytef*>(input());
    zs_.avail_in = static_cast<uInt>(in_avail);
    zs_.next_out = buf_.data() + end_;
    zs_.avail_out = static_cast<uInt>(out_avail);
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    const size_t used = in_avail - zs_.avail_in;
    consume(used);
    const size_t produced = out_avail - zs_.avail_out;
    end_ += produced;
    if (rc == Z_STREAM_END) {
      in_member_ = false;
      if (produced > 0) return true;
      continue;
    }
    if (rc == Z_OK || (rc == Z_BUF_ERROR && (used > 0 || produced > 0))) {
      if (produced > 0) return true;
      continue;
    }
    error_ = Status::Corruption(fmt::format("{}: corrupt gzip data at compressed offset {}: {}",
                                            name_, in_consumed_,
                                            zs_.msg != nullptr ? zs_.msg : "inflate failed"));
    return false;
  }
}

}  // namespace scanscope::capture_internal
