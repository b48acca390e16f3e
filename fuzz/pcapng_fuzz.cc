// libFuzzer target: pcapng bytes (plain or gzip) through the capture reader,
// decode and classify (fuzz/capture_fuzz.h). Seeds: fuzz/corpus/pcapng/.

#include "capture_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return scanscope::FuzzCaptureBytes(data, size, scanscope::CaptureFormat::kPcapng);
}
