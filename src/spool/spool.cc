#include "spool/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/hex.h"
#include "spool/segment_format.h"

namespace scanscope {

namespace {

constexpr char kIdFile[] = "spool-id";
constexpr char kStateFile[] = "state";

Status Errno(const std::string& what) {
  return Status::IoError(fmt::format("{}: {}", what, std::strerror(errno)));
}

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Errno(path);
  int rc = ::fsync(fd);
  Status s = rc == 0 ? Status::Ok() : Errno("fsync " + path);
  ::close(fd);
  return s;
}

Status WriteAll(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Errno("write " + path);
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Errno(path);
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("read " + path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// Writes `content` to `path` so that after a crash the file holds either the
// old or the new content: tmp file, fsync, rename, fsync the directory.
Status WriteFileAtomic(const std::string& dir, const std::string& name, const std::string& content,
                       bool sync) {
  std::string path = dir + "/" + name;
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Errno(tmp);
  Status s = WriteAll(fd, content.data(), content.size(), tmp);
  if (s.ok() && sync && ::fsync(fd) != 0) s = Errno("fsync " + tmp);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename " + tmp);
  return sync ? FsyncPath(dir, true) : Status::Ok();
}

// "0000000000000012.seg" -> 0x12; false for any other name.
bool ParseSegmentName(const std::string& name, const char* suffix, uint64_t* seq) {
  size_t suffix_len = std::strlen(suffix);
  if (name.size() != 16 + suffix_len || name.compare(16, suffix_len, suffix) != 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 16; ++i) {
    char c = name[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  *seq = v;
  return true;
}

}  // namespace

Spool::Spool(SpoolOptions options) : options_(std::move(options)) {}

Spool::~Spool() {
  if (open_fd_ >= 0) ::close(open_fd_);
}

int64_t Spool::Now() const {
  if (options_.now_ns) return options_.now_ns();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Spool::PathOf(uint64_t seq, bool sealed) const {
  return fmt::format("{}/{:016x}.{}", options_.dir, seq, sealed ? "seg" : "open");
}

Result<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options) {
  if (options.dir.empty()) return Status::InvalidArgument("spool: no directory given");
  if (options.segment_bytes < kSegmentHeaderBytes + BlockBytes(1, 0)) {
    return Status::InvalidArgument("spool: segment size too small");
  }
  if (::mkdir(options.dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return Errno("spool directory " + options.dir);
  }
  std::unique_ptr<Spool> spool(new Spool(std::move(options)));
  SCANSCOPE_RETURN_IF_ERROR(spool->Recover());
  return spool;
}

Status Spool::RecoverId() {
  const std::string& dir = options_.dir;
  auto id = ReadWholeFile(dir + "/" + kIdFile);
  if (id.ok()) {
    std::string text = *id;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    std::string raw;
    if (text.size() != 32 || !DecodeHex(text, &raw)) {
      return Status::Corruption(dir + "/" + kIdFile + ": not a spool id (32 hex digits)");
    }
    id_ = text;
    return Status::Ok();
  }
  if (!id.status().IsNotFound()) return id.status();
  char raw[16];
  if (::getrandom(raw, sizeof(raw), 0) != static_cast<ssize_t>(sizeof(raw))) {
    return Errno("getrandom");
  }
  id_ = EncodeHex(std::string_view(raw, sizeof(raw)));
  return WriteFileAtomic(dir, kIdFile, id_ + "\n", true);
}

uint64_t Spool::RecoverState() {
  // Lines "KEY VALUE": next segment number, cursor and drops, as of the last
  // write. A damaged state file costs only what it held.
  uint64_t state_next = 0;
  auto state = ReadWholeFile(options_.dir + "/" + kStateFile);
  if (state.ok()) {
    size_t pos = 0;
    while (pos < state->size()) {
      size_t nl = state->find('\n', pos);
      std::string line = state->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? state->size() : nl + 1;
      size_t sp = line.find(' ');
      std::string key = line.substr(0, sp);
      std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
      unsigned long long n = 0;
      if (key == "next_seq" && std::sscanf(value.c_str(), "%llu", &n) == 1) state_next = n;
      if (key == "full_dropped" && std::sscanf(value.c_str(), "%llu", &n) == 1) {
        counters_.full_dropped_total = n;
      }
      std::string c;
      if (key == "cursor" && DecodeHex(value, &c)) cursor_ = c;
    }
  }
  persisted_full_dropped_ = counters_.full_dropped_total;
  return state_next;
}

Result<std::vector<uint64_t>> Spool::ListSegments(uint64_t* max_seq_plus_one) {
  const std::string& dir = options_.dir;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Errno(dir);
  std::vector<uint64_t> open_segments;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    uint64_t seq;
    if (ParseSegmentName(name, ".seg", &seq)) {
      struct stat st;
      if (::stat(fmt::format("{}/{}", dir, name).c_str(), &st) != 0) continue;
      sealed_.push_back(seq);
      *max_seq_plus_one = std::max(*max_seq_plus_one, seq + 1);
    } else if (ParseSegmentName(name, ".open", &seq)) {
      open_segments.push_back(seq);
      *max_seq_plus_one = std::max(*max_seq_plus_one, seq + 1);
    } else if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
      ::unlink(fmt::format("{}/{}", dir, name).c_str());  // an atomic write that did not finish
    }
  }
  ::closedir(d);
  std::sort(open_segments.begin(), open_segments.end());
  return open_segments;
}

// An .open segment is what a crash left: keep it up to its last valid block,
// cut the rest (counted), and seal it.
Status Spool::RecoverOpenSegment(uint64_t seq) {
  std::string path = PathOf(seq, false);
  auto bytes = ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status();
  SegmentScan scan = ScanSegment(*bytes, nullptr);
  if (scan.blocks == 0) {
    counters_.recovered_torn_bytes += bytes->size();
    if (::unlink(path.c_str()) != 0) return Errno("unlink " + path);
    return Status::Ok();
  }
  if (scan.trailing_bytes > 0) {
    counters_.recovered_torn_bytes += scan.trailing_bytes;
    if (::truncate(path.c_str(), static_cast<off_t>(scan.valid_end)) != 0) {
      return Errno("truncate " + path);
    }
  }
  if (!scan.last_cursor.empty()) cursor_ = scan.last_cursor;
  if (options_.sync) SCANSCOPE_RETURN_IF_ERROR(FsyncPath(path, false));
  if (::rename(path.c_str(), PathOf(seq, true).c_str()) != 0) return Errno("rename " + path);
  sealed_.push_back(seq);
  ++counters_.recovered_segments;
  return Status::Ok();
}

Status Spool::Recover() {
  SCANSCOPE_RETURN_IF_ERROR(RecoverId());
  uint64_t state_next = RecoverState();
  uint64_t max_seq_plus_one = 0;
  auto open_segments = ListSegments(&max_seq_plus_one);
  if (!open_segments.ok()) return open_segments.status();
  next_seq_ = std::max(state_next, max_seq_plus_one);
  for (uint64_t seq : *open_segments) SCANSCOPE_RETURN_IF_ERROR(RecoverOpenSegment(seq));
  if (!open_segments->empty()) {
    SCANSCOPE_RETURN_IF_ERROR(WriteState(next_seq_, cursor_));
  }
  std::sort(sealed_.begin(), sealed_.end());
  for (uint64_t seq : sealed_) {
    struct stat st;
    uint64_t size = ::stat(PathOf(seq, true).c_str(), &st) == 0 ? st.st_size : 0;
    sealed_bytes_.push_back(size);
    sealed_total_ += size;
  }
  return Status::Ok();
}

Status Spool::WriteState(uint64_t next_seq, const std::string& cursor) {
  SCANSCOPE_RETURN_IF_ERROR(
      WriteFileAtomic(options_.dir, kStateFile,
                      fmt::format("next_seq {}\ncursor {}\nfull_dropped {}\n", next_seq,
                                  EncodeHex(cursor), counters_.full_dropped_total),
                      options_.sync));
  persisted_full_dropped_ = counters_.full_dropped_total;
  state_written_ns_ = Now();
  return Status::Ok();
}

std::string Spool::cursor() const {
  std::lock_guard lock(mu_);
  return cursor_;
}

Status Spool::Append(std::span<const AccessRecord> records, std::string_view cursor) {
  if (cursor.size() > kMaxCursorBytes) return Status::InvalidArgument("spool: cursor too long");
  std::lock_guard lock(mu_);
  const size_t per_block = (kMaxBlockPayload - kMaxCursorBytes) / kSpoolRecordBytes;
  do {
    size_t n = std::min(records.size(), per_block);
    std::string_view c = n == records.size() ? cursor : std::string_view();
    size_t bytes = BlockBytes(n, c.size());
    // A block that does not fit the open segment goes to a fresh one.
    if (open_fd_ >= 0 && open_bytes_ > kSegmentHeaderBytes &&
        open_bytes_ + bytes > options_.segment_bytes) {
      SCANSCOPE_RETURN_IF_ERROR(SealLocked());
    }
    size_t need = bytes + (open_fd_ < 0 ? kSegmentHeaderBytes : 0);
    if (sealed_total_ + open_bytes_ + need > options_.max_bytes) {
      counters_.full_dropped += n;  // the full policy: drop the newest, counted
      counters_.full_dropped_total += n;
    } else {
      if (open_fd_ < 0) {
        uint64_t seq = next_seq_;
        std::string path = PathOf(seq, false);
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) return Errno(path);
        std::string header = EncodeSegmentHeader();
        if (Status s = WriteAll(fd, header.data(), header.size(), path); !s.ok()) {
          ::close(fd);
          ::unlink(path.c_str());
          return s;
        }
        ++next_seq_;
        open_fd_ = fd;
        open_seq_ = seq;
        open_bytes_ = header.size();
        open_since_ns_ = Now();
      }
      block_.clear();
      EncodeBlock(records.first(n), c, &block_);
      // One write(2) per block; on failure the segment is cut back to its
      // last whole block so that later blocks stay readable.
      if (Status s = WriteAll(open_fd_, block_.data(), block_.size(), PathOf(open_seq_, false));
          !s.ok()) {
        (void)::ftruncate(open_fd_, static_cast<off_t>(open_bytes_));
        return s;
      }
      open_bytes_ += block_.size();
      counters_.appended_records += n;
      ++counters_.appended_blocks;
      if (!c.empty()) cursor_.assign(c);
    }
    records = records.subspan(n);
  } while (!records.empty());
  return Status::Ok();
}

Status Spool::MaybeSeal() {
  std::lock_guard lock(mu_);
  // Drops while full are counted on disk too, at most once a second, so a
  // crash does not make them silent.
  if (counters_.full_dropped_total != persisted_full_dropped_ &&
      Now() - state_written_ns_ >= 1'000'000'000) {
    SCANSCOPE_RETURN_IF_ERROR(WriteState(next_seq_, cursor_));
  }
  if (open_fd_ < 0) return Status::Ok();
  if (open_bytes_ >= options_.segment_bytes || Now() - open_since_ns_ >= options_.seal_after_ns) {
    return SealLocked();
  }
  return Status::Ok();
}

Status Spool::Seal() {
  std::lock_guard lock(mu_);
  if (open_fd_ < 0 && counters_.full_dropped_total != persisted_full_dropped_) {
    return WriteState(next_seq_, cursor_);
  }
  return SealLocked();
}

Status Spool::SealLocked() {
  if (open_fd_ < 0) return Status::Ok();
  std::string path = PathOf(open_seq_, false);
  // Order matters for power loss: the segment's bytes, then the state
  // (next_seq past this segment, so its number is never used again even
  // once it is removed), then the rename that makes it sealed.
  if (options_.sync && ::fsync(open_fd_) != 0) return Errno("fsync " + path);
  ::close(open_fd_);
  open_fd_ = -1;
  SCANSCOPE_RETURN_IF_ERROR(WriteState(next_seq_, cursor_));
  if (::rename(path.c_str(), PathOf(open_seq_, true).c_str()) != 0) return Errno("rename " + path);
  if (options_.sync) SCANSCOPE_RETURN_IF_ERROR(FsyncPath(options_.dir, true));
  sealed_.push_back(open_seq_);
  sealed_bytes_.push_back(open_bytes_);
  sealed_total_ += open_bytes_;
  open_bytes_ = 0;
  ++counters_.sealed_segments;
  return Status::Ok();
}

std::vector<uint64_t> Spool::Sealed() const {
  std::lock_guard lock(mu_);
  return sealed_;
}

Result<SegmentContents> Spool::Read(uint64_t seq) {
  {
    std::lock_guard lock(mu_);
    if (std::find(sealed_.begin(), sealed_.end(), seq) == sealed_.end()) {
      return Status::NotFound(fmt::format("spool: no sealed segment {:016x}", seq));
    }
  }
  // Sealed segments never change: read without the lock.
  auto bytes = ReadWholeFile(PathOf(seq, true));
  if (!bytes.ok()) return bytes.status();
  SegmentContents out;
  out.seq = seq;
  SegmentScan scan = ScanSegment(*bytes, &out.records);
  out.corrupt_blocks = scan.corrupt_blocks + (scan.trailing_bytes > 0 ? 1 : 0);
  out.corrupt_bytes = scan.corrupt_bytes + scan.trailing_bytes;
  std::lock_guard lock(mu_);
  counters_.corrupt_blocks += out.corrupt_blocks;
  counters_.corrupt_bytes += out.corrupt_bytes;
  return out;
}

Status Spool::Remove(uint64_t seq) {
  std::lock_guard lock(mu_);
  auto it = std::find(sealed_.begin(), sealed_.end(), seq);
  if (it == sealed_.end())
    return Status::NotFound(fmt::format("spool: no sealed segment {:016x}", seq));
  std::string path = PathOf(seq, true);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink " + path);
  // Without this fsync a power loss could bring the segment back; it would
  // be sent again and the collector's ledger would drop it: harmless, but
  // cheap to avoid.
  if (options_.sync) SCANSCOPE_RETURN_IF_ERROR(FsyncPath(options_.dir, true));
  size_t i = static_cast<size_t>(it - sealed_.begin());
  sealed_total_ -= sealed_bytes_[i];
  sealed_.erase(it);
  sealed_bytes_.erase(sealed_bytes_.begin() + static_cast<ptrdiff_t>(i));
  ++counters_.removed_segments;
  return Status::Ok();
}

Status Spool::SetAside(uint64_t seq) {
  std::lock_guard lock(mu_);
  auto it = std::find(sealed_.begin(), sealed_.end(), seq);
  if (it == sealed_.end())
    return Status::NotFound(fmt::format("spool: no sealed segment {:016x}", seq));
  const std::string rejected = options_.dir + "/rejected";
  if (::mkdir(rejected.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir " + rejected);
  const std::string from = PathOf(seq, true);
  const std::string to = rejected + from.substr(from.rfind('/'));
  if (::rename(from.c_str(), to.c_str()) != 0) return Errno("rename " + from);
  if (options_.sync) SCANSCOPE_RETURN_IF_ERROR(FsyncPath(options_.dir, true));
  size_t i = static_cast<size_t>(it - sealed_.begin());
  sealed_total_ -= sealed_bytes_[i];
  sealed_.erase(it);
  sealed_bytes_.erase(sealed_bytes_.begin() + static_cast<ptrdiff_t>(i));
  return Status::Ok();
}

SpoolStats Spool::stats() const {
  std::lock_guard lock(mu_);
  SpoolStats s;
  s.bytes = sealed_total_ + open_bytes_;
  s.sealed = sealed_.size();
  s.segments = sealed_.size() + (open_fd_ >= 0 ? 1 : 0);
  s.counters = counters_;
  return s;
}

Status GiveSpoolTo(const std::string& dir, uid_t uid, gid_t gid,
                   std::vector<std::string>* refused) {
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return Errno(dir);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Errno(dir + " (the spool must be a directory, not a link)");
  if (::fchown(fd, uid, gid) != 0) {
    Status st = Errno("chown " + dir);
    ::close(fd);
    return st;
  }
  DIR* d = ::fdopendir(::dup(fd));
  if (d == nullptr) {
    Status st = Errno(dir);
    ::close(fd);
    return st;
  }
  Status result;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    const bool ours = S_ISREG(st.st_mode) || (S_ISDIR(st.st_mode) && name == "rejected");
    if (!ours) {
      if (refused != nullptr) refused->push_back(dir + "/" + name);
      continue;
    }
    if (::fchownat(fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0 && result.ok()) {
      result = Errno("chown " + dir + "/" + name);
    }
  }
  ::closedir(d);
  ::close(fd);
  return result;
}

}  // namespace scanscope
