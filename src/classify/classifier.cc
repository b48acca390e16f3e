#include "classify/classifier.h"

#include <utility>

#include "classify/expiring_table.h"

namespace scanscope {
namespace {

bool IsIcmpProtocol(uint8_t protocol) { return protocol == kProtoIcmp || protocol == kProtoIcmpV6; }

bool IsEchoRequest(const PacketView& p) {
  return p.is_icmp && ((p.protocol == kProtoIcmp && p.icmp_type == 8) ||
                       (p.protocol == kProtoIcmpV6 && p.icmp_type == 128));
}

bool IsEchoReply(const PacketView& p) {
  return p.is_icmp && ((p.protocol == kProtoIcmp && p.icmp_type == 0) ||
                       (p.protocol == kProtoIcmpV6 && p.icmp_type == 129));
}

// ICMPv6 130-132 (MLDv1), 133-137 (router/neighbor solicitation and
// advertisement, redirect), 143 (MLDv2 report).
bool IsNeighborDiscovery(const PacketView& p) {
  return p.is_icmp && p.protocol == kProtoIcmpV6 &&
         ((p.icmp_type >= 130 && p.icmp_type <= 137) || p.icmp_type == 143);
}

bool IsNonFirstFragment(const PacketView& p) { return p.is_fragment && !p.first_fragment; }

// A flow of the watched host, as seen from its side.
enum class FlowKind : uint8_t { kPorts = 1, kEcho = 2, kProtocol = 3 };
struct FlowKey {
  IpAddress local;  // the watched address
  IpAddress remote;
  uint16_t local_port = 0;  // or the echo identifier
  uint16_t remote_port = 0;
  uint8_t protocol = 0;
  FlowKind kind = FlowKind::kProtocol;
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const {
    uint64_t a = k.remote.High() ^ (k.remote.Low() * 0x9E3779B97F4A7C15ull);
    uint64_t b = k.local.Low() ^ (k.local.High() * 0xC2B2AE3D27D4EB4Full) ^
                 (uint64_t{k.local_port} << 48) ^ (uint64_t{k.remote_port} << 32) ^
                 (uint64_t{k.protocol} << 8) ^ static_cast<uint64_t>(k.kind);
    return static_cast<size_t>(MixHash(a ^ MixHash(b)));
  }
};

struct FragmentKey {
  IpAddress source;
  IpAddress destination;
  uint32_t id = 0;
  uint8_t protocol = 0;
  friend bool operator==(const FragmentKey&, const FragmentKey&) = default;
};

struct FragmentKeyHash {
  size_t operator()(const FragmentKey& k) const {
    uint64_t a = k.source.High() ^ (k.source.Low() * 0x9E3779B97F4A7C15ull);
    uint64_t b = k.destination.Low() ^ (k.destination.High() * 0xC2B2AE3D27D4EB4Full) ^
                 (uint64_t{k.id} << 16) ^ k.protocol;
    return static_cast<size_t>(MixHash(a ^ MixHash(b)));
  }
};

// The flow an outbound packet belongs to; false when it starts none we track
// (ICMP other than echo requests, non-first fragments).
bool OutboundFlow(const PacketView& p, FlowKey* key) {
  if (IsNonFirstFragment(p)) return false;
  key->local = p.source;
  key->remote = p.destination;
  key->protocol = p.protocol;
  if (IsIcmpProtocol(p.protocol)) {
    if (!IsEchoRequest(p)) return false;
    key->kind = FlowKind::kEcho;
    key->local_port = p.icmp_id;
  } else if (p.has_ports) {
    key->kind = FlowKind::kPorts;
    key->local_port = p.source_port;
    key->remote_port = p.destination_port;
  } else {
    key->kind = FlowKind::kProtocol;
  }
  return true;
}

// The host's flow an inbound packet would answer; false when it cannot be an
// answer (ICMP other than echo replies).
bool InboundFlow(const PacketView& p, FlowKey* key) {
  key->local = p.destination;
  key->remote = p.source;
  key->protocol = p.protocol;
  if (IsIcmpProtocol(p.protocol)) {
    if (!IsEchoReply(p)) return false;
    key->kind = FlowKind::kEcho;
    key->local_port = p.icmp_id;
  } else if (p.has_ports) {
    key->kind = FlowKind::kPorts;
    key->local_port = p.destination_port;
    key->remote_port = p.source_port;
  } else {
    key->kind = FlowKind::kProtocol;
  }
  return true;
}

void FillRecord(int64_t time_ns, const PacketView& p, PortType port_type, AccessRecord* out) {
  if (out == nullptr) return;
  out->time_ns = time_ns;
  out->source = p.source;
  out->destination = p.destination;
  out->port_type = port_type;
  out->tcp_flags = p.protocol == kProtoTcp ? p.tcp_flags : 0;
  out->ttl = p.ttl;
  out->length = p.ip_length;
}

}  // namespace

std::string_view ClassifyResultName(ClassifyResult r) {
  switch (r) {
    case ClassifyResult::kAccess:
      return "access";
    case ClassifyResult::kReply:
      return "reply";
    case ClassifyResult::kIcmpErrorAboutOwnTraffic:
      return "icmp_error_about_own_traffic";
    case ClassifyResult::kOutbound:
      return "outbound";
    case ClassifyResult::kNotWatched:
      return "not_watched";
    case ClassifyResult::kInternal:
      return "internal";
    case ClassifyResult::kNeighborDiscovery:
      return "neighbor_discovery";
    case ClassifyResult::kCount:
      break;
  }
  return "unknown";
}

PortType PortTypeOf(const PacketView& p) {
  if (IsIcmpProtocol(p.protocol)) return PortType::Icmp();
  if (p.has_ports) {
    if (p.protocol == kProtoTcp) return PortType::Tcp(p.destination_port);
    if (p.protocol == kProtoUdp) return PortType::Udp(p.destination_port);
  }
  return PortType::Protocol(p.protocol);
}

struct Classifier::State {
  explicit State(const ClassifyOptions& o)
      : replies(o.reply_window_ns, o.max_reply_flows),
        remote_opened(o.reply_window_ns, o.max_reply_flows),
        fragments(o.fragment_window_ns, o.max_fragments) {}

  // Flows the watched host started: inbound packets of these are replies.
  ExpiringTable<FlowKey, FlowKeyHash> replies;
  // Flows without a handshake (UDP, other protocols) that a remote started
  // with an access: the host's answers to them start no flow of its own.
  ExpiringTable<FlowKey, FlowKeyHash> remote_opened;
  ExpiringTable<FragmentKey, FragmentKeyHash> fragments;

  // Records the flow of a packet a watched address sent, when the host is
  // the one who started it. Only such flows make later inbound packets
  // replies: a honeypot's SYN-ACK or a closed port's RST answers a remote's
  // SYN, so the remote's next packets (its ACK, its data, its retried SYN)
  // are still accesses, as a default-deny firewall would have dropped them.
  // - TCP: a SYN without ACK starts a flow. A SYN-ACK marks the flow as the
  //   remote's; a RST starts nothing. Any other packet keeps alive the flow
  //   it belongs to, and when neither side is known (a connection idle past
  //   the window) it is taken as the host's, as before this rule.
  // - ICMP: an echo request starts one (OutboundFlow).
  // - UDP and other protocols: a packet starts one unless it answers a flow
  //   the remote opened within the window.
  void RecordOutbound(int64_t time, const PacketView& p, ClassifyCounters* c) {
    FlowKey key;
    if (!OutboundFlow(p, &key)) return;
    replies.Advance(time);
    remote_opened.Advance(time);
    auto fresh = [&](const ExpiringTable<FlowKey, FlowKeyHash>& table) {
      const auto* e = table.empty() ? nullptr : table.Find(key);
      return e != nullptr && WithinWindow(time, e->time, window);
    };
    if (p.protocol == kProtoTcp) {
      const bool syn = (p.tcp_flags & kTcpSyn) != 0, ack = (p.tcp_flags & kTcpAck) != 0;
      if (syn && ack) {
        remote_opened.Put(key, time, 0, 0);
        return;
      }
      if ((p.tcp_flags & kTcpRst) != 0) return;
      if (!syn && !fresh(replies) && fresh(remote_opened)) {
        remote_opened.Put(key, time, 0, 0);  // the remote's connection goes on
        return;
      }
    } else if (!IsIcmpProtocol(p.protocol) && fresh(remote_opened)) {
      remote_opened.Put(key, time, 0, 0);  // the exchange goes on
      return;
    }
    replies.Put(key, time, 0, 0);
    c->reply_flows_evicted = replies.evicted();
  }

  // Remembers that a remote opened a UDP (or other handshake-less) flow
  // (TCP flows are marked by the host's SYN-ACK instead, which costs nothing
  // for the many SYNs that are never answered).
  void RecordRemoteOpened(int64_t time, const PacketView& p) {
    if (p.protocol == kProtoTcp || IsIcmpProtocol(p.protocol)) return;
    FlowKey key;
    if (!InboundFlow(p, &key)) return;
    remote_opened.Advance(time);
    remote_opened.Put(key, time, 0, 0);
  }

  int64_t window = 0;

  // An inbound packet to a watched address from an unwatched one (or a logged
  // inbound drop to a watched address). `use_replies` is false for logs.
  ClassifyResult Inbound(int64_t time, const PacketView& p, bool use_replies,
                         const ClassifyOptions& o, ClassifyCounters* c, PortType* port_type) {
    FragmentKey frag{p.source, p.destination, p.fragment_id, p.protocol};
    if (IsNonFirstFragment(p)) {
      const auto* e = fragments.empty() ? nullptr : fragments.Find(frag);
      if (e != nullptr && WithinWindow(time, e->time, o.fragment_window_ns)) {
        if (auto remembered = PortType::FromCode(e->value)) {
          ++c->fragments_with_port_type_of_first;
          *port_type = *remembered;
          return static_cast<ClassifyResult>(e->tag);
        }
      }
      ++c->fragments_without_first;
      *port_type = IsIcmpProtocol(p.protocol) ? PortType::Icmp() : PortType::Protocol(p.protocol);
      return ClassifyResult::kAccess;
    }

    *port_type = PortTypeOf(p);
    ClassifyResult result = ClassifyResult::kAccess;
    if (IsNeighborDiscovery(p)) {
      result = ClassifyResult::kNeighborDiscovery;
    } else if (p.icmp_is_error && p.quoted.present && o.watched.Contains(p.quoted.source)) {
      result = ClassifyResult::kIcmpErrorAboutOwnTraffic;
    } else if (use_replies && !replies.empty()) {
      FlowKey key;
      if (InboundFlow(p, &key)) {
        replies.Advance(time);
        const auto* e = replies.Find(key);
        if (e != nullptr && WithinWindow(time, e->time, o.reply_window_ns)) {
          result = ClassifyResult::kReply;
        }
      }
    }

    if (use_replies && result == ClassifyResult::kAccess) RecordRemoteOpened(time, p);
    if (p.is_fragment) {  // a first fragment: the rest take its port type and verdict
      fragments.Advance(time);
      fragments.Put(frag, time, port_type->Code(), static_cast<uint8_t>(result));
      c->fragments_evicted = fragments.evicted();
    }
    return result;
  }
};

Classifier::Classifier(ClassifyOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {
  state_->window = options_.reply_window_ns;
}

Classifier::~Classifier() = default;

ClassifyResult Classifier::Classify(int64_t time_ns, const PacketView& packet, AccessRecord* out) {
  bool to_watched = options_.watched.Contains(packet.destination);
  bool from_watched = options_.watched.Contains(packet.source);
  ClassifyResult result;
  PortType port_type;
  if (to_watched && from_watched) {
    result = ClassifyResult::kInternal;
  } else if (from_watched) {
    state_->RecordOutbound(time_ns, packet, &counters_);
    result = ClassifyResult::kOutbound;
  } else if (!to_watched) {
    result = ClassifyResult::kNotWatched;
  } else {
    result =
        state_->Inbound(time_ns, packet, /*use_replies=*/true, options_, &counters_, &port_type);
  }
  counters_.Add(result);
  if (result == ClassifyResult::kAccess) FillRecord(time_ns, packet, port_type, out);
  return result;
}

ClassifyResult Classifier::ClassifyLogged(const LoggedPacket& logged, AccessRecord* out) {
  const PacketView& packet = logged.packet;
  ClassifyResult result;
  PortType port_type;
  if (logged.direction == LogDirection::kOutbound) {
    result = ClassifyResult::kOutbound;
  } else if (!options_.watched.Contains(packet.destination)) {
    result = ClassifyResult::kNotWatched;
  } else {
    result = state_->Inbound(logged.time_ns, packet, /*use_replies=*/false, options_, &counters_,
                             &port_type);
  }
  counters_.Add(result);
  if (result == ClassifyResult::kAccess) FillRecord(logged.time_ns, packet, port_type, out);
  return result;
}

size_t Classifier::reply_table_size() const { return state_->replies.size(); }
size_t Classifier::fragment_table_size() const { return state_->fragments.size(); }

}  // namespace scanscope
