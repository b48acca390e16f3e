#include "common/ip_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace scanscope {

IpAddress IpAddress::FromV4(uint32_t host_order) {
  IpAddress a;
  a.bytes_[10] = 0xff;
  a.bytes_[11] = 0xff;
  a.bytes_[12] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[13] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[14] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[15] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::FromV4Bytes(const uint8_t* p) {
  IpAddress a;
  a.bytes_[10] = 0xff;
  a.bytes_[11] = 0xff;
  std::memcpy(&a.bytes_[12], p, 4);
  return a;
}

IpAddress IpAddress::FromV6Bytes(const uint8_t* p) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), p, 16);
  return a;
}

IpAddress IpAddress::FromBytes(const std::array<uint8_t, 16>& b) {
  IpAddress a;
  a.bytes_ = b;
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > 63) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t raw[16];
  if (inet_pton(AF_INET, buf, raw) == 1) return FromV4Bytes(raw);
  if (inet_pton(AF_INET6, buf, raw) == 1) return FromV6Bytes(raw);
  return std::nullopt;
}

bool IpAddress::IsV4() const {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes_.data(), kMapped, 12) == 0;
}

uint32_t IpAddress::V4() const {
  return (uint32_t{bytes_[12]} << 24) | (uint32_t{bytes_[13]} << 16) | (uint32_t{bytes_[14]} << 8) |
         bytes_[15];
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (IsV4()) {
    inet_ntop(AF_INET, &bytes_[12], buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  }
  return buf;
}

Prefix::Prefix(IpAddress base, int length128) : length128_(length128) {
  mask_high_ = length128 <= 0 ? 0 : length128 >= 64 ? ~0ull : ~0ull << (64 - length128);
  mask_low_ = length128 <= 64 ? 0 : length128 >= 128 ? ~0ull : ~0ull << (128 - length128);
  high_ = base.High() & mask_high_;
  low_ = base.Low() & mask_low_;
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(high_ >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(low_ >> (56 - 8 * i));
  }
  base_ = IpAddress::FromBytes(b);
}

std::optional<Prefix> Prefix::Parse(std::string_view text) {
  size_t slash = text.find('/');
  auto addr = IpAddress::Parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  int max_len = addr->IsV4() ? 32 : 128;
  int len = max_len;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty() || len < 0 ||
        len > max_len) {
      return std::nullopt;
    }
  }
  return Prefix(*addr, addr->IsV4() ? len + 96 : len);
}

std::string Prefix::ToString() const { return base_.ToString() + "/" + std::to_string(length()); }

Result<PrefixSet> PrefixSet::Parse(std::string_view text) {
  PrefixSet set;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      auto p = Prefix::Parse(item);
      if (!p) {
        return Status::InvalidArgument("not an address or prefix: '" + std::string(item) + "'");
      }
      set.Add(*p);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (set.empty()) return Status::InvalidArgument("no watched address given");
  return set;
}

std::string PrefixSet::ToString() const {
  std::string out;
  for (const Prefix& p : prefixes_) {
    if (!out.empty()) out += ',';
    out += p.ToString();
  }
  return out;
}

}  // namespace scanscope
