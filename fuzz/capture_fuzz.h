#pragma once
// Shared body of the capture-file fuzz targets: the bytes through the capture
// reader (plain or gzip), every frame through decode and classify, as an
// ingest would. Traps when the reader's counters disagree with what it
// delivered, or when it yields a frame after saying it ended.

#include <cstddef>
#include <cstdint>
#include <span>

#include "capture/capture_file.h"
#include "classify/classifier.h"
#include "decode/decoder.h"

namespace scanscope {

inline int FuzzCaptureBytes(const uint8_t* data, size_t size, CaptureFormat format) {
  auto reader = OpenCaptureBuffer(std::span<const uint8_t>(data, size), format);
  (void)LooksLikeCapture(std::span<const uint8_t>(data, size));
  if (!reader.ok()) return 0;
  CaptureFile& file = **reader;
  ClassifyOptions options;
  options.watched = *PrefixSet::Parse("0.0.0.0/1,::/1");  // half of everything
  Classifier classifier(options);
  Frame frame;
  uint64_t frames = 0;
  while (file.Next(&frame)) {
    ++frames;
    PacketView packet;
    AccessRecord record;
    if (DecodeFrame(frame.link_type, frame.data, &packet) == DecodeResult::kOk) {
      (void)classifier.Classify(frame.time_ns, packet, &record);
    }
  }
  // Counters must agree with what was delivered; bytes never pass the input.
  if (file.counters().frames != frames) __builtin_trap();
  if (file.counters().bytes > size) __builtin_trap();
  if (file.Next(&frame)) __builtin_trap();
  return 0;
}

}  // namespace scanscope
