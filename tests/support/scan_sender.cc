#include "support/scan_sender.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace scanscope::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool ParseMac(const std::string& text, uint8_t out[6]) {
  unsigned v[6];
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) !=
      6) {
    return false;
  }
  for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(v[i]);
  return true;
}

int64_t RealtimeNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void SetTimeout(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

std::map<CellKey, ExpectedCell> ExpectedCells(const std::vector<SentAccess>& sent,
                                              const std::vector<std::string>& points,
                                              int64_t offset_seconds) {
  std::map<CellKey, ExpectedCell> cells;
  for (const SentAccess& a : sent) {
    // The local day of a fixed-offset zone, by plain arithmetic (not via
    // src/common/time_zone.h, which the store uses).
    int64_t local_s = FloorDiv(a.time_ns, 1'000'000'000) + offset_seconds;
    auto day = static_cast<int32_t>(FloorDiv(local_s, 86400));
    ExpectedCell& c = cells[{day, points.at(a.sensor), a.port}];
    ++c.accesses;
    ++c.sources[a.source];
  }
  return cells;
}

// ---- ScanSender ----------------------------------------------------------------

std::unique_ptr<ScanSender> ScanSender::Create(const TestNetwork& net, std::string* error) {
  int fd = net.SocketIn(net.scanner().ns, AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    *error = std::string("AF_PACKET socket in the scanner namespace: ") + std::strerror(errno);
    return nullptr;
  }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  return std::unique_ptr<ScanSender>(new ScanSender(net, fd));
}

ScanSender::~ScanSender() {
  if (fd_ >= 0) close(fd_);
}

std::vector<ScanSender::Frame> ScanSender::BuildRound(const ScanMix& mix) {
  std::vector<Frame> frames;
  uint8_t src_mac[6];
  ParseMac(net_.scanner().mac, src_mac);
  std::vector<int> targets = mix.sensors;
  if (targets.empty()) {
    for (int i = 0; i < net_.sensor_count(); ++i) targets.push_back(i);
  }
  auto next = [&] {
    uint16_t p = next_port_;
    next_port_ = next_port_ >= 60999 ? 20000 : static_cast<uint16_t>(next_port_ + 1);
    return p;
  };
  for (int s : targets) {
    const NetHost& sensor = net_.sensor(s);
    uint8_t dst_mac[6];
    ParseMac(sensor.mac, dst_mac);
    auto add = [&](uint16_t ether_type, const Bytes& ip, const std::string& source,
                   const std::string& port) {
      Frame f;
      f.bytes = Ethernet(ether_type, ip);
      std::memcpy(f.bytes.data(), dst_mac, 6);
      std::memcpy(f.bytes.data() + 6, src_mac, 6);
      f.access = SentAccess{s, source, port, 0};
      frames.push_back(std::move(f));
    };
    for (int family = 4; family <= 6; family += 2) {
      const auto& sources = family == 4 ? net_.scanner_v4_sources() : net_.scanner_v6_sources();
      int n = std::min<int>(family == 4 ? mix.v4_sources : mix.v6_sources,
                            static_cast<int>(sources.size()));
      for (int k = 0; k < n; ++k) {
        const std::string& src = sources[k];
        auto ip = [&](uint8_t protocol, const Bytes& payload) {
          if (family == 4) {
            return Ipv4(Ipv4Header{.source = V4(src),
                                   .destination = V4(sensor.v4),
                                   .protocol = protocol,
                                   .ttl = 50},
                        payload);
          }
          return Ipv6(Ipv6Header{.source = V6(src),
                                 .destination = V6(sensor.v6),
                                 .next_header = protocol,
                                 .hop_limit = 50},
                      payload);
        };
        uint16_t ether = family == 4 ? kEtherIpv4 : kEtherIpv6;
        for (uint16_t port : mix.tcp_ports) {
          add(ether,
              ip(kTcp, Tcp(TcpHeader{.source_port = next(),
                                     .destination_port = port,
                                     .seq = 12345,
                                     .flags = kSyn})),
              src, std::to_string(port) + "/tcp");
        }
        for (uint16_t port : mix.udp_ports) {
          add(ether, ip(kUdp, Udp(next(), port, Bytes{'p', 'r', 'o', 'b', 'e'})), src,
              std::to_string(port) + "/udp");
        }
        for (int e = 0; e < mix.echoes; ++e) {
          uint16_t id = next();
          add(ether,
              family == 4 ? ip(kIcmp, IcmpEcho(true, id, 1, Bytes(16, 0x61)))
                          : ip(kIcmpV6, Icmpv6Echo(true, id, 1, Bytes(16, 0x61))),
              src, "ICMP");
        }
      }
    }
  }
  return frames;
}

bool ScanSender::Send(std::vector<Frame> frames, double rate_pps, std::string* error) {
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = net_.scanner().ifindex;
  to.sll_halen = 6;
  auto start = Clock::now();
  for (size_t i = 0; i < frames.size(); ++i) {
    if (rate_pps > 0) {
      auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(i * 1e9 / rate_pps));
      std::this_thread::sleep_until(due);  // pacing, not synchronisation
    }
    std::memcpy(to.sll_addr, frames[i].bytes.data(), 6);
    frames[i].access.time_ns = RealtimeNs();
    for (int attempt = 0;; ++attempt) {
      ssize_t n = sendto(fd_, frames[i].bytes.data(), frames[i].bytes.size(), 0,
                         reinterpret_cast<sockaddr*>(&to), sizeof to);
      if (n == static_cast<ssize_t>(frames[i].bytes.size())) break;
      if (n < 0 && errno == ENOBUFS && attempt < 1000) {  // queue full: let it drain
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      *error = std::string("send on the scanner's interface: ") +
               (n < 0 ? std::strerror(errno) : "short write");
      return false;
    }
    sent_.push_back(frames[i].access);
  }
  return true;
}

bool ScanSender::SendRound(const ScanMix& mix, double rate_pps, std::string* error) {
  return Send(BuildRound(mix), rate_pps, error);
}

uint64_t ScanSender::Blast(const std::vector<Frame>& frames, uint64_t total, double rate_pps) {
  if (frames.empty()) return 0;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = net_.scanner().ifindex;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, frames[0].bytes.data(), 6);  // one sensor's MAC: the benchmark's case
  // sendmmsg in batches of 64: one system call per batch, paced per batch.
  constexpr size_t kBatch = 64;
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(kBatch);
  auto start = Clock::now();
  uint64_t sent = 0, i = 0;
  while (i < total) {
    if (rate_pps > 0) {
      std::this_thread::sleep_until(
          start + std::chrono::nanoseconds(static_cast<int64_t>(i * 1e9 / rate_pps)));
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(kBatch, total - i));
    for (size_t k = 0; k < n; ++k) {
      const Bytes& b = frames[(i + k) % frames.size()].bytes;
      iov[k] = {const_cast<uint8_t*>(b.data()), b.size()};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_name = &to;
      msgs[k].msg_hdr.msg_namelen = sizeof to;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(fd_, msgs.data(), static_cast<unsigned>(n), 0);
    if (r > 0) sent += static_cast<uint64_t>(r);
    i += n;  // frames refused (ENOBUFS) are not retried: `sent` says what went
  }
  return sent;
}

// ---- EchoServers ---------------------------------------------------------------

std::unique_ptr<EchoServers> EchoServers::Start(const TestNetwork& net, std::string* error) {
  std::unique_ptr<EchoServers> s(new EchoServers());
  const std::string& ns = net.scanner().ns;
  s->tcp_fd_ = net.SocketIn(ns, AF_INET6, SOCK_STREAM, 0);
  s->udp_fd_ = net.SocketIn(ns, AF_INET6, SOCK_DGRAM, 0);
  int pipe_fds[2];
  if (s->tcp_fd_ < 0 || s->udp_fd_ < 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *error = std::string("echo server sockets: ") + std::strerror(errno);
    return nullptr;
  }
  s->stop_fd_ = pipe_fds[1];
  int read_stop = pipe_fds[0];
  for (int fd : {s->tcp_fd_, s->udp_fd_}) {
    int off = 0, on = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);  // IPv4 and IPv6
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in6 any{};
    any.sin6_family = AF_INET6;
    any.sin6_addr = in6addr_any;
    socklen_t len = sizeof any;
    if (bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&any), &len) != 0) {
      *error = std::string("echo server bind: ") + std::strerror(errno);
      close(read_stop);
      return nullptr;
    }
    (fd == s->tcp_fd_ ? s->tcp_port_ : s->udp_port_) = ntohs(any.sin6_port);
  }
  if (listen(s->tcp_fd_, 64) != 0) {
    *error = std::string("echo server listen: ") + std::strerror(errno);
    close(read_stop);
    return nullptr;
  }
  int tcp = s->tcp_fd_, udp = s->udp_fd_;
  s->thread_ = std::thread([tcp, udp, read_stop] {
    for (;;) {
      pollfd fds[3] = {{tcp, POLLIN, 0}, {udp, POLLIN, 0}, {read_stop, POLLIN, 0}};
      if (poll(fds, 3, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[2].revents != 0) break;
      char buf[512];
      if (fds[0].revents & POLLIN) {
        int c = accept4(tcp, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          SetTimeout(c, 2000);
          ssize_t n = recv(c, buf, sizeof buf, 0);
          if (n > 0) send(c, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
          close(c);
        }
      }
      if (fds[1].revents & POLLIN) {
        sockaddr_in6 from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(udp, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) {
          sendto(udp, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
    }
    close(read_stop);
  });
  return s;
}

EchoServers::~EchoServers() {
  if (stop_fd_ >= 0) {
    char x = 'x';
    if (write(stop_fd_, &x, 1) < 0) {
      // The thread then never stops; nothing better to do in a destructor.
    }
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : {tcp_fd_, udp_fd_, stop_fd_}) {
    if (fd >= 0) close(fd);
  }
}

// ---- Outbound client -----------------------------------------------------------

int RunOutboundClient(const TestNetwork& net, int i, const EchoServers& servers, int connections,
                      int queries, std::string* error) {
  const std::string& ns = net.sensor(i).ns;
  int answered = 0;
  auto target = [&](bool v6, uint16_t port, sockaddr_storage* ss) -> socklen_t {
    std::memset(ss, 0, sizeof *ss);
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      inet_pton(AF_INET6, net.scanner().v6.c_str(), &a->sin6_addr);
      return sizeof *a;
    }
    auto* a = reinterpret_cast<sockaddr_in*>(ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, net.scanner().v4.c_str(), &a->sin_addr);
    return sizeof *a;
  };
  auto fail = [&](const std::string& what) {
    if (error->empty()) *error = what + ": " + std::strerror(errno);
  };
  for (int k = 0; k < connections + queries; ++k) {
    bool tcp = k < connections;
    bool v6 = (k % 2) == 1;
    int fd = net.SocketIn(ns, v6 ? AF_INET6 : AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (fd < 0) {
      fail("client socket");
      continue;
    }
    SetTimeout(fd, 3000);
    sockaddr_storage to;
    socklen_t len = target(v6, tcp ? servers.tcp_port() : servers.udp_port(), &to);
    const char query[] = "query from the watched host";
    char buf[512];
    if (tcp) {
      if (connect(fd, reinterpret_cast<sockaddr*>(&to), len) != 0) {
        fail("client connect");
      } else if (send(fd, query, sizeof query, MSG_NOSIGNAL) != sizeof query) {
        fail("client send");
      } else if (recv(fd, buf, sizeof buf, MSG_WAITALL) == sizeof query) {
        ++answered;
      } else {
        fail("client recv");
      }
    } else {
      if (sendto(fd, query, sizeof query, 0, reinterpret_cast<sockaddr*>(&to), len) !=
          sizeof query) {
        fail("client sendto");
      } else if (recv(fd, buf, sizeof buf, 0) == sizeof query) {
        ++answered;
      } else {
        fail("client recv (udp)");
      }
    }
    close(fd);
  }
  return answered;
}

}  // namespace scanscope::testing
