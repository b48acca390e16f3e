// The sensor's capture benchmark (bench/sensor_capture_bench.sh, `./run
// bench-sensor`; docs/sensor-tests.md): on the test network's veth, the rate
// at which `scanscope sensor` first reports capture drops (libpcap ps_drop +
// ps_ifdrop, from its last log line), against tcpdump writing the same
// traffic to a file with the same filter and the same 32 MiB buffer.
//
// Disabled in ctest (it takes minutes and wants a quiet machine); the script
// runs it with --gtest_also_run_disabled_tests. Environment:
//   SCANSCOPE_BENCH_RATES    packets/s to step through (default
//                            "20000,50000,100000,200000,400000,0"; 0 = as
//                            fast as the sender goes)
//   SCANSCOPE_BENCH_SECONDS  seconds of traffic per step (default 3)
// Each step sends distinct probes (fresh ports and echo ids) from the
// scanner's namespace through AF_PACKET to one sensor host; the receiver
// runs alone in that host's namespace, then is stopped and its counters read.
// The sender, the receiver and the kernel share the machine's cores: the
// figures are for this machine as measured, not a property of the code alone.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "support/netns.h"
#include "support/scan_sender.h"
#include "support/scanscope_rig.h"

namespace scanscope::testing {
namespace {

using std::chrono::seconds;

struct Step {
  double target = 0;
  double achieved = 0;
  uint64_t sent = 0;
  uint64_t seen = 0;
  uint64_t drops = 0;
};

uint64_t Match(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return UINT64_MAX;
  return std::stoull(m[1].str());
}

TEST(SensorCaptureBench, DISABLED_DropOnsetAgainstTcpdump) {
  std::string why;
  if (!CanBuildNetworks(&why)) GTEST_SKIP() << why;
  std::vector<double> rates;
  {
    const char* env = std::getenv("SCANSCOPE_BENCH_RATES");
    std::stringstream ss(env ? env : "20000,50000,100000,200000,400000,0");
    std::string r;
    while (std::getline(ss, r, ',')) rates.push_back(std::stod(r));
  }
  const double secs = std::getenv("SCANSCOPE_BENCH_SECONDS")
                          ? std::stod(std::getenv("SCANSCOPE_BENCH_SECONDS"))
                          : 3;

  std::string error;
  auto net = TestNetwork::Create(1, 8, &error);
  ASSERT_NE(net, nullptr) << error;
  TempDir dir;
  TestZone zone = ZoneAtNoonNow();
  auto rig = ScanscopeRig::Create(*net, SCANSCOPE_BINARY, dir.path(), zone, &error);
  ASSERT_NE(rig, nullptr) << error;
  ASSERT_TRUE(rig->StartCollector(&error)) << error;
  auto sender = ScanSender::Create(*net, &error);
  ASSERT_NE(sender, nullptr) << error;
  // 40,000 distinct probes (9 kinds x 9 IPv4 and 9 IPv6 sources a round),
  // sent cyclically.
  std::vector<ScanSender::Frame> frames;
  ScanMix mix;
  mix.v4_sources = 9;
  mix.v6_sources = 9;
  while (frames.size() < 40000) {
    auto round = sender->BuildRound(mix);
    frames.insert(frames.end(), round.begin(), round.end());
  }
  // Addressed to a MAC that is not the host's: the frames cross the bridge
  // (flooded to the one sensor port) and reach the capture as they are, but
  // the host's IP stack drops them at once instead of answering each SYN
  // and echo, so a step measures the capture path, not the kernel's TCP.
  for (auto& f : frames) {
    const uint8_t other[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x99};
    std::copy(other, other + 6, f.bytes.begin());
  }
  const NetHost& host = net->sensor(0);
  const std::string filter = "net " + host.v4 + "/32 or net " + host.v6 + "/128";

  auto blast = [&](double rate, Step* step) {
    // Rate 0: 100,000 frames a second of the step, sent as fast as they go.
    uint64_t n = static_cast<uint64_t>((rate > 0 ? rate : 100'000) * secs);
    auto t0 = std::chrono::steady_clock::now();
    step->sent = sender->Blast(frames, n, rate);
    double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    step->target = rate;
    step->achieved = step->sent / el;
    // Let the receiver drain what is buffered before it is stopped (a
    // benchmark's pause, not a test's synchronisation).
    std::this_thread::sleep_for(seconds(1));
  };

  std::vector<Step> sensor_steps, tcpdump_steps;
  for (size_t k = 0; k < rates.size(); ++k) {
    // scanscope sensor: a fresh process (its counters start at 0) on a fresh spool.
    rig->SetSpool(0, dir.File("bench-spool-" + std::to_string(k)));
    ASSERT_TRUE(rig->StartSensor(0, &error)) << error;
    size_t log_from = rig->SensorLog(0).size();
    Step s;
    blast(rates[k], &s);
    ASSERT_TRUE(rig->StopSensor(0)) << rig->SensorLog(0);
    std::string log = rig->SensorLog(0).substr(log_from);
    s.seen = Match(log, R"(stopped: (\d+) packets)");
    s.drops = Match(log, R"((\d+) capture drops)");
    sensor_steps.push_back(s);

    // tcpdump -w to a file, same filter, same buffer (-B in KiB).
    std::string tlog = dir.File("tcpdump-" + std::to_string(k) + ".log");
    auto tcpdump = net->Spawn(host.ns,
                              {"/usr/bin/tcpdump", "-i", host.interface, "-n", "-B", "32768", "-w",
                               dir.File("bench-" + std::to_string(k) + ".pcap"), filter},
                              tlog);
    ASSERT_TRUE(tcpdump && tcpdump->WaitForLog("listening on", seconds(10))) << tcpdump->Log();
    Step t;
    blast(rates[k], &t);
    tcpdump->Signal(SIGINT);
    ASSERT_EQ(tcpdump->Wait(seconds(20)), 0) << tcpdump->Log();
    t.seen = Match(tcpdump->Log(), R"((\d+) packets captured)");
    t.drops = Match(tcpdump->Log(), R"((\d+) packets dropped by kernel)");
    tcpdump_steps.push_back(t);
    std::remove(dir.File("bench-" + std::to_string(k) + ".pcap").c_str());
  }
  ASSERT_TRUE(rig->StopCollector()) << rig->CollectorLog();

  std::printf("\n%-10s %12s %12s %10s %12s %10s\n", "receiver", "target pps", "sent pps", "sent",
              "seen", "drops");
  auto print = [](const char* who, const std::vector<Step>& steps) {
    const Step* onset = nullptr;
    for (const Step& s : steps) {
      std::printf("%-10s %12.0f %12.0f %10llu %12llu %10llu\n", who, s.target, s.achieved,
                  static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.seen),
                  static_cast<unsigned long long>(s.drops));
      if (onset == nullptr && s.drops > 0 && s.drops != UINT64_MAX) onset = &s;
    }
    return onset;
  };
  const Step* a = print("sensor", sensor_steps);
  const Step* b = print("tcpdump", tcpdump_steps);
  auto say = [](const char* who, const Step* s) {
    if (s == nullptr) {
      std::printf("%s: no drops at any rate tried\n", who);
    } else {
      std::printf("%s: first drops at %.0f packets/s sent (%llu dropped)\n", who, s->achieved,
                  static_cast<unsigned long long>(s->drops));
    }
  };
  say("scanscope sensor", a);
  say("tcpdump -w", b);
}

}  // namespace
}  // namespace scanscope::testing
