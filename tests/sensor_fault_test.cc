// The sensor's fault checks on real interfaces (docs/sensor-tests.md): the
// collector killed with SIGKILL several times in the middle of a stream and
// restarted on the same db; a sensor killed with SIGKILL and restarted on
// the same spool; a sensor's link to the collector cut for a while as scans
// go on; a spool filled to its bound. Afterwards the store is compared with
// the scanner's own record of what it sent, per (day, point, port type) and
// per source: nothing lost, nothing counted twice (for a full spool: exactly
// what the sensor says it dropped is missing, nothing else).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "spool/segment_format.h"
#include "support/netns.h"
#include "support/scan_sender.h"
#include "support/scanscope_rig.h"

namespace scanscope::testing {
namespace {

using std::chrono::seconds;

// Records held in a spool directory now (sealed and open segments), read
// with the spool's own segment reader: what a restart will ship. A segment
// removed while we read (shipped) is skipped, and so is one whose batch
// (<point>/<spool id>/<segment>) is in `committed`: a batch the store
// committed but whose acknowledgement never reached the sensor (the
// collector killed, the link cut) stays in the spool until it is sent again,
// and counting it in both places would let a test believe records durable
// that are not.
uint64_t SpoolRecords(const std::string& dir, const std::string& point = "",
                      const std::set<std::string>& committed = {},
                      uint64_t* committed_records = nullptr) {
  std::string spool_id;
  std::ifstream(dir + "/spool-id") >> spool_id;
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string ext = e.path().extension().string();
    if (ext != ".seg" && ext != ".open") continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    uint64_t records = ScanSegment(ss.str(), nullptr).records;
    if (committed.count(point + "/" + spool_id + "/" + e.path().stem().string()) > 0) {
      if (committed_records != nullptr) *committed_records += records;
      continue;
    }
    n += records;
  }
  return n;
}

// Accesses the store holds per point, from `stats --json` (by_point).
std::map<std::string, int64_t> StoredByPoint(const ScanscopeRig& rig) {
  std::string out;
  std::map<std::string, int64_t> m;
  if (rig.StatsAccesses(&out) < 0) return m;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object()) return m;
  for (const auto& p : j["by_point"])
    m[p["point"].get<std::string>()] = p["accesses"].get<int64_t>();
  return m;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

uint64_t SentTo(const ScanSender& sender, int sensor) {
  uint64_t n = 0;
  for (const SentAccess& a : sender.sent()) n += a.sensor == sensor;
  return n;
}

// Waits until the store holds `total` accesses (60 s), then stops the
// sensors and the collector cleanly (each must exit 0).
void SettleAndStop(ScanscopeRig& rig, int sensors, uint64_t total) {
  std::string stats;
  int64_t stored = -1;
  bool settled = PollUntil(seconds(60), [&] {
    stored = rig.StatsAccesses(&stats);
    return stored >= static_cast<int64_t>(total);
  });
  EXPECT_TRUE(settled) << "stored " << stored << " of " << total << " accesses after 60 s\n"
                       << stats << rig.AllLogs();
  for (int i = 0; i < sensors; ++i) EXPECT_TRUE(rig.StopSensor(i)) << rig.SensorLog(i);
  EXPECT_TRUE(rig.StopCollector()) << rig.CollectorLog();
}

// One stream, three kinds of fault, two sensors:
//  1. the collector is killed (SIGKILL) three times while both sensors
//     stream to it, and restarted on the same db each time; scans go on
//     while it is down, until both sensors have logged a failed send (so
//     each outage really interrupted their stream);
//  2. sensor 1's link to the collector is cut, scans go on, and once its
//     spool holds every access it was sent (read from the spool files with
//     the spool's segment reader, plus what the store already has) sensor 1
//     is killed (SIGKILL), the link restored, and it is restarted on the
//     same spool; nothing is sent to it while it is down (a dead sensor
//     cannot see packets);
//  3. sensor 2's link to the collector is cut while scans go on, until its
//     log shows a send that failed for it (longer than TCP's retransmission
//     and the client's 10 s timeout absorb: about 11 s), then restored.
// Check: the store equals the sender's record exactly, per (day, point,
// port type): accesses, sources, and each source's accesses. A batch
// committed twice would double a source's accesses; a lost one would
// leave some short.
TEST(SensorFault, CollectorKilledSensorKilledLinkCutNothingLostNothingTwice) {
  SKIP_UNLESS_NETNS();
  std::string error;
  auto t = NetRig::Start(2, 3, SCANSCOPE_BINARY, &error);
  ASSERT_NE(t, nullptr) << error;
  auto& net = t->net;
  const TestZone& zone = t->zone;
  auto& rig = t->rig;
  auto& sender = t->sender;
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(rig->StartSensor(i, &error)) << error;
  ScanMix mix;  // 2 sensors x 5 sources x 9 probes = 90 a round
  auto rounds = [&](int n, const std::vector<int>& to) {
    ScanMix m = mix;
    m.sensors = to;
    for (int r = 0; r < n; ++r) ASSERT_TRUE(sender->SendRound(m, 1500, &error)) << error;
  };
  // While waiting for a fault to show: scans go on, a round every 250 ms
  // (about 360 probes a second, so a long wait stays a few thousand packets).
  auto last_round = std::chrono::steady_clock::now() - seconds(1);
  auto keep_scanning = [&] {
    if (std::chrono::steady_clock::now() - last_round < std::chrono::milliseconds(250)) return;
    last_round = std::chrono::steady_clock::now();
    rounds(1, {});
  };

  // 1. The collector killed three times mid-stream. Each kill comes once
  // the store has moved since the last restart, so batches are in flight.
  for (int kill = 0; kill < 3; ++kill) {
    int64_t before = rig->StatsAccesses();
    rounds(4, {});
    EXPECT_TRUE(PollUntil(seconds(20), [&] { return rig->StatsAccesses() > before; }))
        << "the store did not move before kill " << kill + 1;
    rounds(2, {});
    size_t failed[2] = {Count(rig->SensorLog(0), "failed ("), Count(rig->SensorLog(1), "failed (")};
    rig->KillCollector();
    // Scans go on while the collector is down, until both sensors failed a send.
    EXPECT_TRUE(PollUntil(seconds(20),
                          [&] {
                            keep_scanning();
                            return Count(rig->SensorLog(0), "failed (") > failed[0] &&
                                   Count(rig->SensorLog(1), "failed (") > failed[1];
                          }))
        << "no sensor noticed the collector's death " << kill + 1 << "\n"
        << rig->AllLogs();
    ASSERT_TRUE(rig->StartCollector(&error)) << error;
  }

  // 2. Sensor 1 killed with a full spool, restarted on it.
  ASSERT_TRUE(net->SetCollectorLink(0, false));
  rounds(6, {});
  const uint64_t sent_to_1 = SentTo(*sender, 0);
  uint64_t held = 0, stored = 0, twice = 0;
  bool durable = PollUntil(seconds(20), [&] {
    // The store's figures, then its ledger, then the spool: a segment
    // committed between the reads is missed (wait longer), never counted
    // twice; one the store committed without the sensor hearing so is
    // counted once, in the store.
    stored = StoredByPoint(*rig)[rig->point(0)];
    std::set<std::string> committed;
    std::string ledger_error;
    if (!rig->CommittedBatches(&committed, &ledger_error)) return false;
    twice = 0;
    held = stored + SpoolRecords(rig->spool(0), rig->point(0), committed, &twice);
    return held >= sent_to_1;
  });
  ASSERT_TRUE(durable) << "sensor 1's spool and the store hold " << held << " of " << sent_to_1;
  std::cout << "sensor 1 before its kill: " << sent_to_1 << " accesses sent to it, " << stored
            << " in the store, " << held - stored << " in its spool, " << twice
            << " in spool segments the store had committed unacknowledged (counted once)\n";
  rig->KillSensor(0);
  ASSERT_TRUE(net->SetCollectorLink(0, true));
  rounds(3, {1});  // only sensor 2 can see packets now
  ASSERT_TRUE(rig->StartSensor(0, &error)) << error;
  rounds(3, {});

  // 3. Sensor 2's link cut while scans go on, until a send failed for it.
  size_t failed_2 = Count(rig->SensorLog(1), "failed (");
  ASSERT_TRUE(net->SetCollectorLink(1, false));
  EXPECT_TRUE(PollUntil(seconds(30),
                        [&] {
                          keep_scanning();
                          return Count(rig->SensorLog(1), "failed (") > failed_2;
                        }))
      << "sensor 2 never noticed its cut link\n"
      << rig->SensorLog(1);
  ASSERT_TRUE(net->SetCollectorLink(1, true));
  rounds(3, {});

  const auto expected = ExpectedCells(sender->sent(), rig->points(), zone.offset_seconds);
  SettleAndStop(*rig, 2, TotalAccesses(expected));
  std::map<CellKey, StoredCell> cells;
  ASSERT_TRUE(rig->StoredCells(&cells, &error)) << error;
  std::string diff = CompareFigures(expected, cells);
  EXPECT_EQ(diff, "") << "after the faults the store differs from what the scanner sent ("
                      << TotalAccesses(expected) << " accesses):\n"
                      << diff << rig->AllLogs();
}

// A spool filled to its bound (--spool-max-bytes 32768 with 8 KiB segments,
// about 600 records) while the link to the collector is cut and 1,350
// probes arrive: the sensor drops the newest accesses and counts them. After
// the link comes back: the store holds exactly what was sent minus the
// sensor's spool_full_dropped (its last log line and its last status
// report must agree), no cell or source holds more than was sent, and
// nothing the scanner did not send appears.
TEST(SensorFault, FullSpoolDropsExactlyWhatItCounts) {
  SKIP_UNLESS_NETNS();
  std::string error;
  auto t = NetRig::Start(1, 3, SCANSCOPE_BINARY, &error);
  ASSERT_NE(t, nullptr) << error;
  auto& net = t->net;
  const TestZone& zone = t->zone;
  auto& rig = t->rig;
  auto& sender = t->sender;
  ASSERT_TRUE(
      rig->StartSensor(0, &error, {"--spool-max-bytes", "32768", "--segment-bytes", "8192"}))
      << error;
  ASSERT_TRUE(net->SetCollectorLink(0, false));
  for (int r = 0; r < 30; ++r) ASSERT_TRUE(sender->SendRound(ScanMix{}, 3000, &error)) << error;
  const uint64_t sent = sender->sent().size();
  ASSERT_EQ(sent, 30u * 45);
  // The sensor has taken in every probe once the spool holds what fits and
  // the log says it is full; then the link comes back.
  EXPECT_TRUE(PollUntil(seconds(20), [&] {
    return rig->SensorLog(0).find("spool full") != std::string::npos &&
           SpoolRecords(rig->spool(0)) > 0;
  })) << rig->SensorLog(0);
  ASSERT_TRUE(net->SetCollectorLink(0, true));

  // The status report (every 5 s) carries the counter; wait for one that
  // has seen every probe (accesses == sent) and the store to hold the rest.
  uint64_t dropped = 0;
  int64_t stored = -1;
  std::string status;
  bool settled = PollUntil(seconds(45), [&] {
    status = rig->PointsStatusJson();
    nlohmann::json j = nlohmann::json::parse(status, nullptr, false);
    if (!j.is_array() || j.empty()) return false;
    const nlohmann::json& s = j[0]["status"];
    if (!s.is_object() || s.value("accesses", uint64_t{0}) != sent) return false;
    dropped = s.value("spool_full_dropped", uint64_t{0});
    stored = rig->StatsAccesses();
    return stored == static_cast<int64_t>(sent - dropped);
  });
  EXPECT_TRUE(settled) << "stored " << stored << ", sent " << sent << ", dropped " << dropped
                       << "\n"
                       << status << rig->AllLogs();
  EXPECT_GT(dropped, 0u) << "the spool never filled";
  EXPECT_LT(dropped, sent);
  ASSERT_TRUE(rig->StopSensor(0)) << rig->SensorLog(0);
  ASSERT_TRUE(rig->StopCollector()) << rig->CollectorLog();
  // The sensor's last words name the same count.
  std::smatch m;
  std::string log = rig->SensorLog(0);
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"((\d+) spool-full drops)"))) << log;
  EXPECT_EQ(std::stoull(m[1].str()), dropped) << log;

  const auto expected = ExpectedCells(sender->sent(), rig->points(), zone.offset_seconds);
  std::map<CellKey, StoredCell> cells;
  ASSERT_TRUE(rig->StoredCells(&cells, &error)) << error;
  uint64_t total = 0;
  for (const auto& [key, got] : cells) {
    total += got.accesses;
    auto want = expected.find(key);
    ASSERT_NE(want, expected.end()) << "stored a cell never sent: " << std::get<2>(key);
    EXPECT_LE(got.accesses, want->second.accesses) << std::get<2>(key);
    for (const auto& [src, n] : got.rows) {
      uint64_t sent_from = 0;
      for (const auto& [s, k] : want->second.sources) {
        if (CanonicalAddress(s) == src) sent_from = k;
      }
      EXPECT_LE(n, sent_from) << std::get<2>(key) << " from " << src;
    }
  }
  EXPECT_EQ(total, sent - dropped) << "stored + dropped must be what was sent";
}

}  // namespace
}  // namespace scanscope::testing
