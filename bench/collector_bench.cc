// Collector benchmark (./run bench-collector): accesses per second through one
// `scanscope collector` into a fresh SQLite store, from several concurrent
// sensors over TLS on loopback (a test CA made with the openssl CLI).
// Each sensor is a thread with its own CollectorClient and token sending
// BATCHES batches of RECORDS accesses; the clock runs from the first send to
// the last acknowledgement (every batch committed). Afterwards the store's
// total is checked against what was sent.
//
//   collector_bench [SENSORS [BATCHES [RECORDS [SHAPE]]]]   (defaults 4 50 5000 spread)
//
// SHAPE is when a batch's accesses happened: "spread", anywhere in the month
// (every batch overlaps every other in time, so each is checked for
// duplicates against all that came before: the worst case), or "ordered",
// as a sensor sends them (batch b holds five minutes of traffic, ten
// minutes after batch b-1's).
//
// Its own main (the file is globbed with the Google Benchmark targets, whose
// main it replaces).
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collector/collector_server.h"
#include "common/time_zone.h"
#include "transport/collector_client.h"

namespace {

using namespace scanscope;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }

}  // namespace

int main(int argc, char** argv) {
  const int sensors = argc > 1 ? std::atoi(argv[1]) : 4;
  const int batches = argc > 2 ? std::atoi(argv[2]) : 50;
  const size_t records = argc > 3 ? static_cast<size_t>(std::atoll(argv[3])) : 5000;
  const std::string shape = argc > 4 ? argv[4] : "spread";
  if (shape != "spread" && shape != "ordered") {
    std::fprintf(stderr, "collector_bench: SHAPE is spread or ordered, not %s\n", shape.c_str());
    return 2;
  }
  // scanscope is built beside this binary.
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string bin = self.substr(0, self.rfind('/')) + "/scanscope";
  char tmpl[] = "/tmp/scanscope-collector-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  signal(SIGPIPE, SIG_IGN);
  if (Sh(fmt::format(
          "cd {} && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
          "-keyout ca.key -out ca.pem -days 2 -subj '/CN=bench CA' 2>/dev/null && "
          "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key "
          "-out server.csr -subj '/CN=collector' 2>/dev/null && "
          "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf && openssl x509 -req -in server.csr "
          "-CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf "
          "2>/dev/null",
          dir)) != 0) {
    std::fprintf(stderr, "collector_bench: openssl failed\n");
    return 1;
  }
  std::vector<std::string> tokens;
  std::string sensors_toml;
  for (int i = 0; i < sensors; ++i) {
    tokens.push_back(fmt::format("bench-token-{}-{}", i, std::random_device{}()));
    sensors_toml += fmt::format(
        "[[sensor]]\npoint = \"point-{:02}\"\nwatch = [\"10.{}.0.0/16\"]\ntoken_sha256 = "
        "\"{}\"\n",
        i + 1, i + 1, ToHex(Sha256(tokens.back())));
  }
  std::ofstream(dir + "/sensors.toml") << sensors_toml;
  const std::string log = dir + "/collector.log", db = dir + "/bench.db";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    execl(bin.c_str(), bin.c_str(), "collector", "--db", db.c_str(), "--listen", "127.0.0.1:0",
          "--cert-file", (dir + "/server.pem").c_str(), "--key-file", (dir + "/server.key").c_str(),
          "--sensors", (dir + "/sensors.toml").c_str(), "--max-batches-per-second-per-sensor",
          "100000", "--max-record-age-days", "0", "--max-connections-per-source", "1000", nullptr);
    _exit(127);
  }
  int port = 0;
  std::regex re(R"(listening on 127\.0\.0\.1:(\d+))");
  for (auto deadline = Clock::now() + std::chrono::seconds(20); Clock::now() < deadline;) {
    std::smatch m;
    std::string text = ReadFile(log);
    if (std::regex_search(text, m, re)) {
      port = std::stoi(m[1]);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port == 0) {
    std::fprintf(stderr, "collector_bench: the collector did not start:\n%s\n",
                 ReadFile(log).c_str());
    kill(pid, SIGKILL);
    return 1;
  }
  // The batches, built before the clock starts.
  const int64_t nov1 = int64_t{DaysFromCivil({2026, 11, 1})} * 86400 * kNanosPerSecond;
  std::vector<std::vector<WireBatch>> frames(sensors);
  for (int s = 0; s < sensors; ++s) {
    std::mt19937_64 rng(static_cast<uint64_t>(s) + 1);
    for (int b = 0; b < batches; ++b) {
      WireBatch batch{
          fmt::format("point-{:02}", s + 1), fmt::format("point-{:02}/bench/{}", s + 1, b), {}};
      batch.records.resize(records);
      for (AccessRecord& r : batch.records) {
        r.time_ns = shape == "spread"
                        ? nov1 + static_cast<int64_t>(rng() % (30ull * 86400 * kNanosPerSecond))
                        : nov1 + (int64_t{b} * 600 * kNanosPerSecond) +
                              static_cast<int64_t>(rng() % (300ull * kNanosPerSecond));
        r.source = IpAddress::FromV4(static_cast<uint32_t>(rng() % 200000) + 0x50000000u);
        r.destination = IpAddress::FromV4((10u << 24) | (uint32_t(s + 1) << 16) | (rng() & 0xffff));
        r.port_type = PortType::Tcp(static_cast<uint16_t>(rng() % 8 == 0 ? rng() % 65536 : 445));
        r.tcp_flags = kTcpSyn;
        r.ttl = 50;
        r.length = 44;
      }
      frames[s].push_back(std::move(batch));
    }
  }
  std::atomic<int> failures{0};
  std::atomic<uint64_t> retries{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int s = 0; s < sensors; ++s) {
    threads.emplace_back([&, s] {
      ClientOptions o;
      o.url = fmt::format("https://127.0.0.1:{}", port);
      o.token = tokens[s];
      o.ca_file = dir + "/ca.pem";
      o.timeout_ms = 120000;
      auto client = CollectorClient::Create(o);
      if (!client.ok()) return ++failures, void();
      for (const WireBatch& batch : frames[s]) {  // Send encodes, as a sensor's does
        for (;;) {
          Status st = (*client)->Send(batch);
          if (st.ok()) break;
          if (st.code() != StatusCode::kUnavailable) {
            std::fprintf(stderr, "collector_bench: %s\n", st.ToString().c_str());
            ++failures;
            return;
          }
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  const uint64_t total = uint64_t(sensors) * uint64_t(batches) * records;
  std::string stats = ReadFile(log);
  bool exact = stats.find(fmt::format("({} accesses)", total)) != std::string::npos;
  std::printf(
      "collector: %d sensors x %d batches x %zu accesses (%s) over TLS into SQLite: %llu accesses "
      "in "
      "%.2f s = %.0f accesses/s (%.1f batches/s), %llu retries after 503/429, store total %s\n",
      sensors, batches, records, shape.c_str(), static_cast<unsigned long long>(total), secs,
      total / secs, sensors * batches / secs, static_cast<unsigned long long>(retries.load()),
      exact ? "exact" : "WRONG");
  Sh("rm -rf " + dir);
  return failures == 0 && exact ? 0 : 1;
}
