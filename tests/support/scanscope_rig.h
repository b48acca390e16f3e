#pragma once
// Test support: real `scanscope collector` and `scanscope sensor` processes
// on a TestNetwork (netns.h), and the stored figures read back.
//
// The rig makes, in its temp dir: a test CA and a server certificate for the
// collector's address with the openssl CLI; one random token per sensor and
// the collector's sensors file with their sha256 (also by the openssl CLI);
// the SQLite store, created before the collector starts so that it keeps the
// days of the test's zone from the first batch (TestZone). The collector
// listens on 203.0.113.1:8443 in its own namespace (a fixed port is free
// there by construction, and stays the same across restarts); sensor i
// captures on its host's eth0 as point "point-0<i+1>", watching its two
// addresses, spooling in its own directory, sealing every second.
//
// Processes are started and stopped by the test: Start* waits (with a
// deadline) for the line the process logs once it is ready; Kill* is kill
// -9; Stop* is SIGTERM and waits for a clean exit. Logs accumulate across
// restarts in collector.log and sensor-N.log (printed by the tests on
// failure). Not thread-safe. The network must outlive the rig.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/netns.h"
#include "support/run_command.h"
#include "support/scan_sender.h"

namespace scanscope::testing {

// The zone of "day" for a test that runs now: a fixed-offset Etc/GMT±N zone
// in which it is about noon, so no local midnight falls within the test
// (±11 hours of slack), whenever it runs.
struct TestZone {
  std::string name;        // "Etc/GMT-3" (UTC+3: the sign is POSIX's, inverted)
  int64_t offset_seconds;  // +10800
  std::string month;       // the local month now, "2026-11"
};
TestZone ZoneAtNoonNow();

// What the store holds for one (day, point, port type).
struct StoredCell {
  uint64_t accesses = 0;  // the block totals (what stats sums)
  uint64_t sources = 0;
  std::map<std::string, uint64_t> rows;  // source -> accesses, from the block's rows
};

class ScanscopeRig {
 public:
  // `binary`: the scanscope executable. nullptr and *error when a file
  // cannot be made.
  static std::unique_ptr<ScanscopeRig> Create(const TestNetwork& net, const std::string& binary,
                                              const std::string& dir, const TestZone& zone,
                                              std::string* error);
  ~ScanscopeRig();

  const std::string& db() const { return db_; }
  std::string point(int i) const { return "point-0" + std::to_string(i + 1); }
  std::vector<std::string> points() const;
  std::string spool(int i) const {
    auto it = spools_.find(i);
    return it != spools_.end() ? it->second : dir_ + "/spool-" + std::to_string(i + 1);
  }
  // Sensor i's spool from its next start on.
  void SetSpool(int i, const std::string& dir) { spools_[i] = dir; }

  // Collector: start and wait for "collector: listening on" (20 s).
  bool StartCollector(std::string* error);
  void KillCollector();
  // SIGTERM; true when it exits 0 within 20 s.
  bool StopCollector();
  std::string CollectorLog() const;

  // Sensor i: start (extra flags appended) and wait for
  // "sensor: capturing on eth0" (20 s).
  bool StartSensor(int i, std::string* error, const std::vector<std::string>& extra = {});
  void KillSensor(int i);
  // SIGTERM; true when it exits 0 within 30 s (it ships for at most 5 s).
  bool StopSensor(int i);
  std::string SensorLog(int i) const;
  // Every log, for failure messages.
  std::string AllLogs() const;

  // `stats --json` of the zone's month (a separate process reading the db
  // while the collector writes); accesses, or -1 when it fails.
  int64_t StatsAccesses(std::string* json_out = nullptr) const;
  // `points --status --json`; the parsed status object of `point`'s last
  // report as text ("" if none).
  std::string PointsStatusJson() const;
  // `points --batches --json`: the ids of the batches the store has
  // committed (its ledger); false (and `error`) when the command fails.
  bool CommittedBatches(std::set<std::string>* out, std::string* error) const;

  // The store's figures for the zone, per (day, point, port type), read in
  // this process through the Store API (call with the collector stopped).
  bool StoredCells(std::map<CellKey, StoredCell>* out, std::string* error) const;

 private:
  ScanscopeRig(const TestNetwork& net, std::string binary, std::string dir, TestZone zone)
      : net_(net), binary_(std::move(binary)), dir_(std::move(dir)), zone_(std::move(zone)) {}
  const TestNetwork& net_;
  std::string binary_;
  std::string dir_;
  TestZone zone_;
  std::string db_, ca_, cert_, key_, sensors_file_, url_;
  std::unique_ptr<NsProcess> collector_;
  std::vector<std::unique_ptr<NsProcess>> sensors_;
  std::map<int, std::string> spools_;
};

// Compares the store with what was sent: for every (day, point, port type)
// the accesses, the number of sources, and each source's accesses; no cell
// in one and not the other. Returns the differences, one per line ("" when
// equal), at most `max_lines`.
std::string CompareFigures(const std::map<CellKey, ExpectedCell>& expected,
                           const std::map<CellKey, StoredCell>& stored, size_t max_lines = 30);

// Addresses as the store prints them (RFC 5952 text), for comparison.
std::string CanonicalAddress(const std::string& text);

// Total accesses of the expected cells.
uint64_t TotalAccesses(const std::map<CellKey, ExpectedCell>& cells);

// What each network test starts from, built in this order and destroyed in
// reverse (the rig and the sender refer to the network): the network of
// `sensors` sensor hosts and `extra_sources` more scanner addresses, a
// temporary directory, the zone, the rig (running `binary`) with its
// collector listening, and the scanner's sender. The sensors are the test's to start.
struct NetRig {
  std::unique_ptr<TestNetwork> net;
  TempDir dir;
  TestZone zone = ZoneAtNoonNow();
  std::unique_ptr<ScanscopeRig> rig;
  std::unique_ptr<ScanSender> sender;
  // nullptr and *error when a part cannot be made or the collector does not start.
  static std::unique_ptr<NetRig> Start(int sensors, int extra_sources, const std::string& binary,
                                       std::string* error);
};

}  // namespace scanscope::testing
