#include "sensor/live_capture.h"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

namespace scanscope {

std::string CaptureFilterFor(const PrefixSet& watched, bool with_vlan) {
  std::string nets;
  for (const Prefix& p : watched.prefixes()) {
    if (!nets.empty()) nets += " or ";
    nets += fmt::format("net {}/{}", p.base().ToString(), p.length());
  }
  if (nets.empty()) return "";
  if (!with_vlan) return nets;
  return fmt::format("({}) or (vlan and ({}))", nets, nets);
}

LinkType LinkTypeOfDlt(int dlt) {
  switch (dlt) {
    case 12:  // DLT_RAW on most systems
    case 14:  // DLT_RAW on OpenBSD
      return LinkType::kRaw;
    default:
      return static_cast<LinkType>(dlt);
  }
}

Result<std::unique_ptr<LiveCapture>> LiveCapture::Open(const LiveCaptureOptions& options) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* p = pcap_create(options.interface.c_str(), err);
  if (p == nullptr) return Status::IoError(fmt::format("{}: {}", options.interface, err));
  std::unique_ptr<LiveCapture> c(new LiveCapture());
  c->pcap_ = p;
  (void)pcap_set_snaplen(p, options.snaplen);
  (void)pcap_set_promisc(p, 0);  // the watched addresses are the host's own
  (void)pcap_set_timeout(p, options.timeout_ms);
  (void)pcap_set_buffer_size(p, options.buffer_bytes);
  c->nano_ = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
  int rc = pcap_activate(p);
  if (rc < 0) {
    std::string why = rc == PCAP_ERROR_PERM_DENIED
                          ? "permission denied (capture needs CAP_NET_RAW: run as root or give "
                            "the capability, see docs/sensor.md)"
                          : pcap_geterr(p);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) why = "no such interface";
    return Status::IoError(fmt::format("capture on {}: {}", options.interface, why));
  }
  if (!options.filter.empty()) {
    bpf_program prog;
    c->filter_ = options.filter;
    if (pcap_compile(p, &prog, options.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      std::string why = pcap_geterr(p);
      c->filter_ = options.fallback_filter;
      if (options.fallback_filter.empty() ||
          pcap_compile(p, &prog, options.fallback_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        return Status::InvalidArgument(fmt::format("capture filter '{}': {}", options.filter, why));
      }
    }
    int set = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (set != 0) {
      return Status::IoError(
          fmt::format("capture filter on {}: {}", options.interface, pcap_geterr(p)));
    }
  }
  if (pcap_setnonblock(p, 1, err) != 0) {
    return Status::IoError(fmt::format("{}: {}", options.interface, err));
  }
  c->fd_ = pcap_get_selectable_fd(p);
  if (c->fd_ < 0) return Status::Unsupported(options.interface + ": no selectable descriptor");
  c->link_type_ = LinkTypeOfDlt(pcap_datalink(p));
  return c;
}

LiveCapture::~LiveCapture() {
  if (pcap_ != nullptr) pcap_close(pcap_);
}

void LiveCapture::OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  auto* self = reinterpret_cast<LiveCapture*>(user);
  int64_t sub = static_cast<int64_t>(h->ts.tv_usec);
  int64_t ns =
      static_cast<int64_t>(h->ts.tv_sec) * 1'000'000'000 + (self->nano_ ? sub : sub * 1000);
  self->handler_->OnFrame(ns, std::span<const uint8_t>(bytes, h->caplen));
}

Result<int> LiveCapture::Poll(int wait_ms, Handler& handler) {
  pollfd pfd{fd_, POLLIN, 0};
  int r = ::poll(&pfd, 1, wait_ms);
  if (r < 0 && errno != EINTR) return Status::IoError(std::string("poll: ") + std::strerror(errno));
  // Even on a timeout: the ring may hold packets of a block the kernel retired.
  handler_ = &handler;
  int total = 0;
  for (;;) {
    int n = pcap_dispatch(pcap_, -1, &LiveCapture::OnPacket, reinterpret_cast<u_char*>(this));
    if (n < 0) {
      handler_ = nullptr;
      if (n == PCAP_ERROR_BREAK) return total;
      return Status::IoError(std::string("capture: ") + pcap_geterr(pcap_));
    }
    total += n;
    if (n == 0 || total >= 1 << 16) break;
  }
  handler_ = nullptr;
  return total;
}

Result<CaptureStats> LiveCapture::Stats() {
  pcap_stat s{};
  if (pcap_stats(pcap_, &s) != 0)
    return Status::IoError(std::string("pcap_stats: ") + pcap_geterr(pcap_));
  // libpcap's counters are 32 bits and wrap; add their differences up.
  totals_.received += static_cast<uint32_t>(s.ps_recv - last_.ps_recv);
  totals_.dropped += static_cast<uint32_t>(s.ps_drop - last_.ps_drop);
  totals_.interface_dropped += static_cast<uint32_t>(s.ps_ifdrop - last_.ps_ifdrop);
  last_ = s;
  return totals_;
}

}  // namespace scanscope
