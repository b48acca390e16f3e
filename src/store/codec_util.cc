#include "store/codec_util.h"

#include <zstd.h>

#include <array>
#include <memory>

namespace scanscope::store_internal {
namespace {

struct CrcTables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  CrcTables() {
    constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};

const CrcTables& Tables() {
  static const CrcTables tables;
  return tables;
}

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

}  // namespace

uint32_t Crc32c(const char* data, size_t n) {
  const auto& t = Tables().t;
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  uint32_t c = 0xFFFFFFFFu;
  while (n >= 8) {
    uint32_t lo =
        (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24) ^ c;
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
  return c ^ 0xFFFFFFFFu;
}

bool ZstdCompress(std::string_view in, int level, std::string* out) {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  if (!cctx) return false;
  size_t bound = ZSTD_compressBound(in.size());
  size_t old = out->size();
  out->resize(old + bound);
  size_t n = ZSTD_compressCCtx(cctx.get(), out->data() + old, bound, in.data(), in.size(), level);
  if (ZSTD_isError(n)) {
    out->resize(old);
    return false;
  }
  out->resize(old + n);
  return true;
}

bool ZstdDecompress(std::string_view in, size_t expected_size, std::string* out) {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return false;
  unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN ||
      declared != expected_size) {
    return false;
  }
  out->resize(expected_size);
  size_t n = ZSTD_decompressDCtx(dctx.get(), out->data(), expected_size, in.data(), in.size());
  return !ZSTD_isError(n) && n == expected_size;
}

}  // namespace scanscope::store_internal
