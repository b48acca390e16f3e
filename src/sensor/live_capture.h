#pragma once
// LiveCapture: packets from a network interface through libpcap
// (pcap_create/pcap_activate, nanosecond time stamps where the kernel gives
// them, a kernel buffer of buffer_bytes, a 100 ms block timeout, the
// selectable fd polled by the caller). Opening needs CAP_NET_RAW (root, or
// the capability given to the binary or the systemd unit); the handle keeps
// working after the process drops its privileges. Not thread-safe.

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/ip_address.h"
#include "common/status.h"
#include "decode/decoder.h"

namespace scanscope {

// A BPF filter that keeps IP packets to or from the watched prefixes (both
// directions: the host's own outbound packets feed the reply table), also
// inside one VLAN tag: "net P1 or net P2 ... or (vlan and (net P1 or ...))".
// Without `with_vlan` the vlan clause is left out (for link types that
// have no VLAN tags, where libpcap refuses the keyword).
std::string CaptureFilterFor(const PrefixSet& watched, bool with_vlan = true);

// The decode LinkType of a libpcap DLT_ value (DLT_RAW is 12 or 14 on some
// systems but LINKTYPE_RAW 101 in files).
LinkType LinkTypeOfDlt(int dlt);

struct LiveCaptureOptions {
  std::string interface;
  std::string filter;           // BPF; empty: everything
  std::string fallback_filter;  // tried when `filter` does not compile for the link type
  int snaplen = 512;            // enough for headers, quoted ICMP errors, options
  int buffer_bytes = 32 << 20;  // kernel ring
  int timeout_ms = 100;         // block timeout: the longest a packet waits in the ring
};

struct CaptureStats {
  uint64_t received = 0;           // ps_recv
  uint64_t dropped = 0;            // ps_drop: no room in the buffer
  uint64_t interface_dropped = 0;  // ps_ifdrop: dropped by the interface or driver
};

class LiveCapture {
 public:
  // Receives each captured frame. `frame` is valid only during the call.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnFrame(int64_t time_ns, std::span<const uint8_t> frame) = 0;
  };

  static Result<std::unique_ptr<LiveCapture>> Open(const LiveCaptureOptions& options);
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  // Waits up to wait_ms for packets, then hands every packet ready to
  // `handler`. Returns the number handed (0 on timeout or a signal).
  Result<int> Poll(int wait_ms, Handler& handler);
  // libpcap's counters since the capture opened (pcap_stats), in 64 bits
  // (libpcap's own wrap at 2^32; call at least every few minutes). On Linux
  // ps_drop counts packets the kernel ring had no room for.
  Result<CaptureStats> Stats();
  LinkType link_type() const { return link_type_; }
  bool nanosecond_stamps() const { return nano_; }
  // The filter in force (the fallback if the first did not compile).
  const std::string& filter() const { return filter_; }

 private:
  LiveCapture() = default;
  static void OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* bytes);
  pcap_t* pcap_ = nullptr;
  int fd_ = -1;
  LinkType link_type_ = LinkType::kEthernet;
  bool nano_ = false;
  std::string filter_;
  Handler* handler_ = nullptr;
  pcap_stat last_{};
  CaptureStats totals_;
};

}  // namespace scanscope
