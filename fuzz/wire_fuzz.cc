// libFuzzer target: DecodeWireBatch on arbitrary bytes (a batch body is what
// anyone who reaches the collector's port can send). Checks the decoder's
// contracts: no crash, no read outside the input, limits held, every refusal
// has a reason, and a frame it accepts re-encodes to the very same bytes.
// Each input is decoded twice: as it is, and with its header's length and
// checksum made right, so that the body's parser is reached past the checksum.

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "transport/wire_batch.h"

namespace {

void Check(std::string_view bytes) {
  scanscope::WireLimits limits;
  limits.max_records = 4096;
  limits.max_bytes = 1u << 20;
  auto batch = scanscope::DecodeWireBatch(bytes, limits);
  if (!batch.ok()) {
    if (batch.status().message().empty()) std::abort();
    return;
  }
  if (batch->records.size() > limits.max_records) std::abort();
  if (scanscope::EncodeWireBatch(*batch) != bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check(bytes);
  if (size >= scanscope::kWireHeaderBytes) {
    std::string sealed(bytes);
    const size_t body = size - scanscope::kWireHeaderBytes;
    const uint64_t sum = XXH3_64bits(sealed.data() + scanscope::kWireHeaderBytes, body);
    for (int i = 0; i < 4; ++i) sealed[8 + i] = static_cast<char>(body >> (8 * i));
    for (int i = 0; i < 8; ++i) sealed[12 + i] = static_cast<char>(sum >> (8 * i));
    Check(sealed);
  }
  return 0;
}
