#include "sensor/live_capture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "classify/classifier.h"
#include "gtest/gtest.h"
#include "support/packet_builder.h"

namespace scanscope {
namespace {

using namespace scanscope::testing;  // NOLINT: the packet builders

PrefixSet Watch(const char* text) {
  auto s = PrefixSet::Parse(text);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

TEST(CaptureFilter, NamesEveryPrefixBothWaysAndInsideVlan) {
  EXPECT_EQ(CaptureFilterFor(Watch("192.0.2.0/24,2001:db8::/64")),
            "(net 192.0.2.0/24 or net 2001:db8::/64) or "
            "(vlan and (net 192.0.2.0/24 or net 2001:db8::/64))");
  EXPECT_EQ(CaptureFilterFor(Watch("192.0.2.7"), false), "net 192.0.2.7/32");
}

// The filter, compiled by libpcap for Ethernet, run on frames built by the
// test: to and from the watched addresses pass, VLAN-tagged too; others not.
TEST(CaptureFilter, KeepsTrafficToAndFromWatchedOnly) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  ASSERT_NE(dead, nullptr);
  bpf_program prog;
  std::string filter = CaptureFilterFor(Watch("192.0.2.0/24,2001:db8::/64"));
  ASSERT_EQ(pcap_compile(dead, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN), 0)
      << pcap_geterr(dead);
  auto passes = [&](const Bytes& frame) {
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    return pcap_offline_filter(&prog, &h, frame.data()) != 0;
  };
  Bytes syn = Tcp(TcpHeader{.source_port = 40000, .destination_port = 445, .flags = 0x02});
  auto v4 = [&](const char* from, const char* to) {
    return Ipv4(Ipv4Header{.source = V4(from), .destination = V4(to), .protocol = kTcp}, syn);
  };
  EXPECT_TRUE(passes(Ethernet(kEtherIpv4, v4("198.51.100.7", "192.0.2.10"))));  // inbound
  EXPECT_TRUE(passes(Ethernet(kEtherIpv4, v4("192.0.2.10", "198.51.100.7"))));  // outbound
  EXPECT_TRUE(passes(Ethernet(kEtherIpv4, v4("198.51.100.7", "192.0.2.10"), {VlanTag{.id = 10}})));
  EXPECT_FALSE(passes(Ethernet(kEtherIpv4, v4("198.51.100.7", "203.0.113.1"))));
  EXPECT_FALSE(passes(Ethernet(kEtherIpv4, v4("198.51.100.7", "192.0.3.1"))));
  Bytes v6in = Ipv6(
      Ipv6Header{
          .source = V6("2001:db8:ffff::1"), .destination = V6("2001:db8::5"), .next_header = kTcp},
      syn);
  EXPECT_TRUE(passes(Ethernet(kEtherIpv6, v6in)));
  Bytes v6other = Ipv6(Ipv6Header{.source = V6("2001:db8:ffff::1"),
                                  .destination = V6("2001:db8:1::5"),
                                  .next_header = kTcp},
                       syn);
  EXPECT_FALSE(passes(Ethernet(kEtherIpv6, v6other)));
  EXPECT_FALSE(passes(Ethernet(kEtherArp, Bytes(28, 0))));
  pcap_freecode(&prog);
  pcap_close(dead);
}

TEST(LiveCapture, UnknownInterfaceIsAClearError) {
  if (::geteuid() != 0) GTEST_SKIP() << "capture needs CAP_NET_RAW (root in CI)";
  auto c = LiveCapture::Open({.interface = "no-such-if0"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no-such-if0"), std::string::npos) << c.status().message();
}

// Live on the loopback interface: datagrams to the watched 127.0.0.12 are
// captured, decoded and classified as accesses, one per datagram; those to
// 127.0.0.13 never reach the handler (the kernel's filter drops them).
TEST(LiveCapture, CapturesWatchedTrafficOnLoopback) {
  if (::geteuid() != 0) GTEST_SKIP() << "capture needs CAP_NET_RAW (root in CI)";
  PrefixSet watched = Watch("127.0.0.12/32");
  auto opened = LiveCapture::Open({.interface = "lo",
                                   .filter = CaptureFilterFor(watched),
                                   .fallback_filter = CaptureFilterFor(watched, false)});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  LiveCapture& capture = **opened;

  struct Sink : LiveCapture::Handler {
    LinkType link;
    Classifier classifier{ClassifyOptions{.watched = Watch("127.0.0.12/32")}};
    std::set<uint16_t> ports;
    int frames = 0, foreign = 0;
    void OnFrame(int64_t time_ns, std::span<const uint8_t> frame) override {
      ++frames;
      PacketView v;
      AccessRecord r;
      if (DecodeFrame(link, frame, &v) != DecodeResult::kOk) return;
      if (v.destination.ToString() == "127.0.0.13" || v.source.ToString() == "127.0.0.13")
        ++foreign;
      if (classifier.Classify(time_ns, v, &r) == ClassifyResult::kAccess) {
        EXPECT_EQ(r.destination.ToString(), "127.0.0.12");
        EXPECT_EQ(r.port_type.kind(), PortKind::kUdp);
        ports.insert(r.port_type.port());
      }
    }
  } sink;
  sink.link = capture.link_type();

  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  const int kSent = 20;
  for (int i = 0; i < kSent; ++i) {
    for (const char* to : {"127.0.0.12", "127.0.0.13"}) {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(47000 + i));
      ::inet_pton(AF_INET, to, &a.sin_addr);
      ASSERT_EQ(::sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 1);
    }
  }
  ::close(fd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sink.ports.size() < kSent && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(capture.Poll(100, sink).ok());
  }
  EXPECT_EQ(sink.ports.size(), static_cast<size_t>(kSent));
  EXPECT_EQ(*sink.ports.begin(), 47000);
  EXPECT_EQ(sink.foreign, 0);
  auto stats = capture.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->dropped, 0u);
  EXPECT_GE(stats->received, static_cast<uint64_t>(kSent));
}

}  // namespace
}  // namespace scanscope
