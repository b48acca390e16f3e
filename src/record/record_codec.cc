#include "record/record_codec.h"

#include <array>
#include <cstring>

#include "common/little_endian.h"

namespace scanscope {

void AppendRecord(const AccessRecord& r, std::string* out) {
  PutU64(out, static_cast<uint64_t>(r.time_ns));
  out->append(reinterpret_cast<const char*>(r.source.bytes().data()), 16);
  out->append(reinterpret_cast<const char*>(r.destination.bytes().data()), 16);
  PutU32(out, r.port_type.Code());
  out->push_back(static_cast<char>(r.tcp_flags));
  out->push_back(static_cast<char>(r.ttl));
  PutU16(out, r.length);
}

uint32_t RecordPortCode(const char* p) { return GetU32(p + 40); }

std::optional<AccessRecord> ReadRecord(const char* p) {
  auto port = PortType::FromCode(RecordPortCode(p));
  if (!port) return std::nullopt;
  AccessRecord r;
  r.time_ns = static_cast<int64_t>(GetU64(p));
  std::array<uint8_t, 16> a;
  std::memcpy(a.data(), p + 8, 16);
  r.source = IpAddress::FromBytes(a);
  std::memcpy(a.data(), p + 24, 16);
  r.destination = IpAddress::FromBytes(a);
  r.port_type = *port;
  r.tcp_flags = static_cast<uint8_t>(p[44]);
  r.ttl = static_cast<uint8_t>(p[45]);
  r.length = GetU16(p + 46);
  return r;
}

}  // namespace scanscope
