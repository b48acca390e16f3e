// Classifier throughput: records/s for inbound SYNs to a watched /24, with an
// empty reply table (the common case: a capture of inbound traffic only) and
// with a busy one (hundreds of thousands of the host's own flows held).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "classify/classifier.h"

namespace scanscope {
namespace {

constexpr int64_t kT0 = int64_t{1'700'000'000} * 1'000'000'000;
const IpAddress kNet = IpAddress::FromV4(0xC0000200);  // 192.0.2.0/24

ClassifyOptions Options() {
  ClassifyOptions o;
  o.watched.Add(Prefix(kNet, 96 + 24));
  return o;
}

// SYNs from 198.18.x.y to 192.0.2.z, varied ports: 4,096 distinct packets.
std::vector<PacketView> InboundSyns() {
  std::vector<PacketView> packets(4096);
  uint32_t x = 12345;
  for (PacketView& p : packets) {
    x = x * 1103515245u + 12345u;
    p.ip_version = 4;
    p.source = IpAddress::FromV4(0xC6120000u | (x >> 16));
    p.destination = IpAddress::FromV4(0xC0000200u | (x & 0xFF));
    p.protocol = kProtoTcp;
    p.ttl = 113;
    p.ip_length = 52;
    p.has_ports = true;
    p.source_port = static_cast<uint16_t>(40000 + (x & 0x3FF));
    p.destination_port = static_cast<uint16_t>((x >> 8) % 1024);
    p.tcp_flags = kTcpSyn;
  }
  return packets;
}

void RunInbound(benchmark::State& state, Classifier& c, int64_t t0) {
  std::vector<PacketView> packets = InboundSyns();
  AccessRecord record;
  size_t i = 0;
  int64_t t = t0;
  for (auto _ : state) {
    ClassifyResult r = c.Classify(t, packets[i], &record);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(record);
    i = (i + 1) & (packets.size() - 1);
    t += 1000;  // 1 us apart
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_InboundSynEmptyReplyTable(benchmark::State& state) {
  Classifier c(Options());
  RunInbound(state, c, kT0);
}
BENCHMARK(BM_InboundSynEmptyReplyTable);

// The host has opened `state.range(0)` flows to 203.0.x.y (other remotes
// than the scanners), so every inbound SYN costs a full table miss.
void BM_InboundSynBusyReplyTable(benchmark::State& state) {
  Classifier c(Options());
  int flows = static_cast<int>(state.range(0));
  PacketView out;
  out.ip_version = 4;
  out.protocol = kProtoTcp;
  out.has_ports = true;
  out.destination_port = 443;
  out.tcp_flags = kTcpSyn;
  for (int i = 0; i < flows; ++i) {
    out.source = IpAddress::FromV4(0xC0000200u | (i & 0xFF));
    out.destination = IpAddress::FromV4(0xCB000000u | static_cast<uint32_t>(i >> 8));
    out.source_port = static_cast<uint16_t>(1024 + i % 50000);
    c.Classify(kT0, out, nullptr);
  }
  state.counters["flows_held"] = static_cast<double>(c.reply_table_size());
  RunInbound(state, c, kT0 + 1);
}
BENCHMARK(BM_InboundSynBusyReplyTable)->Arg(1000)->Arg(500'000);

}  // namespace
}  // namespace scanscope
