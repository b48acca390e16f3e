#include "capture/capture_file.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "capture/byte_source.h"
#include "capture/capture_reader.h"

namespace scanscope {
namespace {

using capture_internal::CaptureReader;
using capture_internal::MemorySource;
using capture_internal::StreamSource;

bool IsGzip(std::span<const uint8_t> b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

// A read-only mapping of a whole file, unmapped when the last reader goes.
struct Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr != nullptr) munmap(addr, size);
  }
  std::span<const uint8_t> bytes() const { return {static_cast<const uint8_t*>(addr), size}; }
};

template <class Source, class... Args>
Result<std::unique_ptr<CaptureFile>> Make(CaptureFormat format, std::string name,
                                          uint64_t size_hint, std::shared_ptr<void> keepalive,
                                          Args&&... args) {
  auto reader = std::make_unique<CaptureReader<Source>>(
      std::move(name), size_hint, std::move(keepalive), std::forward<Args>(args)...);
  Status st = reader->Init(format);
  if (!st.ok()) return st;
  return std::unique_ptr<CaptureFile>(std::move(reader));
}

Result<std::unique_ptr<CaptureFile>> OpenBytes(std::span<const uint8_t> bytes, std::string name,
                                               CaptureFormat format,
                                               std::shared_ptr<void> keepalive) {
  if (IsGzip(bytes)) {
    return Make<StreamSource>(format, name, bytes.size(), std::move(keepalive),
                              StreamSource::Mode::kGzip, bytes, name);
  }
  return Make<MemorySource>(format, std::move(name), bytes.size(), std::move(keepalive), bytes);
}

// A descriptor that cannot be mapped (a pipe, a terminal): read as a stream.
Result<std::unique_ptr<CaptureFile>> OpenStream(int fd, const std::string& path,
                                                CaptureFormat format) {
  std::vector<uint8_t> prefix(2);
  size_t got = 0;
  while (got < prefix.size()) {
    const ssize_t n = read(fd, prefix.data() + got, prefix.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Status::IoError(fmt::format("{}: read failed: {}", path, std::strerror(errno)));
      close(fd);
      return st;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  prefix.resize(got);
  const auto mode = IsGzip(prefix) ? StreamSource::Mode::kGzip : StreamSource::Mode::kRaw;
  return Make<StreamSource>(format, path, 0, nullptr, mode, fd, std::move(prefix), path);
}

}  // namespace

std::string_view CaptureIssueName(CaptureIssue issue) {
  switch (issue) {
    case CaptureIssue::kTruncatedRecord:
      return "truncated_record";
    case CaptureIssue::kBadRecordLength:
      return "bad_record_length";
    case CaptureIssue::kBadBlock:
      return "bad_block";
    case CaptureIssue::kUnknownInterface:
      return "unknown_interface";
    case CaptureIssue::kSkippedBlock:
      return "skipped_block";
    case CaptureIssue::kCount:
      break;
  }
  return "unknown";
}

Result<std::unique_ptr<CaptureFile>> OpenCaptureFile(const std::string& path,
                                                     CaptureFormat format) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    std::string msg = fmt::format("{}: cannot open: {}", path, std::strerror(e));
    return e == ENOENT ? Status::NotFound(std::move(msg)) : Status::IoError(std::move(msg));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    Status s = Status::IoError(fmt::format("{}: cannot stat: {}", path, std::strerror(errno)));
    close(fd);
    return s;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return Status::InvalidArgument(fmt::format("{}: is a directory", path));
  }
  if (!S_ISREG(st.st_mode)) return OpenStream(fd, path, format);
  if (st.st_size == 0) {
    close(fd);
    return Status::InvalidArgument(fmt::format("{}: empty file", path));
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->size = static_cast<size_t>(st.st_size);
  void* addr = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  const int map_errno = errno;
  close(fd);
  if (addr == MAP_FAILED) {
    return Status::IoError(fmt::format("{}: cannot map: {}", path, std::strerror(map_errno)));
  }
  mapping->addr = addr;
  madvise(addr, mapping->size, MADV_SEQUENTIAL);
  const std::span<const uint8_t> bytes = mapping->bytes();
  return OpenBytes(bytes, path, format, std::move(mapping));
}

Result<std::unique_ptr<CaptureFile>> OpenCaptureBuffer(std::span<const uint8_t> bytes,
                                                       CaptureFormat format) {
  return OpenBytes(bytes, "<buffer>", format, nullptr);
}

bool LooksLikeCapture(std::span<const uint8_t> first_bytes) {
  uint8_t head[4];
  size_t n = 0;
  if (IsGzip(first_bytes)) {
    // Inflate just enough of the first member to see the magic number.
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return false;
    zs.next_in = const_cast<Bytef*>(first_bytes.data());
    zs.avail_in = static_cast<uInt>(std::min<size_t>(first_bytes.size(), 1u << 30));
    zs.next_out = head;
    zs.avail_out = sizeof(head);
    while (zs.avail_out > 0) {
      const int rc = inflate(&zs, Z_SYNC_FLUSH);
      if (rc != Z_OK) break;
    }
    n = sizeof(head) - zs.avail_out;
    inflateEnd(&zs);
  } else {
    n = std::min(first_bytes.size(), sizeof(head));
    if (n > 0) std::memcpy(head, first_bytes.data(), n);
  }
  if (n < 4) return false;
  const uint32_t m = capture_internal::LoadLe32(head);
  return m == capture_internal::kPcapngShb || m == capture_internal::kPcapMagicMicro ||
         m == capture_internal::kPcapMagicNano ||
         m == __builtin_bswap32(capture_internal::kPcapMagicMicro) ||
         m == __builtin_bswap32(capture_internal::kPcapMagicNano);
}

}  // namespace scanscope
