#pragma once
// Test support: a small real network built from Linux network namespaces, for
// the sensor and collector tests (docs/sensor-tests.md).
//
//                 ns "wire": two bridges
//   scanner  eth0 ─── scan ─┐
//   sensor-1 eth0 ─── s1 ───┤ brscan   192.0.2.0/24, 2001:db8:1::/64
//   sensor-2 eth0 ─── s2 ───┘
//   sensor-1 mgmt0 ── m1 ───┐
//   sensor-2 mgmt0 ── m2 ───┤ brmgmt   203.0.113.0/24
//   collector eth0 ── col ──┘
//
// Every name outside a namespace (the namespaces themselves) carries a suffix
// unique to the process and the network, so test runs in parallel never
// collide; interface names live inside the namespaces and need no suffix.
// The scanner also holds extra source addresses (198.51.100.10+k/32 and
// 2001:db8:ff::10+k/128) and the sensors route those ranges back through it,
// so probes from several sources are answered like real ones.
//
// Requires root (CAP_NET_ADMIN, CAP_SYS_ADMIN for setns). The destructor
// kills every process started through Spawn that still runs, then deletes
// the namespaces (which removes their veths and bridges); nothing is left
// behind, also when a test fails half-way. Not thread-safe.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace scanscope::testing {

// True when this process may build namespaces (root and `ip netns` works);
// tests skip with the reason otherwise.
bool CanBuildNetworks(std::string* why);

// In a GoogleTest test body: skips the test, with the reason, unless
// CanBuildNetworks.
#define SKIP_UNLESS_NETNS()                           \
  do {                                                \
    std::string why;                                  \
    if (!CanBuildNetworks(&why)) GTEST_SKIP() << why; \
  } while (0)

// One host of the test network.
struct NetHost {
  std::string name;            // "scanner", "sensor-1", "collector"
  std::string ns;              // its namespace, e.g. "ss-4f2a1-s1"
  std::string interface;       // its interface on the scan LAN ("eth0"); the collector's only one
  std::string mac;             // that interface's MAC, "aa:bb:.."
  int ifindex = 0;             // that interface's index inside ns
  std::string v4;              // its address on that interface
  std::string v6;              // "" for the collector
  std::string mgmt_interface;  // sensors: "mgmt0", the link to the collector
  std::string mgmt_v4;         // sensors: 203.0.113.(10+i)
  std::string wire_port;       // the bridge port in "wire" of `interface`
  std::string wire_mgmt_port;  // sensors: the bridge port in "wire" of `mgmt_interface`
};

// A process started inside a namespace, stdout and stderr to a log file.
class NsProcess {
 public:
  ~NsProcess();  // SIGKILL and reap when still running
  NsProcess(const NsProcess&) = delete;
  NsProcess& operator=(const NsProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // Everything the process logged so far (across restarts the file grows:
  // each start appends).
  std::string Log() const;
  // Sends `signal`; no effect once reaped.
  void Signal(int signal);
  // Reaps the process if it has exited; true while it runs.
  bool Running();
  // Waits up to `timeout` for exit; the exit code (128+N for signal N), or
  // -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  // kill -9 and reap.
  void Kill();
  // Polls the log until it holds `text` after byte `from`, the process
  // exits, or `timeout` passes. True when found.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout, size_t from = 0);

 private:
  friend class TestNetwork;
  NsProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

class TestNetwork {
 public:
  // Builds the network with `sensors` sensor hosts (1..8) and `extra_sources`
  // extra scanner addresses per family (1..50). nullptr and *error set when
  // any step fails (what was built is torn down).
  static std::unique_ptr<TestNetwork> Create(int sensors, int extra_sources, std::string* error);
  ~TestNetwork();
  TestNetwork(const TestNetwork&) = delete;
  TestNetwork& operator=(const TestNetwork&) = delete;

  const std::string& suffix() const { return suffix_; }
  // Every namespace this network made (for leak checks after destruction).
  const std::vector<std::string>& namespaces() const { return namespaces_; }
  const NetHost& scanner() const { return scanner_; }
  const NetHost& collector() const { return collector_; }
  const NetHost& sensor(int i) const { return sensors_.at(i); }  // 0-based
  int sensor_count() const { return static_cast<int>(sensors_.size()); }
  // The scanner's source addresses: its own, then the extra ones.
  const std::vector<std::string>& scanner_v4_sources() const { return v4_sources_; }
  const std::vector<std::string>& scanner_v6_sources() const { return v6_sources_; }

  // `command` through /bin/sh inside `ns` (ip netns exec).
  CommandResult Run(const std::string& ns, const std::string& command) const;
  // Starts argv[0] with argv inside `ns` (fork, setns(2), exec), output
  // appended to `log_path`. nullptr if the fork fails. The network keeps no
  // ownership, but the destructor of the NsProcess must run before this
  // network's (declare it after the network).
  std::unique_ptr<NsProcess> Spawn(const std::string& ns, const std::vector<std::string>& argv,
                                   const std::string& log_path) const;
  // A socket created inside `ns` (a thread that setns(2)s, then socket(2)):
  // it stays bound to that namespace. -1 with errno on failure.
  int SocketIn(const std::string& ns, int domain, int type, int protocol) const;

  // Cuts (up = false) or restores sensor i's link to the collector: the
  // bridge port of its mgmt link in "wire" goes down, so its packets vanish
  // on the way, as when a cable or an uplink goes. The scan LAN stays up.
  bool SetCollectorLink(int i, bool up) const;
  // Whether a TCP connection from `from_ns` to `address`:`port` in `to_ns`
  // completes within `timeout` (a listener is opened in `to_ns` for it).
  bool CanConnect(const std::string& from_ns, const std::string& to_ns, const std::string& address,
                  std::chrono::milliseconds timeout) const;
  // `ip link set DEV up|down` inside `ns`.
  bool SetLink(const std::string& ns, const std::string& dev, bool up) const;

 private:
  TestNetwork() = default;
  bool Build(int sensors, int extra_sources, std::string* error);
  bool Sh(const std::string& command, std::string* error) const;  // in the root namespace
  bool ReadLink(NetHost* host, std::string* error) const;
  std::string suffix_;
  std::vector<std::string> namespaces_;
  std::string wire_ns_;
  NetHost scanner_, collector_;
  std::vector<NetHost> sensors_;
  std::vector<std::string> v4_sources_, v6_sources_;
};

// One 20 ms poll interval (between checks of a condition, never as sync).
void PollSleep();

// Polls `condition` every 20 ms until true or `timeout` passes; its last value.
template <typename F>
bool PollUntil(std::chrono::milliseconds timeout, F condition) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    PollSleep();
  }
}

// What is left in the root namespace of a network with this suffix: lines of
// `ip netns list` and `ip -o link` that mention it. Empty when clean.
std::string NetworkLeftovers(const std::string& suffix);

}  // namespace scanscope::testing
