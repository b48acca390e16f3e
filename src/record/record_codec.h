#pragma once
// One access record in 48 bytes: the form the sensor's spool keeps on disk
// and the wire batch carries to the collector (docs/sensor.md, "Spool
// format"; docs/collector.md, "Wire format"). Written once here so that the
// two can never drift apart.
//
//   record := time_ns:i64 source:16 destination:16 port_type_code:u32
//             tcp_flags:u8 ttl:u8 length:u16                           48 bytes
//
// Integers little-endian; addresses 16 bytes in network order (IPv4 as
// ::ffff:a.b.c.d).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "record/access_record.h"

namespace scanscope {

inline constexpr size_t kRecordBytes = 48;

// Appends the record's 48 bytes to *out.
void AppendRecord(const AccessRecord& record, std::string* out);

// Reads the 48 bytes at p. nullopt when the port type code is not one
// PortType knows (the only field with values that mean nothing); the code is
// then RecordPortCode(p).
std::optional<AccessRecord> ReadRecord(const char* p);
uint32_t RecordPortCode(const char* p);

}  // namespace scanscope
