#pragma once
// IpAddress: an IPv4 or IPv6 address in 16 bytes (IPv4 as ::ffff:a.b.c.d), so
// that every table, record and map has one key type. Prefix and PrefixSet
// describe what a monitoring point watches.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace scanscope {

class IpAddress {
 public:
  IpAddress() = default;
  // `host_order` is the address as a number, 192.0.2.1 == 0xC0000201.
  static IpAddress FromV4(uint32_t host_order);
  // 4 bytes in network order.
  static IpAddress FromV4Bytes(const uint8_t* p);
  // 16 bytes in network order.
  static IpAddress FromV6Bytes(const uint8_t* p);
  static IpAddress FromBytes(const std::array<uint8_t, 16>& b);
  // Dotted quad or any RFC 4291 text form; nullopt if it is neither.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool IsV4() const;
  uint32_t V4() const;  // host order; only meaningful when IsV4()
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // First and last 8 bytes, big-endian, as numbers (hot path: inline).
  uint64_t High() const { return __builtin_bswap64(Load64(0)); }
  uint64_t Low() const { return __builtin_bswap64(Load64(8)); }
  std::string ToString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return std::memcmp(a.bytes_.data(), b.bytes_.data(), 16) == 0;
  }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return std::memcmp(a.bytes_.data(), b.bytes_.data(), 16) < 0;
  }

 private:
  uint64_t Load64(size_t at) const {
    uint64_t v;
    std::memcpy(&v, bytes_.data() + at, 8);
    return v;
  }
  std::array<uint8_t, 16> bytes_{};
};
static_assert(sizeof(IpAddress) == 16);

struct IpAddressHash {
  size_t operator()(const IpAddress& a) const {
    uint64_t h = a.High() * 0x9E3779B97F4A7C15ull ^ a.Low();
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

// An address block. Lengths are kept in the 128-bit space: an IPv4 /24 is /120.
class Prefix {
 public:
  Prefix() = default;
  Prefix(IpAddress base, int length128);
  // "192.0.2.0/24", "2001:db8::/32", or a single address (a /32 or /128).
  static std::optional<Prefix> Parse(std::string_view text);
  bool Contains(const IpAddress& a) const {
    return ((a.High() & mask_high_) == high_) && ((a.Low() & mask_low_) == low_);
  }
  IpAddress base() const { return base_; }
  int length128() const { return length128_; }
  // Length as written by users: 24 for an IPv4 /24.
  int length() const { return base_.IsV4() ? length128_ - 96 : length128_; }
  std::string ToString() const;
  friend bool operator==(const Prefix& a, const Prefix& b) {
    return a.base_ == b.base_ && a.length128_ == b.length128_;
  }

 private:
  IpAddress base_;
  int length128_ = 128;
  uint64_t high_ = 0, low_ = 0, mask_high_ = ~0ull, mask_low_ = ~0ull;
};

// The addresses one monitoring point watches. Small (a handful of prefixes),
// so a linear scan beats anything cleverer.
class PrefixSet {
 public:
  PrefixSet() = default;
  explicit PrefixSet(std::vector<Prefix> prefixes) : prefixes_(std::move(prefixes)) {}
  // Comma-separated prefixes. InvalidArgument names the first bad one, or
  // says that none was given.
  static Result<PrefixSet> Parse(std::string_view text);
  void Add(const Prefix& p) { prefixes_.push_back(p); }
  bool Contains(const IpAddress& a) const {
    for (const Prefix& p : prefixes_) {
      if (p.Contains(a)) return true;
    }
    return false;
  }
  bool empty() const { return prefixes_.empty(); }
  const std::vector<Prefix>& prefixes() const { return prefixes_; }
  std::string ToString() const;  // comma-separated

 private:
  std::vector<Prefix> prefixes_;
};

}  // namespace scanscope
