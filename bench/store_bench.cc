// Store benchmarks: SourceDayTable::Add throughput, raw-chunk and block
// encoding, and the end-to-end ingest of a 2M-access batch of one point into
// a fresh SQLite file (the target: Add + Commit well under 0.5 s).
//
// The batch: 30 days, port types Zipf-distributed over ~1,000 (a few ports
// take most accesses), sources heavy-tailed (a few thousand busy scanners
// send half the accesses, the rest come from a wide pool): about 700k
// source-days in about 15k blocks.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "store/raw_chunk.h"
#include "store/source_day.h"
#include "store/sqlite/sqlite_store.h"

namespace scanscope {
namespace {

constexpr size_t kAccesses = 2'000'000;
constexpr int kDays = 30;
constexpr double kSourcePool = 2.0e6;
const int64_t kStartNs = int64_t{DaysFromCivil({2009, 5, 1})} * kNanosPerDay;

// Built source-day first: ~23k source-days a day, each with a heavy-tailed
// access count (Pareto, alpha 1.45: most send 1, a few send thousands),
// then spread over the day and sorted by time as a capture would be.
const std::vector<AccessRecord>& Batch() {
  static const std::vector<AccessRecord> batch = [] {
    std::mt19937_64 rng(2009);
    constexpr int kPorts = 650;
    std::vector<double> cdf(kPorts);
    double sum = 0;
    for (int i = 0; i < kPorts; ++i) cdf[i] = (sum += 1.0 / std::pow(i + 1, 1.5));
    std::uniform_real_distribution<double> unit(0, 1);
    std::vector<AccessRecord> out;
    out.reserve(kAccesses);
    const size_t per_day = kAccesses / kDays;
    for (int day = 0; day < kDays && out.size() < kAccesses; ++day) {
      const size_t day_end = std::min(kAccesses, (day + 1) * per_day);
      while (out.size() < day_end) {
        auto rank = static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), unit(rng) * sum) -
                                        cdf.begin());
        auto port16 = static_cast<uint16_t>(rank * 37 + 22);
        PortType port = rank == 3 ? PortType::Icmp()
                                  : (rank % 4 == 1 ? PortType::Udp(port16) : PortType::Tcp(port16));
        // Sources recur across days: a power law over a pool of 1M.
        auto id = static_cast<uint32_t>(1e6 * std::pow(unit(rng), 2.0));
        IpAddress source = IpAddress::FromV4(
            static_cast<uint32_t>(((uint64_t{id} + 1) * 0x9E3779B97F4A7C15ull) >> 32));
        auto n =
            static_cast<size_t>(std::min(5000.0, std::floor(std::pow(1 - unit(rng), -1 / 1.45))));
        n = std::min(n, day_end - out.size());
        for (size_t k = 0; k < n; ++k) {
          AccessRecord r;
          r.time_ns = kStartNs + day * kNanosPerDay +
                      static_cast<int64_t>(rng() % 86'400'000'000ull) * 1000;  // us resolution
          r.source = source;
          r.destination = IpAddress::FromV4(0xC0000201);
          r.port_type = port;
          r.tcp_flags = port.kind() == PortKind::kTcp ? kTcpSyn : 0;
          r.ttl = static_cast<uint8_t>(100 + id % 28);
          r.length = port.kind() == PortKind::kTcp ? 48 : 78;
          out.push_back(r);
        }
      }
    }
    std::sort(out.begin(), out.end(),
              [](const AccessRecord& a, const AccessRecord& b) { return a.time_ns < b.time_ns; });
    return out;
  }();
  return batch;
}

void BM_SourceDayTableAdd(benchmark::State& state) {
  const auto& batch = Batch();
  size_t source_days = 0;
  for (auto _ : state) {
    SourceDayTable table;
    DayFinder finder(TimeZone::Utc());
    std::vector<int32_t> days(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) days[i] = finder.Day(batch[i].time_ns);
    table.AddRecords(batch, days);
    source_days = table.size();
    benchmark::DoNotOptimize(source_days);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.counters["source_days"] = static_cast<double>(source_days);
  state.counters["ns_per_add"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SourceDayTableAdd)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_TakeBlocksAndEncode(benchmark::State& state) {
  const auto& batch = Batch();
  size_t blocks = 0, bytes = 0;
  double take_s = 0, encode_s = 0;
  for (auto _ : state) {
    state.PauseTiming();
    SourceDayTable table;
    for (const AccessRecord& r : batch) {
      table.Add(static_cast<int32_t>(r.time_ns / kNanosPerDay), r.port_type, r.source, r.time_ns);
    }
    state.ResumeTiming();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<SourceDayBlock> b = table.TakeBlocks();
    auto t1 = std::chrono::steady_clock::now();
    blocks = b.size();
    bytes = 0;
    for (const SourceDayBlock& block : b) bytes += EncodeBlockRows(block.rows).size();
    auto t2 = std::chrono::steady_clock::now();
    take_s += std::chrono::duration<double>(t1 - t0).count();
    encode_s += std::chrono::duration<double>(t2 - t1).count();
  }
  state.counters["take_ms"] = take_s / static_cast<double>(state.iterations()) * 1e3;
  state.counters["encode_ms"] = encode_s / static_cast<double>(state.iterations()) * 1e3;
  state.counters["blocks"] = static_cast<double>(blocks);
  state.counters["encoded_MB"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_TakeBlocksAndEncode)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_RawChunkEncode(benchmark::State& state) {
  std::span<const AccessRecord> chunk(Batch().data(), 65536);
  size_t bytes = 0;
  for (auto _ : state) bytes = EncodeRawChunk(chunk).size();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * chunk.size()));
  state.counters["bytes_per_record"] = static_cast<double>(bytes) / 65536.0;
}
BENCHMARK(BM_RawChunkEncode)->Unit(benchmark::kMicrosecond);

// End to end: Add (hashing for one zone + raw chunks) and Commit (sort,
// encode, SQLite) of the 2M batch into a fresh file.
void BM_SqliteIngest2M(benchmark::State& state) {
  const auto& batch = Batch();
  const std::string dir =
      std::filesystem::temp_directory_path() / ("scanscope_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  double add_s = 0, commit_s = 0;
  int n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = dir + "/bench" + std::to_string(n) + ".db";
    auto store = OpenSqliteStore(path, {TimeZone::Utc()});
    if (!store.ok() || !(*store)->PutPoint({"p1", {}, ""}).ok()) {
      state.SkipWithError("open failed");
      break;
    }
    state.ResumeTiming();
    auto t0 = std::chrono::steady_clock::now();
    auto writer = (*store)->BeginIngest({"batch" + std::to_string(n), "p1", "bench"});
    if (!writer.ok() || !(*writer)->Add(batch).ok()) {
      state.SkipWithError("add failed");
      break;
    }
    auto t1 = std::chrono::steady_clock::now();
    Status st = (*writer)->Commit("{}");
    auto t2 = std::chrono::steady_clock::now();
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    add_s += std::chrono::duration<double>(t1 - t0).count();
    commit_s += std::chrono::duration<double>(t2 - t1).count();
    ++n;
    state.PauseTiming();
    writer = Result<std::unique_ptr<IngestWriter>>(Status::Internal("done"));
    store = Result<std::unique_ptr<Store>>(Status::Internal("closed"));
    std::error_code ec;
    state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path, ec)) / 1e6;
    state.ResumeTiming();
  }
  std::filesystem::remove_all(dir);
  if (n > 0) {
    state.counters["add_ms"] = add_s / n * 1e3;
    state.counters["commit_ms"] = commit_s / n * 1e3;
  }
}
BENCHMARK(BM_SqliteIngest2M)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace scanscope
