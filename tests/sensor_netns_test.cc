// The sensor's and collector's checks, on real interfaces: a network of
// namespaces (tests/support/netns.h: a scanner, two sensor hosts, the
// collector), the tests' own scanner (tests/support/scan_sender.h), real
// `scanscope collector` (TLS, a CA the test makes with the openssl CLI) and
// `scanscope sensor` capturing on each sensor host's interface. The stored
// figures must equal what the scanner sent, per (day, point, port type):
// accesses and sources, and per source; replies to the sensor hosts' own
// outbound connections excluded. docs/sensor-tests.md describes it all.
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "support/netns.h"
#include "support/scan_sender.h"
#include "support/scanscope_rig.h"

namespace scanscope::testing {
namespace {

using std::chrono::seconds;

// The harness itself: the network comes up, the scanner's frames reach the
// sensor hosts' interfaces one for one (counted by an AF_PACKET socket in
// each sensor's namespace, independent of scanscope), the outbound client's
// exchanges are answered, and after the network goes nothing is left in
// `ip netns list` or `ip link`.
TEST(NetnsHarness, FramesArriveAndNothingIsLeftBehind) {
  SKIP_UNLESS_NETNS();
  std::string suffix;
  {
    std::string error;
    auto net = TestNetwork::Create(2, 3, &error);
    ASSERT_NE(net, nullptr) << error;
    suffix = net->suffix();
    EXPECT_NE(NetworkLeftovers(suffix), "");  // the check below can see our names

    std::vector<int> taps;
    for (int i = 0; i < net->sensor_count(); ++i) {
      int fd = net->SocketIn(net->sensor(i).ns, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
      ASSERT_GE(fd, 0);
      sockaddr_ll at{};
      at.sll_family = AF_PACKET;
      at.sll_protocol = htons(ETH_P_ALL);
      at.sll_ifindex = net->sensor(i).ifindex;
      ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
      taps.push_back(fd);
    }
    auto sender = ScanSender::Create(*net, &error);
    ASSERT_NE(sender, nullptr) << error;
    ScanMix mix;
    ASSERT_TRUE(sender->SendRound(mix, 2000, &error)) << error;
    // 2 sensors x (3 v4 + 2 v6 sources) x (5 tcp + 3 udp + 1 echo).
    ASSERT_EQ(sender->sent().size(), 2u * 5 * 9);

    // Count the scanner's frames on each sensor's interface: inbound
    // (PACKET_HOST) frames from the scanner's MAC that are IPv4/IPv6 and not
    // neighbour discovery (ICMPv6 type 133-137).
    for (int i = 0; i < net->sensor_count(); ++i) {
      uint64_t want = 0;
      for (const SentAccess& a : sender->sent()) want += a.sensor == i;
      uint64_t got = 0;
      bool ok = PollUntil(seconds(10), [&] {
        pollfd p{taps[i], POLLIN, 0};
        while (poll(&p, 1, 0) > 0) {
          uint8_t buf[2048];
          sockaddr_ll from{};
          socklen_t len = sizeof from;
          ssize_t n =
              recvfrom(taps[i], buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
          if (n < 14 || from.sll_pkttype != PACKET_HOST) continue;
          uint16_t type = static_cast<uint16_t>(buf[12] << 8 | buf[13]);
          if (type == 0x86DD && n > 54 && buf[20] == 58 && buf[54] >= 133 && buf[54] <= 137)
            continue;
          if (type == 0x0800 || type == 0x86DD) ++got;
        }
        return got >= want;
      });
      EXPECT_TRUE(ok) << net->sensor(i).name << ": " << got << " of " << want << " frames";
      EXPECT_EQ(got, want);
      close(taps[i]);
    }

    auto servers = EchoServers::Start(*net, &error);
    ASSERT_NE(servers, nullptr) << error;
    error.clear();
    EXPECT_EQ(RunOutboundClient(*net, 0, *servers, 4, 4, &error), 8) << error;

    // A cut link drops the collector path only.
    const std::string& col = net->collector().ns;
    EXPECT_TRUE(net->CanConnect(net->sensor(0).ns, col, "203.0.113.1", seconds(5)));
    ASSERT_TRUE(net->SetCollectorLink(0, false));
    EXPECT_FALSE(net->CanConnect(net->sensor(0).ns, col, "203.0.113.1", seconds(1)));
    EXPECT_TRUE(net->CanConnect(net->sensor(1).ns, col, "203.0.113.1", seconds(5)));
    EXPECT_TRUE(net->CanConnect(net->sensor(0).ns, net->scanner().ns, "192.0.2.1", seconds(5)));
    ASSERT_TRUE(net->SetCollectorLink(0, true));
    EXPECT_TRUE(net->CanConnect(net->sensor(0).ns, col, "203.0.113.1", seconds(5)));
  }
  EXPECT_EQ(NetworkLeftovers(suffix), "");
}

// The scenario end to end: two sensor hosts capture the scanner's rounds
// (TCP SYN to five ports, UDP to three, ICMP/ICMPv6 echo; four IPv4 and four
// IPv6 sources) while each host also makes its own TCP connections and UDP
// queries to servers on the scanner's host, whose answers reach the same
// interface. The test waits (polling `stats --json`, deadline 60 s) until the
// store holds as many accesses as were sent, lets the sensors and the
// collector stop cleanly, then compares the store through the Store API
// with the sender's own record: per (day, point, port type) the accesses,
// the sources and each source's accesses. Any answer counted as an access
// would show as a cell or source the sender never sent.
TEST(SensorNetns, StoredFiguresEqualWhatWasSentRepliesExcluded) {
  SKIP_UNLESS_NETNS();
  std::string error;
  auto t = NetRig::Start(2, 3, SCANSCOPE_BINARY, &error);
  ASSERT_NE(t, nullptr) << error;
  auto& net = t->net;
  const TestZone& zone = t->zone;
  auto& rig = t->rig;
  auto& sender = t->sender;
  for (int i = 0; i < net->sensor_count(); ++i) {
    ASSERT_TRUE(rig->StartSensor(i, &error)) << error;
  }
  auto servers = EchoServers::Start(*net, &error);
  ASSERT_NE(servers, nullptr) << error;

  ScanMix mix;
  mix.v4_sources = 4;
  mix.v6_sources = 4;
  int answered = 0;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < net->sensor_count(); ++i) {
      answered += RunOutboundClient(*net, i, *servers, 2, 2, &error);
    }
    ASSERT_TRUE(sender->SendRound(mix, 3000, &error)) << error;
  }
  EXPECT_EQ(answered, 8 * 2 * 4) << error;
  const auto expected = ExpectedCells(sender->sent(), rig->points(), zone.offset_seconds);
  const uint64_t total = TotalAccesses(expected);
  ASSERT_EQ(total, 8u * 2 * 8 * 9);

  std::string stats;
  int64_t stored = -1;
  bool settled = PollUntil(std::chrono::seconds(60), [&] {
    stored = rig->StatsAccesses(&stats);
    return stored >= static_cast<int64_t>(total);
  });
  EXPECT_TRUE(settled) << "stored " << stored << " of " << total << " accesses\n"
                       << stats << rig->AllLogs();
  for (int i = 0; i < net->sensor_count(); ++i) {
    EXPECT_TRUE(rig->StopSensor(i)) << rig->SensorLog(i);
  }
  std::string status = rig->PointsStatusJson();
  EXPECT_TRUE(rig->StopCollector()) << rig->CollectorLog();

  std::map<CellKey, StoredCell> cells;
  ASSERT_TRUE(rig->StoredCells(&cells, &error)) << error;
  std::string diff = CompareFigures(expected, cells);
  EXPECT_EQ(diff, "") << "the store differs from what the scanner sent:\n"
                      << diff << rig->AllLogs();

  // The sensors saw the answers to their own traffic and called them replies.
  nlohmann::json j = nlohmann::json::parse(status, nullptr, false);
  ASSERT_TRUE(j.is_array() || j.is_object()) << status;
  std::string text = j.dump();
  SCOPED_TRACE(text);
  uint64_t replies = 0;
  for (const auto& row : (j.is_array() ? j : j["points"])) {
    replies += row["status"]["counters"].value("reply", uint64_t{0});
  }
  EXPECT_GE(replies, static_cast<uint64_t>(answered));
}

}  // namespace
}  // namespace scanscope::testing
