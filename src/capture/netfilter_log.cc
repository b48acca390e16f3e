#include "capture/netfilter_log.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "capture/netfilter_parse.h"

namespace scanscope {

std::string_view LogMalformedName(LogMalformed m) {
  switch (m) {
    case LogMalformed::kBadTimestamp:
      return "bad_timestamp";
    case LogMalformed::kMissingField:
      return "missing_field";
    case LogMalformed::kBadAddress:
      return "bad_address";
    case LogMalformed::kBadNumber:
      return "bad_number";
    case LogMalformed::kTruncatedLine:
      return "truncated_line";
    case LogMalformed::kIncompleteHeader:
      return "incomplete_header";
    case LogMalformed::kLineTooLong:
      return "line_too_long";
    case LogMalformed::kCount:
      break;
  }
  return "unknown";
}

LogLineResult ParseNetfilterLine(std::string_view line, int year, const TimeZone& zone,
                                 LoggedPacket* out, LogMalformed* why) {
  netfilter::LocalTimeConverter local_time(zone);
  netfilter::ParseContext ctx;
  ctx.classic.year = year;
  ctx.local_time = &local_time;
  return netfilter::ParseNetfilterLineIn(line, &ctx, out, why);
}

namespace {

// Reads through zlib's gz* interface, which passes plain files through
// unchanged and inflates gzip (by its magic, whatever the file's name).
// Memory: one buffer of kBufferBytes, whatever the file's size or line lengths.
class NetfilterLogFile final : public NetfilterLogReader {
 public:
  static constexpr size_t kBufferBytes = 256 * 1024;
  static_assert(kBufferBytes > kMaxLogLineBytes + 2);

  NetfilterLogFile(std::string path, gzFile gz, const LogParseOptions& options, uint64_t size_hint,
                   int mtime_year, unsigned mtime_month)
      : path_(std::move(path)),
        gz_(gz),
        zone_(options.zone),
        local_time_(zone_),
        size_hint_(size_hint),
        buffer_(new char[kBufferBytes]) {
    ctx_.local_time = &local_time_;
    ctx_.life = options.life;
    ctx_.classic.track_rollover = true;
    if (options.year != 0) {
      ctx_.classic.year = options.year;
    } else {
      ctx_.classic.year = mtime_year;
      ctx_.classic.mtime_month = mtime_month;
      ctx_.classic.from_mtime = true;
    }
  }
  ~NetfilterLogFile() override { gzclose(gz_); }

  bool Next(LoggedPacket* out) override {
    std::string_view line;
    bool too_long = false;
    while (NextLine(&line, &too_long)) {
      ++counters_.lines;
      if (too_long) {
        ++counters_.malformed[static_cast<size_t>(LogMalformed::kLineTooLong)];
        continue;
      }
      LogMalformed why = LogMalformed::kTruncatedLine;
      LogLineResult r = netfilter::ParseNetfilterLineIn(line, &ctx_, out, &why);
      if (ctx_.classic.from_mtime && ctx_.classic.used && !warned_year_) {
        warned_year_ = true;
        warnings_.push_back(
            fmt::format("{}: year not given: taking {} from the file's modification time", path_,
                        ctx_.classic.year));
      }
      switch (r) {
        case LogLineResult::kPacket:
          ++counters_.packets;
          return true;
        case LogLineResult::kNotNetfilter:
          ++counters_.not_netfilter;
          break;
        case LogLineResult::kMalformed:
          ++counters_.malformed[static_cast<size_t>(why)];
          break;
      }
    }
    return false;
  }

  const Status& error() const override { return error_; }
  const LogCounters& counters() const override { return counters_; }
  uint64_t size_hint() const override { return size_hint_; }
  const std::vector<std::string>& warnings() const override { return warnings_; }

 private:
  // Refills the buffer after moving the unread bytes to its front. False at
  // the end of input or on an error (error_ set).
  bool Fill() {
    if (eof_) return false;
    if (begin_ > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == kBufferBytes) return true;  // full: the caller handles a long line
    int n = gzread(gz_, buffer_.get() + end_, static_cast<unsigned>(kBufferBytes - end_));
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(gz_, &code);
      error_ = Status::IoError(fmt::format("{}: read error after {} bytes: {}", path_,
                                           counters_.bytes + (end_ - begin_),
                                           code == Z_ERRNO ? std::strerror(errno) : msg));
      eof_ = true;
      return false;
    }
    if (n == 0) {
      eof_ = true;
      int code = 0;
      const char* msg = gzerror(gz_, &code);
      if (code != Z_OK) {
        error_ = Status::Corruption(fmt::format("{}: compressed data damaged after {} bytes: {}",
                                                path_, counters_.bytes + (end_ - begin_), msg));
      }
      return false;
    }
    end_ += static_cast<size_t>(n);
    return true;
  }

  // The next line without its newline. A line longer than kMaxLogLineBytes is
  // returned empty with *too_long set, its bytes skipped unread.
  bool NextLine(std::string_view* line, bool* too_long) {
    *too_long = false;
    size_t scanned = begin_;
    for (;;) {
      const char* base = buffer_.get();
      const void* nl = std::memchr(base + scanned, '\n', end_ - scanned);
      if (nl != nullptr) {
        size_t e = static_cast<size_t>(static_cast<const char*>(nl) - base);
        size_t len = e - begin_;
        counters_.bytes += len + 1;
        *line = std::string_view(base + begin_, len);
        begin_ = e + 1;
        if (len > kMaxLogLineBytes) {
          *too_long = true;
          *line = {};
        }
        return true;
      }
      if (end_ - begin_ > kMaxLogLineBytes) return SkipLongLine(line, too_long);
      size_t pending = end_ - begin_;
      if (!Fill()) {
        if (end_ > begin_ && error_.ok()) {
          // The last line, without a newline.
          size_t len = end_ - begin_;
          counters_.bytes += len;
          *line = std::string_view(buffer_.get() + begin_, len);
          begin_ = end_;
          return true;
        }
        begin_ = end_;
        return false;
      }
      scanned = begin_ + pending;
    }
  }

  bool SkipLongLine(std::string_view* line, bool* too_long) {
    *too_long = true;
    *line = {};
    for (;;) {
      const char* base = buffer_.get();
      const void* nl = std::memchr(base + begin_, '\n', end_ - begin_);
      if (nl != nullptr) {
        size_t e = static_cast<size_t>(static_cast<const char*>(nl) - base);
        counters_.bytes += e + 1 - begin_;
        begin_ = e + 1;
        return true;
      }
      counters_.bytes += end_ - begin_;
      begin_ = end_ = 0;
      if (!Fill()) return error_.ok();  // a long last line still counts once
    }
  }

  std::string path_;
  gzFile gz_;
  TimeZone zone_;
  netfilter::LocalTimeConverter local_time_;
  netfilter::ParseContext ctx_;
  uint64_t size_hint_;
  std::unique_ptr<char[]> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool warned_year_ = false;
  Status error_;
  LogCounters counters_;
  std::vector<std::string> warnings_;
};

// The uncompressed size a gzip file states in its trailer (mod 2^32), or the
// file's size for anything else.
uint64_t SizeHint(const std::string& path, uint64_t file_size) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return file_size;
  unsigned char magic[2] = {0, 0};
  unsigned char trailer[4] = {0, 0, 0, 0};
  uint64_t hint = file_size;
  if (std::fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b && file_size >= 18 &&
      std::fseek(f, -4, SEEK_END) == 0 && std::fread(trailer, 1, 4, f) == 4) {
    hint = uint64_t{trailer[0]} | uint64_t{trailer[1]} << 8 | uint64_t{trailer[2]} << 16 |
           uint64_t{trailer[3]} << 24;
  }
  std::fclose(f);
  return hint;
}

}  // namespace

Result<std::unique_ptr<NetfilterLogReader>> OpenNetfilterLog(const std::string& path,
                                                             const LogParseOptions& options) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0) {
    int e = errno;
    std::string m = fmt::format("{}: cannot open: {}", path, std::strerror(e));
    return e == ENOENT ? Status::NotFound(m) : Status::IoError(m);
  }
  if (S_ISDIR(sb.st_mode))
    return Status::InvalidArgument(path + ": is a directory, not a log file");
  if (options.year != 0 && (options.year < 1970 || options.year > 2200)) {
    return Status::InvalidArgument(
        fmt::format("log year {} is out of range (1970-2200)", options.year));
  }
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) {
    return Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  gzbuffer(gz, 128 * 1024);
  int64_t mtime_ns = static_cast<int64_t>(sb.st_mtime) * kNanosPerSecond;
  CivilDate mtime = CivilFromDays(options.zone.LocalDay(mtime_ns));
  uint64_t hint = SizeHint(path, static_cast<uint64_t>(sb.st_size));
  return std::unique_ptr<NetfilterLogReader>(
      new NetfilterLogFile(path, gz, options, hint, mtime.year, mtime.month));
}

}  // namespace scanscope
