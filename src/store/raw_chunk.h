#pragma once
// The stored form of a chunk of raw access records (kept for drill-down and
// for building the days of a zone asked for later): column-wise, zstd
// level 1, CRC-32C checked. Format in docs/store.md. Backends store the bytes
// as they are; only this file knows what is inside.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "record/access_record.h"

namespace scanscope {

std::string EncodeRawChunk(std::span<const AccessRecord> records);
// Appends the chunk's records to *records. Any damage -> Corruption (and
// *records keeps its old size), never a crash.
Status DecodeRawChunk(std::string_view bytes, std::vector<AccessRecord>* records);

}  // namespace scanscope
