// Decode throughput: packets/s through DecodeFrame for a mix like a sensor's
// inbound traffic: Ethernet/IPv4 TCP SYNs (most of it), UDP probes, ICMP echo
// requests and ICMP errors quoting a packet, plus a share of IPv6 and VLAN.
// Frames are built here byte by byte (the bench does not link test support).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "decode/decoder.h"

namespace scanscope {
namespace {

using Bytes = std::vector<uint8_t>;

void Put16(Bytes* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v >> 8));
  b->push_back(static_cast<uint8_t>(v));
}

Bytes EthernetHeader(uint16_t ether_type, bool vlan) {
  Bytes b{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  if (vlan) {
    Put16(&b, 0x8100);
    Put16(&b, 42);
  }
  Put16(&b, ether_type);
  return b;
}

// IPv4 header (no options, checksum left 0: decode does not check it).
void Ipv4Header(Bytes* b, uint8_t protocol, uint16_t l4_length, uint32_t src, uint32_t dst) {
  b->push_back(0x45);
  b->push_back(0);
  Put16(b, static_cast<uint16_t>(20 + l4_length));
  Put16(b, 0x1234);
  Put16(b, 0x4000);
  b->push_back(113);
  b->push_back(protocol);
  Put16(b, 0);
  for (uint32_t a : {src, dst}) {
    for (int s = 24; s >= 0; s -= 8) b->push_back(static_cast<uint8_t>(a >> s));
  }
}

void Ipv6Header(Bytes* b, uint8_t next, uint16_t payload, uint8_t host) {
  const uint8_t fixed[8] = {0x60, 0, 0, 0, 0, 0, next, 64};
  b->insert(b->end(), fixed, fixed + 8);
  (*b)[b->size() - 4] = static_cast<uint8_t>(payload >> 8);
  (*b)[b->size() - 3] = static_cast<uint8_t>(payload);
  for (int i = 0; i < 2; ++i) {
    const uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, host};
    b->insert(b->end(), addr, addr + 16);
  }
}

void TcpSyn(Bytes* b, uint16_t sport, uint16_t dport) {
  Put16(b, sport);
  Put16(b, dport);
  const uint8_t rest[16] = {0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xFF, 0xFF, 0, 0, 0, 0};
  b->insert(b->end(), rest, rest + 16);
  const uint8_t mss[4] = {2, 4, 0x05, 0xB4};
  b->insert(b->end(), mss, mss + 4);
}

std::vector<Bytes> Mix() {
  std::vector<Bytes> frames;
  uint32_t x = 2463534242u;
  for (int i = 0; i < 1024; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    const uint32_t src = 0xC6120000u | (x >> 16);
    const uint32_t dst = 0xC0000200u | (x & 0xFF);
    const int kind = i % 16;
    Bytes f;
    if (kind < 10) {  // IPv4 TCP SYN (every 5th on a VLAN)
      f = EthernetHeader(0x0800, kind == 0 || kind == 5);
      Ipv4Header(&f, 6, 24, src, dst);
      TcpSyn(&f, static_cast<uint16_t>(40000 + (x & 0x3FF)), static_cast<uint16_t>(x % 1024));
    } else if (kind < 12) {  // UDP probe with 32 bytes of data
      f = EthernetHeader(0x0800, false);
      Ipv4Header(&f, 17, 40, src, dst);
      Put16(&f, 53);
      Put16(&f, static_cast<uint16_t>(1024 + (x & 0x7FFF)));
      Put16(&f, 40);
      Put16(&f, 0);
      f.resize(f.size() + 32, 0);
    } else if (kind < 14) {  // ICMP echo request, 56 bytes of data
      f = EthernetHeader(0x0800, false);
      Ipv4Header(&f, 1, 64, src, dst);
      const uint8_t echo[8] = {8, 0, 0, 0, 0x12, 0x34, 0, 1};
      f.insert(f.end(), echo, echo + 8);
      f.resize(f.size() + 56, 0);
    } else if (kind == 14) {  // ICMP port unreachable quoting a UDP packet
      f = EthernetHeader(0x0800, false);
      Ipv4Header(&f, 1, 8 + 28, src, dst);
      const uint8_t unreach[8] = {3, 3, 0, 0, 0, 0, 0, 0};
      f.insert(f.end(), unreach, unreach + 8);
      Ipv4Header(&f, 17, 8, dst, src);
      Put16(&f, 33434);
      Put16(&f, 53);
      Put16(&f, 8);
      Put16(&f, 0);
    } else {  // IPv6 TCP SYN
      f = EthernetHeader(0x86DD, false);
      Ipv6Header(&f, 6, 24, static_cast<uint8_t>(x));
      TcpSyn(&f, 50000, static_cast<uint16_t>(x % 1024));
    }
    frames.push_back(std::move(f));
  }
  return frames;
}

void BM_DecodeMix(benchmark::State& state) {
  const std::vector<Bytes> frames = Mix();
  PacketView view;
  DecodeCounters counters;
  size_t i = 0;
  for (auto _ : state) {
    const Bytes& f = frames[i++ & 1023];
    DecodeFrame(LinkType::kEthernet, f, &view, &counters);
    benchmark::DoNotOptimize(view);
  }
  if (counters.Get(DecodeResult::kOk) != static_cast<uint64_t>(state.iterations())) {
    state.SkipWithError("a frame of the mix did not decode");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeMix);

void BM_DecodeSyn(benchmark::State& state) {
  Bytes f = EthernetHeader(0x0800, false);
  Ipv4Header(&f, 6, 24, 0xC6120001u, 0xC0000201u);
  TcpSyn(&f, 40000, 445);
  PacketView view;
  for (auto _ : state) {
    benchmark::DoNotOptimize(DecodeFrame(LinkType::kEthernet, f, &view));
    benchmark::DoNotOptimize(view);
  }
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeSyn);

}  // namespace
}  // namespace scanscope
