// libFuzzer target: pcap bytes (plain or gzip) through the capture reader and
// decode. Every frame is decoded, so decode sees whatever the reader yields.
// Seeds: fuzz/corpus/pcap/.

#include <cstddef>
#include <cstdint>
#include <span>

#include "capture/capture_file.h"
#include "decode/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scanscope;
  auto reader = OpenCaptureBuffer(std::span<const uint8_t>(data, size), CaptureFormat::kPcap);
  (void)LooksLikeCapture(std::span<const uint8_t>(data, size));
  if (!reader.ok()) return 0;
  CaptureFile& file = **reader;
  Frame frame;
  uint64_t frames = 0;
  while (file.Next(&frame)) {
    ++frames;
    PacketView packet;
    (void)DecodeFrame(frame.link_type, frame.data, &packet);
  }
  // Counters must agree with what was delivered; bytes never pass the input.
  if (file.counters().frames != frames) __builtin_trap();
  if (file.counters().bytes > size) __builtin_trap();
  if (file.Next(&frame)) __builtin_trap();
  return 0;
}
