// Frames per second through the capture reader, on captures built in memory:
// plain pcap (the zero-copy path used for mapped files), pcapng, and gzip;
// and netfilter LOG lines per second through the line parser (TCP, UDP,
// ICMP echo, and an ICMP error with its quote, as a firewall logs them).
// Run: ./capture_bench   (bytes_per_second is file or line bytes read)

#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "capture/capture_file.h"
#include "capture/netfilter_log.h"

namespace scanscope {
namespace {

constexpr size_t kPackets = 1 << 20;
constexpr uint32_t kFrameBytes = 60;  // a minimal Ethernet + IPv4 + TCP SYN

void Put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

const std::vector<uint8_t>& Pcap() {
  static const std::vector<uint8_t> bytes = [] {
    std::vector<uint8_t> b;
    for (uint32_t v : {0xa1b2c3d4u, 0x00040002u, 0u, 0u, 65535u, 1u}) Put32(b, v);
    for (size_t i = 0; i < kPackets; ++i) {
      for (uint32_t v :
           {1700000000u + uint32_t(i / 1000), uint32_t(i % 1000000), kFrameBytes, kFrameBytes}) {
        Put32(b, v);
      }
      for (uint32_t k = 0; k < kFrameBytes; ++k) b.push_back(static_cast<uint8_t>(i + k));
    }
    return b;
  }();
  return bytes;
}

const std::vector<uint8_t>& Pcapng() {
  static const std::vector<uint8_t> bytes = [] {
    std::vector<uint8_t> b;
    for (uint32_t v : {0x0a0d0d0au, 28u, 0x1a2b3c4du, 1u, 0xffffffffu, 0xffffffffu, 28u}) {
      Put32(b, v);
    }
    for (uint32_t v : {1u, 20u, 1u, 0u, 20u}) Put32(b, v);  // IDB: Ethernet
    for (size_t i = 0; i < kPackets; ++i) {
      const uint64_t ts = 1700000000000000ull + i;
      for (uint32_t v : {6u, 32u + kFrameBytes, 0u, uint32_t(ts >> 32), uint32_t(ts), kFrameBytes,
                         kFrameBytes}) {
        Put32(b, v);
      }
      for (uint32_t k = 0; k < kFrameBytes; ++k) b.push_back(static_cast<uint8_t>(i + k));
      Put32(b, 32 + kFrameBytes);
    }
    return b;
  }();
  return bytes;
}

std::vector<uint8_t> Gzip(const std::vector<uint8_t>& in) {
  z_stream zs{};
  deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&zs, in.size()));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void Iterate(benchmark::State& state, const std::vector<uint8_t>& bytes, uint64_t plain_size) {
  uint64_t frames = 0;
  for (auto _ : state) {
    auto file = OpenCaptureBuffer(bytes);
    if (!file.ok()) {
      state.SkipWithError(file.status().message().c_str());
      return;
    }
    Frame frame;
    uint64_t sum = 0;
    while ((*file)->Next(&frame)) sum += frame.data.size() + uint64_t(frame.time_ns);
    benchmark::DoNotOptimize(sum);
    frames += (*file)->counters().frames;
  }
  state.SetItemsProcessed(int64_t(frames));
  state.SetBytesProcessed(int64_t(plain_size * state.iterations()));
}

void BM_Pcap(benchmark::State& state) { Iterate(state, Pcap(), Pcap().size()); }
void BM_Pcapng(benchmark::State& state) { Iterate(state, Pcapng(), Pcapng().size()); }
void BM_PcapGzip(benchmark::State& state) {
  static const std::vector<uint8_t> gz = Gzip(Pcap());
  Iterate(state, gz, Pcap().size());
}

void BM_NetfilterLines(benchmark::State& state) {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> out;
    for (int i = 0; i < 4096; ++i) {
      std::string stamp = "May  3 14:" + std::to_string(10 + i % 50) + ":11 fw kernel: [" +
                          std::to_string(12345 + i) + ".678901] [UFW BLOCK] IN=eth0 OUT= ";
      std::string src = "SRC=198.51." + std::to_string(i % 256) + "." + std::to_string(i % 199);
      switch (i % 4) {
        case 0:
          out.push_back(stamp + "MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 " + src +
                        " DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=4321 DF PROTO=TCP "
                        "SPT=51234 DPT=445 WINDOW=29200 RES=0x00 SYN URGP=0 ");
          break;
        case 1:
          out.push_back(stamp + src +
                        " DST=192.0.2.11 LEN=29 TOS=0x00 PREC=0x00 TTL=112 ID=771 PROTO=UDP "
                        "SPT=1027 DPT=1434 LEN=9 ");
          break;
        case 2:
          out.push_back(stamp + src +
                        " DST=192.0.2.12 LEN=84 TOS=0x00 PREC=0x00 TTL=55 ID=0 DF PROTO=ICMP "
                        "TYPE=8 CODE=0 ID=31000 SEQ=1 ");
          break;
        default:
          out.push_back(stamp + src +
                        " DST=192.0.2.13 LEN=56 TOS=0x00 PREC=0xC0 TTL=240 ID=9 PROTO=ICMP "
                        "TYPE=3 CODE=3 [SRC=192.0.2.13 DST=203.0.113.1 LEN=28 TOS=0x00 "
                        "PREC=0x00 TTL=63 ID=1 PROTO=UDP SPT=53 DPT=33434 LEN=8 ] ");
          break;
      }
    }
    return out;
  }();
  const TimeZone utc = TimeZone::Utc();
  LoggedPacket packet;
  LogMalformed why = LogMalformed::kTruncatedLine;
  int64_t bytes = 0, parsed = 0;
  for (auto _ : state) {
    for (const std::string& line : lines) {
      parsed += ParseNetfilterLine(line, 2026, utc, &packet, &why) == LogLineResult::kPacket;
      bytes += static_cast<int64_t>(line.size());
    }
    benchmark::DoNotOptimize(packet);
  }
  if (parsed != static_cast<int64_t>(lines.size() * state.iterations())) {
    state.SkipWithError("a line did not parse as a packet");
  }
  state.SetItemsProcessed(static_cast<int64_t>(lines.size() * state.iterations()));
  state.SetBytesProcessed(bytes);
}

BENCHMARK(BM_Pcap)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Pcapng)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PcapGzip)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NetfilterLines)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace scanscope
