#include "generate/port_mix.h"

#include <algorithm>
#include <array>

namespace scanscope::generate {
namespace {

using B = Behavior;
using P = Payload;

// Weights are per prober session, tuned so that the accesses come out in the
// reference's order (each behaviour sends a different number of packets per
// session) with about 3 accesses per gross source.
const std::array<PortEntry, 33> kMix = {{
    {PortType::Tcp(445), 30.0, B::kWorm, P::kNone},
    {PortType::Tcp(135), 9.5, B::kWorm, P::kNone},
    {PortType::Icmp(), 11.0, B::kPing, P::kNone},
    {PortType::Tcp(22), 3.2, B::kBrute, P::kNone},
    {PortType::Tcp(1433), 3.0, B::kBrute, P::kNone},
    {PortType::Tcp(139), 4.6, B::kWorm, P::kNone},
    {PortType::Tcp(80), 3.8, B::kScan, P::kNone},
    {PortType::Udp(1026), 4.2, B::kMessenger, P::kMessenger},
    {PortType::Udp(1027), 3.6, B::kMessenger, P::kMessenger},
    {PortType::Tcp(3389), 1.3, B::kBrute, P::kNone},
    {PortType::Tcp(23), 1.4, B::kScan, P::kNone},
    {PortType::Tcp(8080), 1.3, B::kScan, P::kNone},
    {PortType::Tcp(5900), 1.0, B::kScan, P::kNone},
    {PortType::Tcp(3306), 0.7, B::kBrute, P::kNone},
    {PortType::Tcp(25), 0.8, B::kScan, P::kNone},
    {PortType::Udp(137), 1.2, B::kUdpProbe, P::kNbnsStatus},
    {PortType::Udp(1434), 1.0, B::kUdpProbe, P::kSlammer},
    {PortType::Udp(5060), 0.7, B::kUdpProbe, P::kSipOptions},
    {PortType::Udp(53), 0.6, B::kUdpProbe, P::kDnsQuery},
    {PortType::Tcp(2967), 0.3, B::kWorm, P::kNone},
    {PortType::Tcp(4899), 0.35, B::kScan, P::kNone},
    {PortType::Tcp(1080), 0.35, B::kScan, P::kNone},
    {PortType::Tcp(3128), 0.35, B::kScan, P::kNone},
    {PortType::Tcp(443), 0.4, B::kScan, P::kNone},
    {PortType::Tcp(21), 0.4, B::kScan, P::kNone},
    {PortType::Tcp(1025), 0.3, B::kWorm, P::kNone},
    {PortType::Tcp(5000), 0.2, B::kScan, P::kNone},
    {PortType::Tcp(10000), 0.15, B::kScan, P::kNone},
    {PortType::Tcp(6667), 0.1, B::kScan, P::kNone},
    {PortType::Tcp(4444), 0.15, B::kWorm, P::kNone},
    {PortType::Tcp(110), 0.15, B::kScan, P::kNone},
    {PortType::Tcp(0), 1.6, B::kRandomHigh, P::kNone},
    {PortType::Udp(0), 0.8, B::kRandomHigh, P::kPattern},
}};

// Ports seen in real "new port" episodes of honeypot and darknet reports.
constexpr std::array<uint16_t, 8> kNewPorts = {11245, 9415,  12174, 18067,
                                               6129,  30005, 46553, 21320};

}  // namespace

std::span<const PortEntry> BasePortMix() { return kMix; }

const PortEntry& PickPort(std::span<const double> cumulative_weights, double u) {
  double x = u * cumulative_weights.back();
  auto it = std::upper_bound(cumulative_weights.begin(), cumulative_weights.end(), x);
  size_t i = static_cast<size_t>(it - cumulative_weights.begin());
  if (i >= kMix.size()) i = kMix.size() - 1;
  return kMix[i];
}

std::span<const uint16_t> NewPortCandidates() { return kNewPorts; }

uint16_t RandomHighPort(uint64_t bits) {
  for (int i = 0;; ++i) {
    uint16_t port = static_cast<uint16_t>(1025 + (bits >> (i % 32)) % (65536 - 1025));
    bool taken = std::find(kNewPorts.begin(), kNewPorts.end(), port) != kNewPorts.end();
    for (const PortEntry& e : kMix) taken = taken || e.port.port() == port;
    if (!taken) return port;
    bits = bits * 0x9E3779B97F4A7C15ull + 1;
  }
}

}  // namespace scanscope::generate
