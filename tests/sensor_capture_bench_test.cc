// The sensor's capture benchmark (bench/sensor_capture_bench.sh, `./run
// bench-sensor`; docs/sensor-tests.md, "Capture benchmark"): on the test
// network's veth, the rate at which `scanscope sensor` first reports capture
// drops (libpcap ps_drop + ps_ifdrop, from its last log line), against
// tcpdump writing the same traffic to a file with the same filter and the
// same 32 MiB buffer.
//
// Disabled in ctest (it takes a minute or two, needs root and wants a quiet
// machine); the script runs it with --gtest_also_run_disabled_tests.
// Environment:
//   SCANSCOPE_BENCH_SENDER   "trafgen" (default: netsniff-ng's trafgen,
//                            PACKET_TX_RING, the fastest here), "tcpreplay"
//                            (tcpreplay --preload-pcap of the same frames as
//                            a pcap) or "socket" (the tests' ScanSender:
//                            one thread, sendmmsg on AF_PACKET)
//   SCANSCOPE_BENCH_RATES    packets/s to step through (default
//                            "50000,100000,200000,400000,800000,0"; 0 = as
//                            fast as the sender goes)
//   SCANSCOPE_BENCH_SECONDS  seconds of traffic per step (default 3)
//   SCANSCOPE_BENCH_PIN      "split" (default): the sender on CPU 0, the
//                            receiver on CPU 1; "shared": both on CPU 0, so
//                            the receiver gets the share of one core that
//                            the sender and the kernel's delivery leave it;
//                            "none": unpinned (taskset; trafgen pins its one
//                            worker to CPU 0 itself in every mode)
//   SCANSCOPE_BENCH_TRAFGEN_WORKERS  trafgen's -P (default 1; worker i
//                            runs on CPU i)
//   SCANSCOPE_BENCH_RECEIVER_NICE  the receiver's nice value (default 0)
//   SCANSCOPE_BENCH_RECEIVER_CPU_PERCENT  caps the receiver at that share of
//                            one core with a cgroup (default 100: no cap);
//                            the onset then falls inside the sender's reach
//   SCANSCOPE_BENCH_HOST_MAC "1": frames carry the sensor host's own MAC, so
//                            its IP stack answers every probe (RST, echo
//                            reply); default "0": a foreign MAC, see below
//
// The traffic: 4,050 distinct probes (25 rounds of ScanSender::BuildRound:
// TCP SYN to 5 ports, UDP to 3, ICMP echo, from 9 IPv4 and 9 IPv6 sources,
// each with a fresh source port or echo id) to the one sensor host's two
// watched addresses, cycled. Each is an access (docs/design.md: counted per
// packet), so a sensor that drops nothing reports as many accesses as
// packets. By default the frames carry a MAC that is not the host's: the
// bridge floods them to the one sensor port and the capture sees them
// unchanged, but the host's IP stack discards them at once (PACKET_OTHERHOST)
// instead of answering each SYN and echo; otherwise the answers cost more
// than the capture, double what the sensor sees, and make a cycled probe
// look like a reply to the host's own RST.
//
// Per step and receiver: the receiver starts alone in the sensor host's
// namespace, the sender runs in the scanner's namespace for the step's
// seconds (a rate-limited sender that cannot keep up is stopped 1.5 s after
// the step's end), the receiver gets one second to drain its ring (a
// benchmark's pause, not synchronisation), then it is stopped and its
// counters read. Columns: what the sender reports it sent and at what rate
// (its own figures: trafgen's packets outgoing over its worker's run time,
// tcpreplay's "Actual" and "Rated"), what the sensor host's eth0 received
// (rx_packets: the frames that reached the capture taps), what the receiver
// saw (sensor: packets and accesses from its last log line; tcpdump:
// "packets captured"), what it counted as dropped, "missed" = sent - seen
// (what it dropped, or still held unread a second after the traffic ended:
// either way it did not keep up), and its own CPU time. A step misses when
// missed > 0 or drops > 0; the onset: the highest sent rate that missed
// nothing, and the first step run (rates ascending, 0 last) that missed.
// Everything shares the machine's cores: the figures are for this machine
// as measured, not the code alone.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "support/netns.h"
#include "support/packet_builder.h"
#include "support/scan_sender.h"
#include "support/scanscope_rig.h"

namespace scanscope::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kNone = UINT64_MAX;

struct Step {
  double target = 0;          // packets/s asked for (0: as fast as it goes)
  double sent_pps = 0;        // the sender's own rate
  uint64_t sent = 0;          // the sender's own count
  uint64_t delivered = 0;     // rx_packets of the sensor host's eth0 during the step
  uint64_t seen = 0;          // what the receiver captured
  uint64_t accesses = kNone;  // sensor: accesses it classified
  uint64_t drops = 0;         // what the receiver says it dropped
  double cpu_seconds = 0;     // the receiver's user + system time during the step
  int64_t missed = 0;         // sent - seen (sensor: sent - accesses), set when printed
};

uint64_t Match(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return kNone;
  return std::stoull(m[1].str());
}

double MatchDouble(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return 0;
  return std::stod(m[1].str());
}

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// The children of `pid` (trafgen forks one worker per CPU it uses; ^C at a
// terminal reaches the whole group, a signal to the parent alone does not
// stop the worker).
std::vector<pid_t> Children(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  pid_t c;
  while (in >> c) out.push_back(c);
  return out;
}

// rx_packets of `dev` inside `ns`.
uint64_t RxPackets(const TestNetwork& net, const std::string& ns, const std::string& dev) {
  CommandResult r = net.Run(ns, "cat /sys/class/net/" + dev + "/statistics/rx_packets");
  return r.exit_code == 0 ? std::stoull(r.out) : kNone;
}

// The processes in `ns` (`ip netns pids`).
std::vector<pid_t> NamespacePids(const std::string& ns) {
  CommandResult r = RunCommand("ip netns pids " + ns);
  std::stringstream ss(r.out);
  std::vector<pid_t> out;
  pid_t pid;
  while (ss >> pid) out.push_back(pid);
  return out;
}

// Pins every thread of `pids` to `cpu` and sets their nice value.
void PlaceReceiver(const std::vector<pid_t>& pids, const std::string& cpu, int nice) {
  for (pid_t pid : pids) {
    if (!cpu.empty()) {
      RunCommand("taskset -a -p -c " + cpu + " " + std::to_string(pid) + " >/dev/null");
    }
    if (nice != 0) {
      std::error_code ec;
      for (const auto& task :
           std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(std::stoi(task.path().filename())), nice);
      }
    }
  }
}

// A cgroup that caps the CPU time of the processes moved into it at
// `percent` of one core (cgroup v2's cpu.max, or v1's CFS quota), removed
// when destroyed (its processes must have exited by then). ok() is false
// when neither hierarchy lets us make one.
class CpuCap {
 public:
  explicit CpuCap(int percent) {
    const std::string name = "scanscope-capbench-" + std::to_string(::getpid());
    const std::string quota = std::to_string(percent * 1000);
    std::error_code ec;
    if (std::filesystem::exists("/sys/fs/cgroup/cgroup.subtree_control") &&
        std::filesystem::create_directory("/sys/fs/cgroup/" + name, ec)) {
      dir_ = "/sys/fs/cgroup/" + name;
      ok_ = Write(dir_ + "/cpu.max", quota + " 100000");
    } else if (std::filesystem::exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") &&
               std::filesystem::create_directory("/sys/fs/cgroup/cpu/" + name, ec)) {
      dir_ = "/sys/fs/cgroup/cpu/" + name;
      ok_ =
          Write(dir_ + "/cpu.cfs_period_us", "100000") && Write(dir_ + "/cpu.cfs_quota_us", quota);
    }
  }
  ~CpuCap() {
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  CpuCap(const CpuCap&) = delete;
  CpuCap& operator=(const CpuCap&) = delete;
  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }
  // Moves `pids` (with all their threads) into the cgroup.
  bool Add(const std::vector<pid_t>& pids) const {
    for (pid_t pid : pids) {
      if (!Write(dir_ + "/cgroup.procs", std::to_string(pid))) return false;
    }
    return true;
  }

 private:
  static bool Write(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text << "\n";
    out.flush();
    return out.good();
  }
  std::string dir_;
  bool ok_ = false;
};

// User + system CPU seconds of `pids` so far (all their threads).
double CpuSeconds(const std::vector<pid_t>& pids) {
  double ticks = 0;
  for (pid_t pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = text.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) continue;
    std::stringstream ss(text.substr(close + 2));
    std::string field;
    // Fields 3.. after the name: utime is field 14, stime 15.
    for (int f = 3; f <= 15 && ss >> field; ++f) {
      if (f >= 14) ticks += std::stod(field);
    }
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

TEST(SensorCaptureBench, DISABLED_DropOnsetAgainstTcpdump) {
  SKIP_UNLESS_NETNS();
  std::vector<double> rates;
  {
    std::stringstream ss(Env("SCANSCOPE_BENCH_RATES", "50000,100000,200000,400000,800000,0"));
    std::string r;
    while (std::getline(ss, r, ',')) rates.push_back(std::stod(r));
  }
  const double secs = std::stod(Env("SCANSCOPE_BENCH_SECONDS", "3"));
  const std::string sender_kind = Env("SCANSCOPE_BENCH_SENDER", "trafgen");
  ASSERT_TRUE(sender_kind == "trafgen" || sender_kind == "tcpreplay" || sender_kind == "socket")
      << "SCANSCOPE_BENCH_SENDER: trafgen, tcpreplay or socket, not " << sender_kind;
  std::vector<std::string> tools = {"/usr/bin/tcpdump"};
  if (sender_kind == "trafgen") tools.push_back("/usr/sbin/trafgen");
  if (sender_kind == "tcpreplay") tools.push_back("/usr/bin/tcpreplay");
  for (const std::string& tool : tools) {
    ASSERT_TRUE(std::filesystem::exists(tool)) << tool << " is missing: run scripts/setup.sh";
  }
  // Where the receiver runs: CPU 1 ("split"), CPU 0 beside the sender
  // ("shared"), or wherever the scheduler puts it ("none").
  const std::string pin_mode = Env("SCANSCOPE_BENCH_PIN", "split");
  ASSERT_TRUE(pin_mode == "split" || pin_mode == "shared" || pin_mode == "none")
      << "SCANSCOPE_BENCH_PIN: split, shared or none, not " << pin_mode;
  const bool pin = pin_mode != "none" && std::thread::hardware_concurrency() >= 2;
  const std::string receiver_cpu = pin_mode == "shared" ? "0" : "1";
  const std::string workers = Env("SCANSCOPE_BENCH_TRAFGEN_WORKERS", "1");
  const int receiver_nice = std::stoi(Env("SCANSCOPE_BENCH_RECEIVER_NICE", "0"));
  const int cpu_percent = std::stoi(Env("SCANSCOPE_BENCH_RECEIVER_CPU_PERCENT", "100"));
  std::unique_ptr<CpuCap> cap;
  if (cpu_percent < 100) {
    cap = std::make_unique<CpuCap>(cpu_percent);
    ASSERT_TRUE(cap->ok()) << "cannot make a cgroup to cap the receiver's CPU"
                           << (cap->dir().empty() ? "" : " (" + cap->dir() + ")");
  }
  const bool host_mac = Env("SCANSCOPE_BENCH_HOST_MAC", "0") == "1";
  const std::string load_before = LoadAverage();

  std::string error;
  auto t = NetRig::Start(1, 8, SCANSCOPE_BINARY, &error);
  ASSERT_NE(t, nullptr) << error;
  auto& net = t->net;
  const TempDir& dir = t->dir;
  auto& rig = t->rig;
  auto& sender = t->sender;
  const NetHost& host = net->sensor(0);

  std::vector<ScanSender::Frame> frames;
  ScanMix mix;
  mix.v4_sources = 9;
  mix.v6_sources = 9;
  mix.sensors = {0};
  for (int k = 0; k < 25; ++k) {
    auto round = sender->BuildRound(mix);
    frames.insert(frames.end(), round.begin(), round.end());
  }
  if (!host_mac) {
    const uint8_t other[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x99};
    for (auto& f : frames) std::copy(other, other + 6, f.bytes.begin());
  }
  // The same frames as trafgen's packet configuration (one packet a line,
  // sent round robin) and as a pcap for tcpreplay.
  const std::string trafgen_cfg = dir.File("frames.cfg");
  const std::string pcap = dir.File("frames.pcap");
  {
    std::ofstream cfg(trafgen_cfg);
    std::vector<CapturedPacket> packets;
    char hex[8];
    for (size_t i = 0; i < frames.size(); ++i) {
      cfg << "{";
      for (size_t b = 0; b < frames[i].bytes.size(); ++b) {
        std::snprintf(hex, sizeof hex, "%s0x%02x", b == 0 ? " " : ", ", frames[i].bytes[b]);
        cfg << hex;
      }
      cfg << " }\n";
      packets.push_back({.time_ns = static_cast<int64_t>(i) * 1000, .data = frames[i].bytes});
    }
    ASSERT_TRUE(cfg.good());
    ASSERT_TRUE(WriteFile(pcap, PcapFile(1, packets)));
  }
  const std::string filter = "net " + host.v4 + "/32 or net " + host.v6 + "/128";

  // Runs the sender for one step; fills target, sent, sent_pps, delivered.
  int send_no = 0;
  auto send = [&](double rate, Step* step) {
    step->target = rate;
    const uint64_t rx_before = RxPackets(*net, host.ns, host.interface);
    const std::string n = std::to_string(static_cast<uint64_t>(rate > 0 ? rate * secs : 1e9));
    if (sender_kind == "socket") {
      // Rate 0: as fast as it goes for the step's seconds, in bursts of
      // 8,100 frames (the frames twice over).
      // This thread sends: on CPU 0 like the other senders while it does.
      cpu_set_t before, cpu0;
      bool pinned = false;
      if (pin && ::sched_getaffinity(0, sizeof before, &before) == 0) {
        CPU_ZERO(&cpu0);
        CPU_SET(0, &cpu0);
        pinned = ::sched_setaffinity(0, sizeof cpu0, &cpu0) == 0;
      }
      auto t0 = Clock::now();
      auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
      if (rate > 0) {
        step->sent = sender->Blast(frames, static_cast<uint64_t>(rate * secs), rate);
      } else {
        while (elapsed() < secs) step->sent += sender->Blast(frames, 2 * frames.size(), 0);
      }
      step->sent_pps = step->sent / elapsed();
      if (pinned) ::sched_setaffinity(0, sizeof before, &before);
    } else {
      std::vector<std::string> argv;
      if (sender_kind == "trafgen") {
        // -P 1: one worker, which trafgen pins to CPU 0 itself; -Q: leave
        // IRQ affinities alone. -b switches trafgen from its TX ring to one
        // sendto(2) a packet, paced.
        argv = {"/usr/sbin/trafgen",
                "-o",
                net->scanner().interface,
                "-i",
                trafgen_cfg,
                "-n",
                n,
                "-P",
                "1",
                "-Q"};
        if (rate > 0) argv.insert(argv.end(), {"-b", std::to_string(std::lround(rate)) + "pps"});
      } else {
        argv = {"/usr/bin/taskset",
                "-c",
                "0",
                "/usr/bin/tcpreplay",
                "-i",
                net->scanner().interface,
                "--preload-pcap",
                "--loop=0",
                "--limit=" + n,
                "--duration=" + std::to_string(static_cast<int>(std::ceil(secs)))};
        argv.push_back(rate > 0 ? "--pps=" + std::to_string(std::lround(rate)) : "--topspeed");
        argv.push_back(pcap);
        if (!pin) argv.erase(argv.begin(), argv.begin() + 3);
      }
      auto p = net->Spawn(net->scanner().ns, argv,
                          dir.File("sender-" + std::to_string(send_no++) + ".log"));
      ASSERT_NE(p, nullptr);
      // The step's length, plus time to parse its configuration: a sender
      // still running then is stopped as ^C would (workers first).
      auto deadline = Clock::now() + milliseconds(static_cast<int64_t>(secs * 1000) + 1500);
      while (p->Running() && Clock::now() < deadline) PollSleep();
      if (p->Running()) {
        for (pid_t c : Children(p->pid())) ::kill(c, SIGINT);
        PollUntil(seconds(2), [&] { return Children(p->pid()).empty(); });
        p->Signal(SIGINT);
      }
      ASSERT_EQ(p->Wait(seconds(20)), 0) << p->Log();
      const std::string log = p->Log();
      if (sender_kind == "trafgen") {
        step->sent = Match(log, R"((\d+) packets outgoing)");
        double run = MatchDouble(log, R"((\d+) sec, \d+ usec on CPU)") +
                     MatchDouble(log, R"(\d+ sec, (\d+) usec on CPU)") / 1e6;
        step->sent_pps = run > 0 ? step->sent / run : 0;
      } else {
        step->sent = Match(log, R"(Actual: (\d+) packets)");
        step->sent_pps = MatchDouble(log, R"(Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps)");
      }
      ASSERT_NE(step->sent, kNone) << log;
    }
    // Let the receiver drain its ring before it is stopped.
    std::this_thread::sleep_for(seconds(1));
    step->delivered = RxPackets(*net, host.ns, host.interface) - rx_before;
  };

  std::vector<Step> sensor_steps, tcpdump_steps;
  for (size_t k = 0; k < rates.size(); ++k) {
    // scanscope sensor: a fresh process (its counters start at 0) on a fresh spool.
    rig->SetSpool(0, dir.File("bench-spool-" + std::to_string(k)));
    ASSERT_TRUE(rig->StartSensor(0, &error)) << error;
    const std::vector<pid_t> sensor_pids = NamespacePids(host.ns);
    PlaceReceiver(sensor_pids, pin ? receiver_cpu : "", receiver_nice);
    if (cap) {
      ASSERT_TRUE(cap->Add(sensor_pids));
    }
    size_t log_from = rig->SensorLog(0).size();
    Step s;
    double cpu0 = CpuSeconds(sensor_pids);
    send(rates[k], &s);
    s.cpu_seconds = CpuSeconds(sensor_pids) - cpu0;
    if (HasFatalFailure()) return;
    ASSERT_TRUE(rig->StopSensor(0)) << rig->SensorLog(0);
    std::string log = rig->SensorLog(0).substr(log_from);
    s.seen = Match(log, R"(stopped: (\d+) packets)");
    s.accesses = Match(log, R"(stopped: \d+ packets, (\d+) accesses)");
    s.drops = Match(log, R"((\d+) capture drops)");
    sensor_steps.push_back(s);

    // tcpdump -w to a file, same filter, same buffer (-B in KiB).
    std::string tlog = dir.File("tcpdump-" + std::to_string(k) + ".log");
    std::vector<std::string> argv = {"/usr/bin/taskset",
                                     "-c",
                                     receiver_cpu,
                                     "/usr/bin/tcpdump",
                                     "-i",
                                     host.interface,
                                     "-n",
                                     "-B",
                                     "32768",
                                     "-w",
                                     dir.File("bench-" + std::to_string(k) + ".pcap"),
                                     filter};
    if (!pin) argv.erase(argv.begin(), argv.begin() + 3);
    auto tcpdump = net->Spawn(host.ns, argv, tlog);
    ASSERT_TRUE(tcpdump && tcpdump->WaitForLog("listening on", seconds(10))) << tcpdump->Log();
    PlaceReceiver({tcpdump->pid()}, "", receiver_nice);
    if (cap) {
      ASSERT_TRUE(cap->Add({tcpdump->pid()}));
    }
    Step t;
    cpu0 = CpuSeconds({tcpdump->pid()});
    send(rates[k], &t);
    t.cpu_seconds = CpuSeconds({tcpdump->pid()}) - cpu0;
    if (HasFatalFailure()) return;
    tcpdump->Signal(SIGINT);
    ASSERT_EQ(tcpdump->Wait(seconds(20)), 0) << tcpdump->Log();
    t.seen = Match(tcpdump->Log(), R"((\d+) packets captured)");
    t.drops = Match(tcpdump->Log(), R"((\d+) packets dropped by kernel)");
    tcpdump_steps.push_back(t);
    std::remove(dir.File("bench-" + std::to_string(k) + ".pcap").c_str());
  }
  ASSERT_TRUE(rig->StopCollector()) << rig->CollectorLog();

  std::printf("\nsender %s, %zu distinct probes, %s MAC, %s, %.1f s a step\n", sender_kind.c_str(),
              frames.size(), host_mac ? "the host's" : "a foreign",
              !pin                   ? "unpinned"
              : pin_mode == "shared" ? "sender and receiver both on CPU 0"
                                     : "sender on CPU 0, receiver on CPU 1",
              secs);
  if (receiver_nice != 0) std::printf("receiver at nice %d\n", receiver_nice);
  if (cap)
    std::printf("receiver capped at %d%% of one core (%s)\n", cpu_percent, cap->dir().c_str());
  // rx cpu: the receiver's CPU seconds in the step (its user + system time;
  // the kernel's copy into its ring is charged to the sender's context);
  // pkt/cpu-s: packets it saw per CPU second (it rises with the rate: a
  // busier receiver takes more packets a wakeup). missed: sent but not
  // seen, whether the receiver counted them as drops or still held them in
  // its ring a second after the traffic ended (a receiver that far behind
  // does not keep up).
  std::printf("%-8s %8s %9s %9s %9s %9s %9s %7s %7s %7s %10s\n", "receiver", "target", "sent pps",
              "sent", "delivered", "seen", "accesses", "drops", "missed", "rx cpu", "pkt/cpu-s");
  auto u = [](uint64_t v) { return v == kNone ? std::string("-") : std::to_string(v); };
  struct Onset {
    const Step* clean = nullptr;  // the step with the highest sent rate and no misses
    const Step* first = nullptr;  // the first step (in the order run) with misses
  };
  auto print = [&](const char* who, std::vector<Step>& steps) {
    Onset o;
    for (Step& s : steps) {
      // With the host's MAC the receivers also see the host's answers: the
      // sensor's accesses are then what to compare (it must not count the
      // answers), tcpdump's count cannot be split and only its drops tell.
      const uint64_t got = s.accesses != kNone ? s.accesses : host_mac ? s.sent : s.seen;
      int64_t missed = got == kNone ? static_cast<int64_t>(s.sent)
                                    : static_cast<int64_t>(s.sent) - static_cast<int64_t>(got);
      std::printf("%-8s %8.0f %9.0f %9s %9s %9s %9s %7s %7lld %6.2fs %10.0f\n", who, s.target,
                  s.sent_pps, u(s.sent).c_str(), u(s.delivered).c_str(), u(s.seen).c_str(),
                  u(s.accesses).c_str(), u(s.drops).c_str(), static_cast<long long>(missed),
                  s.cpu_seconds,
                  s.cpu_seconds > 0 && s.seen != kNone ? s.seen / s.cpu_seconds : 0.0);
      s.missed = missed;
      bool dropped = missed > 0 || (s.drops != kNone && s.drops > 0);
      if (dropped && o.first == nullptr) o.first = &s;
      if (!dropped && (o.clean == nullptr || s.sent_pps > o.clean->sent_pps)) o.clean = &s;
    }
    return o;
  };
  Onset a = print("sensor", sensor_steps);
  Onset b = print("tcpdump", tcpdump_steps);
  auto say = [](const char* who, const Onset& o) {
    if (o.clean != nullptr) {
      std::printf("%s: every packet seen up to %.0f packets/s sent", who, o.clean->sent_pps);
    } else {
      std::printf("%s: misses at every rate tried", who);
    }
    if (o.first != nullptr) {
      std::printf(
          "; first misses at %.0f packets/s sent (%lld of %llu sent not seen, %s counted "
          "as drops)\n",
          o.first->sent_pps, static_cast<long long>(o.first->missed),
          static_cast<unsigned long long>(o.first->sent),
          o.first->drops == kNone ? "?" : std::to_string(o.first->drops).c_str());
    } else {
      std::printf("; no misses at any rate tried\n");
    }
  };
  say("scanscope sensor", a);
  say("tcpdump -w", b);
  std::printf("load average before: %s, after: %s\n", load_before.c_str(), LoadAverage().c_str());

  // Each probe is one access: a sensor that saw a packet counted it; the
  // host's own answers (with its MAC) are never accesses.
  for (const Step& s : sensor_steps) {
    if (!host_mac) {
      EXPECT_EQ(s.accesses, s.seen) << "at " << s.target;
    } else if (s.drops == 0) {
      EXPECT_EQ(s.accesses, s.sent) << "at " << s.target;
    }
  }
}

}  // namespace
}  // namespace scanscope::testing
