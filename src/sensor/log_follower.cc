#include "sensor/log_follower.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace scanscope {

std::string FollowCursor::Encode() const {
  return fmt::format("follow1 {} {} {}", device, inode, offset);
}

std::optional<FollowCursor> FollowCursor::Decode(std::string_view text) {
  std::string s(text);
  unsigned long long dev = 0, ino = 0, off = 0;
  int used = 0;
  if (std::sscanf(s.c_str(), "follow1 %llu %llu %llu%n", &dev, &ino, &off, &used) != 3 ||
      static_cast<size_t>(used) != s.size()) {
    return std::nullopt;
  }
  return FollowCursor{dev, ino, off};
}

LogFollower::LogFollower(std::string path, std::optional<FollowCursor> resume,
                         size_t max_line_bytes)
    : path_(std::move(path)), resume_(resume), max_line_bytes_(max_line_bytes) {}

LogFollower::~LogFollower() { CloseCurrent(); }

void LogFollower::CloseCurrent() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  skipping_long_ = false;
}

bool LogFollower::OpenAt(const std::string& path, uint64_t offset, bool* exists) {
  CloseCurrent();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  *exists = fd >= 0 || errno != ENOENT;
  if (fd < 0) return false;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return false;
  }
  if (offset > static_cast<uint64_t>(st.st_size)) {
    ++counters_.truncations;
    offset = 0;
  }
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  cursor_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), offset};
  read_offset_ = offset;
  return true;
}

void LogFollower::HandleBuffered(const LineHandler& on_line, bool flush_partial) {
  uint64_t start = read_offset_ - buffer_.size();
  size_t pos = 0;
  for (;;) {
    size_t nl = buffer_.find('\n', pos);
    bool last = nl == std::string::npos;
    if (last && !(flush_partial && pos < buffer_.size())) break;
    size_t end = last ? buffer_.size() : nl;
    std::string_view line(buffer_.data() + pos, end - pos);
    cursor_.offset = start + (last ? end : end + 1);
    if (skipping_long_ || line.size() > max_line_bytes_) {
      skipping_long_ = false;
      ++counters_.long_lines;
    } else {
      ++counters_.lines;
      on_line(line, cursor_);
    }
    pos = last ? end : end + 1;
    if (last) break;
  }
  buffer_.erase(0, pos);
  if (buffer_.size() > max_line_bytes_) {
    // A line longer than allowed: drop what is held and skip to its end.
    skipping_long_ = true;
    buffer_.clear();
  }
}

Result<uint64_t> LogFollower::Poll(const LineHandler& on_line, uint64_t max_bytes) {
  bool exists = false;
  if (!started_) {
    started_ = true;
    struct stat st;
    bool at_path = ::stat(path_.c_str(), &st) == 0;
    if (resume_) {
      const FollowCursor& r = *resume_;
      struct stat rotated;
      if (at_path && st.st_dev == r.device && st.st_ino == r.inode) {
        OpenAt(path_, r.offset, &exists);
      } else if (::stat((path_ + ".1").c_str(), &rotated) == 0 && rotated.st_dev == r.device &&
                 rotated.st_ino == r.inode) {
        if (OpenAt(path_ + ".1", r.offset, &exists)) {
          draining_rotated_ = true;
          ++counters_.resumed_rotated;
        }
      } else {
        OpenAt(path_, 0, &exists);
      }
    } else if (at_path) {
      OpenAt(path_, static_cast<uint64_t>(st.st_size), &exists);
    }
  }
  if (fd_ < 0 && !OpenAt(path_, 0, &exists)) {
    if (exists) return Status::IoError(path_ + ": " + std::strerror(errno));
    return uint64_t{0};  // not there (yet): wait for it
  }

  uint64_t total = 0;
  char buf[1 << 16];
  for (int round = 0; round < 4 && total < max_bytes; ++round) {
    while (total < max_bytes) {
      ssize_t n = ::read(fd_, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::IoError(path_ + ": " + std::strerror(errno));
      if (n == 0) break;
      buffer_.append(buf, static_cast<size_t>(n));
      read_offset_ += static_cast<uint64_t>(n);
      counters_.bytes += static_cast<uint64_t>(n);
      total += static_cast<uint64_t>(n);
      HandleBuffered(on_line, false);
    }
    if (total >= max_bytes) break;
    // At the end of what is there: has the file been rotated or truncated?
    if (draining_rotated_) {
      HandleBuffered(on_line, true);
      draining_rotated_ = false;
      if (!OpenAt(path_, 0, &exists)) return total;
      continue;
    }
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) break;  // renamed, new one not there yet
    if (static_cast<uint64_t>(st.st_dev) != cursor_.device ||
        static_cast<uint64_t>(st.st_ino) != cursor_.inode) {
      // Rename rotation: the old file was read to its end above (a writer
      // still holding it may add a little more; read it once again).
      for (;;) {
        ssize_t n = ::read(fd_, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buffer_.append(buf, static_cast<size_t>(n));
        read_offset_ += static_cast<uint64_t>(n);
        counters_.bytes += static_cast<uint64_t>(n);
        total += static_cast<uint64_t>(n);
        HandleBuffered(on_line, false);
      }
      HandleBuffered(on_line, true);
      ++counters_.rotations;
      if (!OpenAt(path_, 0, &exists)) return total;
      continue;
    }
    if (static_cast<uint64_t>(st.st_size) < read_offset_) {
      // copytruncate: the same file, cut back. Start again at its start.
      ++counters_.truncations;
      buffer_.clear();
      skipping_long_ = false;
      if (::lseek(fd_, 0, SEEK_SET) < 0)
        return Status::IoError(path_ + ": " + std::strerror(errno));
      read_offset_ = 0;
      cursor_.offset = 0;
      continue;
    }
    break;
  }
  return total;
}

}  // namespace scanscope
