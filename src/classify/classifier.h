#pragma once
// Classify (docs/design.md's access): is a decoded packet an inbound packet to a
// watched address that the watched host did not ask for? If so, which port
// type, and the AccessRecord. Replies are recognised two ways: an ICMP/ICMPv6
// error that quotes a packet the watched address sent is always a reply; and
// when the capture also holds the host's own outbound packets, a time-bounded
// table of the host's flows marks the answers to them as replies.
// Non-first IPv4/IPv6 fragments have no ports: they take the port type (and
// the verdict) of their first fragment when it was seen (recently), else
// "proto-N" ("ICMP" for ICMP/ICMPv6).
// ICMPv6 neighbor discovery and MLD to a watched address is link control, not
// an access (a default-deny ip6tables accepts it). docs/classify.md has the
// full rules and their order.
// No exceptions; every outcome counted by name. Not thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "capture/netfilter_log.h"
#include "common/ip_address.h"
#include "decode/packet_view.h"
#include "record/access_record.h"

namespace scanscope {

enum class ClassifyResult : uint8_t {
  kAccess = 0,
  kReply,                     // answer to a flow the watched host started (reply table)
  kIcmpErrorAboutOwnTraffic,  // ICMP error quoting a packet the watched address sent
  kOutbound,                  // sent by a watched address (feeds the reply table)
  kNotWatched,                // neither end watched
  kInternal,                  // both ends watched
  kNeighborDiscovery,         // ICMPv6 ND/MLD link control (types 130-137, 143): not an access
  kCount,
};
std::string_view ClassifyResultName(ClassifyResult r);  // "reply", "not_watched"...

struct ClassifyCounters {
  std::array<uint64_t, static_cast<size_t>(ClassifyResult::kCount)> by_result{};
  uint64_t fragments_with_port_type_of_first = 0;  // non-first fragment, first seen
  uint64_t fragments_without_first = 0;            // non-first fragment counted as proto-N
  uint64_t reply_flows_evicted = 0;  // reply-table flows dropped by the size cap within the window
  uint64_t fragments_evicted = 0;    // remembered first fragments dropped by the size cap
  void Add(ClassifyResult r) { ++by_result[static_cast<size_t>(r)]; }
  uint64_t Get(ClassifyResult r) const { return by_result[static_cast<size_t>(r)]; }
};

struct ClassifyOptions {
  PrefixSet watched;
  // How long after the host's last packet of a flow an inbound packet of
  // that flow still counts as a reply.
  int64_t reply_window_ns = 300LL * 1'000'000'000;
  // How long the port type of a first fragment is remembered for the rest.
  int64_t fragment_window_ns = 60LL * 1'000'000'000;
  // Memory bounds: the most flows / first fragments remembered at once
  // (56 bytes each, and up to twice that in hash slots: about 112 MB for
  // the default 1M flows when full; allocated only as entries arrive).
  size_t max_reply_flows = size_t{1} << 20;
  size_t max_fragments = size_t{1} << 16;
};

class Classifier {
 public:
  explicit Classifier(ClassifyOptions options);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // A captured packet at `time_ns`. On kAccess fills *out.
  ClassifyResult Classify(int64_t time_ns, const PacketView& packet, AccessRecord* out);
  // A logged drop: direction from IN=/OUT=; only the ICMP-error rule marks
  // replies (a log holds no outbound flows).
  ClassifyResult ClassifyLogged(const LoggedPacket& logged, AccessRecord* out);

  const ClassifyCounters& counters() const { return counters_; }
  // Entries held now (for tests and the ingest summary).
  size_t reply_table_size() const;
  size_t fragment_table_size() const;

 private:
  struct State;
  ClassifyOptions options_;
  ClassifyCounters counters_;
  std::unique_ptr<State> state_;
};

// The port type of an inbound packet, fragments aside: "445/tcp" (TCP with
// ports), "53/udp", "ICMP" (protocols 1 and 58), else "proto-N" (SCTP too;
// TCP/UDP whose ports could not be read are "proto-6"/"proto-17").
PortType PortTypeOf(const PacketView& packet);

}  // namespace scanscope
