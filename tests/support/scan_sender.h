#pragma once
// Test support: the tests' own scanner, and an outbound client whose replies
// must not count (docs/sensor-tests.md).
//
// ScanSender writes whole Ethernet frames on the scanner's interface through
// an AF_PACKET socket made inside the scanner's namespace: TCP SYN, UDP probes
// and ICMP/ICMPv6 echo requests, IPv4 and IPv6, from the scanner's several
// source addresses, to the sensors' addresses, at a chosen rate. The frames
// are built with packet_builder.h (independent of src/decode). Every probe
// uses a fresh source port (TCP/UDP) or echo id, so the sensor host's own
// answers to one probe (RST, port unreachable, echo reply), which the sensor
// sees leave, can never make a later probe look like a reply.
//
// It records every frame the kernel accepted: the test's independent count
// of what the sensors must store (SentAccess: point, source, port type, the
// send time), which ExpectedCells turns into per (day, point, port type)
// accesses and the set of sources.
//
// OutboundClient: from a sensor host, TCP connections and UDP queries to
// servers in the scanner's namespace, answered there; the answers reach the
// sensor's interface and must be classified as replies, never accesses.
//
// Not thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/netns.h"
#include "support/packet_builder.h"

namespace scanscope::testing {

// One probe the scanner sent, as the sensor must count it.
struct SentAccess {
  int sensor = 0;       // index into the network's sensors
  std::string source;   // "198.51.100.10", "2001:db8:ff::10"
  std::string port;     // "445/tcp", "53/udp", "ICMP" (PortType::ToString form)
  int64_t time_ns = 0;  // CLOCK_REALTIME just before the send, UTC
};

// What one (day, point, port type) must hold.
struct ExpectedCell {
  uint64_t accesses = 0;
  std::map<std::string, uint64_t> sources;  // source -> its accesses in the cell
};
using CellKey = std::tuple<int32_t, std::string, std::string>;  // (day, point, port)

// Per (local day, point name, port) the expected accesses and sources.
// `offset_seconds` is the fixed UTC offset of the zone of "day" (the tests
// use Etc/GMT±N zones); `points[i]` names sensor i.
std::map<CellKey, ExpectedCell> ExpectedCells(const std::vector<SentAccess>& sent,
                                              const std::vector<std::string>& points,
                                              int64_t offset_seconds);

// Which probes a round holds. A round sends, to every sensor in `sensors`
// (empty: all), from every source, one probe per TCP port, per UDP port and
// `echoes` ICMP echo requests; v4 sources to the sensor's IPv4 address, v6
// sources to its IPv6 address.
struct ScanMix {
  std::vector<uint16_t> tcp_ports = {22, 23, 80, 445, 3389};
  std::vector<uint16_t> udp_ports = {53, 123, 1900};
  int echoes = 1;
  int v4_sources = 3;  // how many of the scanner's IPv4 sources to use (from the first)
  int v6_sources = 2;
  std::vector<int> sensors;
};

class ScanSender {
 public:
  // nullptr and *error when the socket cannot be made.
  static std::unique_ptr<ScanSender> Create(const TestNetwork& net, std::string* error);
  ~ScanSender();

  // One frame ready to go, and what it counts as.
  struct Frame {
    Bytes bytes;
    SentAccess access;
  };
  // The frames of one round of `mix` (fresh source ports and echo ids).
  std::vector<Frame> BuildRound(const ScanMix& mix);
  // Sends `frames` in order at `rate_pps` frames per second (0: as fast as
  // the socket takes them), and records each one sent (time stamped just
  // before its send). False and *error at the first send that fails (the
  // frames before it are recorded).
  bool Send(std::vector<Frame> frames, double rate_pps, std::string* error);
  // BuildRound then Send.
  bool SendRound(const ScanMix& mix, double rate_pps, std::string* error);
  // Sends `total` frames, cycling through `frames` (all to the first
  // frame's destination MAC), at `rate_pps` (0: as fast as it goes),
  // without recording (for the capture benchmark); the number the kernel
  // accepted.
  uint64_t Blast(const std::vector<Frame>& frames, uint64_t total, double rate_pps);

  const std::vector<SentAccess>& sent() const { return sent_; }

 private:
  ScanSender(const TestNetwork& net, int fd) : net_(net), fd_(fd) {}
  const TestNetwork& net_;
  int fd_ = -1;
  uint16_t next_port_ = 20000;  // source ports and echo ids, 20000..60999 cyclic
  std::vector<SentAccess> sent_;
};

// TCP and UDP echo servers in the scanner's namespace, on its own address,
// serving until destroyed.
class EchoServers {
 public:
  static std::unique_ptr<EchoServers> Start(const TestNetwork& net, std::string* error);
  ~EchoServers();
  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t udp_port() const { return udp_port_; }

 private:
  EchoServers() = default;
  int tcp_fd_ = -1, udp_fd_ = -1, stop_fd_ = -1;
  uint16_t tcp_port_ = 0, udp_port_ = 0;
  std::thread thread_;
};

// From sensor `i` (its scan address, IPv4 and IPv6), `connections` TCP
// connections (connect, send, read the echo, close) and `queries` UDP
// queries (send, read the echo) to the servers. The number of exchanges
// that got their answer; *error names the first failure.
int RunOutboundClient(const TestNetwork& net, int i, const EchoServers& servers, int connections,
                      int queries, std::string* error);

}  // namespace scanscope::testing
