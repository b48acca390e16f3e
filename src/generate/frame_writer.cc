#include "generate/frame_writer.h"

#include <cerrno>
#include <cstring>
#include <string_view>

namespace scanscope::generate {
namespace {

constexpr size_t kBufferBytes = 8 << 20;
constexpr size_t kMaxFrame = 2048;
constexpr size_t kRecordHeader = 16;

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}
void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void PutLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

// RFC 1071 one's-complement sum, not yet folded or inverted.
uint32_t SumBytes(const uint8_t* p, size_t n, uint32_t sum = 0) {
  size_t i = 0;
  for (; i + 1 < n; i += 2) sum += (uint32_t{p[i]} << 8) | p[i + 1];
  if (i < n) sum += uint32_t{p[i]} << 8;
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// The IPv4 or IPv6 pseudo-header sum (RFC 793, RFC 8200 section 8.1).
uint32_t PseudoSum(const IpAddress& src, const IpAddress& dst, uint8_t protocol, size_t length) {
  uint32_t sum = 0;
  if (src.IsV4()) {
    sum = SumBytes(src.bytes().data() + 12, 4, sum);
    sum = SumBytes(dst.bytes().data() + 12, 4, sum);
  } else {
    sum = SumBytes(src.bytes().data(), 16, sum);
    sum = SumBytes(dst.bytes().data(), 16, sum);
  }
  return sum + protocol + static_cast<uint32_t>(length);
}

void FillPayload(Payload kind, size_t n, uint8_t* out) {
  static constexpr std::string_view kMessengerText =
      "\x04\x00\x28\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
      "Security Alert! Your computer may be infected. Visit the site below to "
      "download the removal tool now. ";
  static constexpr std::string_view kSip =
      "OPTIONS sip:100@0.0.0.0 SIP/2.0\r\nVia: SIP/2.0/UDP 0.0.0.0:5060;branch=z9hG4bK-1\r\n"
      "From: \"sipvicious\"<sip:100@1.1.1.1>;tag=1\r\nTo: \"sipvicious\"<sip:100@1.1.1.1>\r\n"
      "Call-ID: 1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  static constexpr std::string_view kWindowsPing = "abcdefghijklmnopqrstuvwabcdefghi";
  static constexpr uint8_t kNbns[50] = {0x80, 0xF0, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x20, 0x43, 0x4B, 0x41, 0x41, 0x41, 0x41, 0x41,
                                        0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
                                        0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
                                        0x41, 0x41, 0x41, 0x41, 0x41, 0x00, 0x00, 0x21, 0x00, 0x01};
  static constexpr uint8_t kDns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x03, 'w',  'w',  'w',  0x07, 'e',
                                     'x',  'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',
                                     'm',  0x00, 0x00, 0x01, 0x00, 0x01};
  auto repeat = [&](const uint8_t* src, size_t len) {
    for (size_t i = 0; i < n; ++i) out[i] = src[i % len];
  };
  switch (kind) {
    case Payload::kNone:
      std::memset(out, 0, n);
      break;
    case Payload::kMessenger:
      repeat(reinterpret_cast<const uint8_t*>(kMessengerText.data()), kMessengerText.size());
      break;
    case Payload::kNbnsStatus:
      repeat(kNbns, sizeof(kNbns));
      break;
    case Payload::kSlammer:
      std::memset(out, 0x01, n);
      if (n > 0) out[0] = 0x04;
      break;
    case Payload::kSipOptions:
      repeat(reinterpret_cast<const uint8_t*>(kSip.data()), kSip.size());
      break;
    case Payload::kDnsQuery:
      repeat(kDns, sizeof(kDns));
      break;
    case Payload::kNtp:
      std::memset(out, 0, n);
      if (n > 0) out[0] = 0x23;  // LI 0, version 4, mode 3 (client)
      break;
    case Payload::kWindowsPing:
      repeat(reinterpret_cast<const uint8_t*>(kWindowsPing.data()), kWindowsPing.size());
      break;
    case Payload::kWelchiaPing:
      std::memset(out, 0xAA, n);
      break;
    case Payload::kPattern:
    case Payload::kTls:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 7 + 0x17);
      if (kind == Payload::kTls && n >= 5) {
        out[0] = 0x17;  // TLS application data record
        out[1] = 0x03;
        out[2] = 0x03;
        Put16(out + 3, static_cast<uint16_t>(n - 5));
      }
      break;
  }
}

size_t WriteEthernet(const PacketSpec& s, const PointLink& link, uint16_t ether_type,
                     uint8_t* out) {
  const uint8_t* dst_mac = link.host_mac;
  const uint8_t* src_mac = link.gateway_mac;
  uint8_t multicast[6];
  if (s.link == LinkDirection::kOutbound) {
    dst_mac = link.gateway_mac;
    src_mac = link.host_mac;
  } else if (s.link == LinkDirection::kBroadcast) {
    src_mac = s.shape == Shape::kRouterAdvert ? link.gateway_mac : link.neighbor_mac;
    const auto& d = s.dst.bytes();
    if (!s.dst.IsV4()) {
      const uint8_t m[6] = {0x33, 0x33, d[12], d[13], d[14], d[15]};
      std::memcpy(multicast, m, 6);
    } else if (d[12] >= 224 && d[12] < 240) {
      const uint8_t m[6] = {0x01, 0x00, 0x5E, static_cast<uint8_t>(d[13] & 0x7F), d[14], d[15]};
      std::memcpy(multicast, m, 6);
    } else {
      std::memset(multicast, 0xFF, 6);  // limited or directed broadcast
    }
    dst_mac = multicast;
  }
  if (s.shape == Shape::kArpRequest) {
    std::memset(multicast, 0xFF, 6);
    dst_mac = multicast;
    src_mac = link.gateway_mac;
  } else if (s.shape == Shape::kArpReply) {
    dst_mac = link.gateway_mac;
    src_mac = link.host_mac;
  }
  std::memcpy(out, dst_mac, 6);
  std::memcpy(out + 6, src_mac, 6);
  Put16(out + 12, ether_type);
  return 14;
}

// Writes an IPv4 header (20 bytes) with checksum.
void WriteIpv4(const PacketSpec& s, uint8_t protocol, size_t total, uint16_t frag_field,
               uint8_t* ip) {
  ip[0] = 0x45;
  ip[1] = 0;
  Put16(ip + 2, static_cast<uint16_t>(total));
  Put16(ip + 4, s.ip_id);
  Put16(ip + 6, frag_field);
  ip[8] = s.ttl;
  ip[9] = protocol;
  Put16(ip + 10, 0);
  std::memcpy(ip + 12, s.src.bytes().data() + 12, 4);
  std::memcpy(ip + 16, s.dst.bytes().data() + 12, 4);
  Put16(ip + 10, Fold(SumBytes(ip, 20)));
}

void WriteIpv6(const PacketSpec& s, uint8_t next_header, size_t payload_length, uint8_t* ip) {
  Put32(ip, 0x60000000u | (s.ip_id & 0xFFFFu));  // flow label from ip_id
  Put16(ip + 4, static_cast<uint16_t>(payload_length));
  ip[6] = next_header;
  ip[7] = s.ttl;
  std::memcpy(ip + 8, s.src.bytes().data(), 16);
  std::memcpy(ip + 24, s.dst.bytes().data(), 16);
}

// Writes the IP header for an L4 message of `l4_length` bytes already at
// out + 14 + ip_header_size; returns the frame length.
size_t FinishIp(const PacketSpec& s, uint8_t protocol, uint8_t* frame, size_t l4_length,
                const PointLink& link) {
  bool v4 = s.src.IsV4();
  WriteEthernet(s, link, v4 ? 0x0800 : 0x86DD, frame);
  if (v4) {
    WriteIpv4(s, protocol, 20 + l4_length, /*DF for TCP*/ protocol == 6 ? 0x4000 : 0, frame + 14);
    return 14 + 20 + l4_length;
  }
  WriteIpv6(s, protocol, l4_length, frame + 14);
  return 14 + 40 + l4_length;
}

size_t TcpOptionBytes(TcpOptions o) {
  switch (o) {
    case TcpOptions::kNone:
      return 0;
    case TcpOptions::kWindows:
      return 8;
    case TcpOptions::kLinux:
      return 20;
  }
  return 0;
}

size_t RenderTcp(const PacketSpec& s, const PointLink& link, uint8_t* frame) {
  size_t ip_size = s.src.IsV4() ? 20 : 40;
  uint8_t* t = frame + 14 + ip_size;
  auto opts = static_cast<TcpOptions>(s.options);
  size_t opt_len = TcpOptionBytes(opts);
  size_t header = 20 + opt_len;
  Put16(t, s.sport);
  Put16(t + 2, s.dport);
  Put32(t + 4, s.seq);
  Put32(t + 8, s.ack);
  t[12] = static_cast<uint8_t>((header / 4) << 4);
  t[13] = s.tcp_flags;
  Put16(t + 14, s.window);
  Put16(t + 16, 0);
  Put16(t + 18, 0);
  uint8_t* o = t + 20;
  if (opts == TcpOptions::kWindows) {
    const uint8_t w[8] = {2, 4, 0x05, 0xB4, 1, 1, 4, 2};
    std::memcpy(o, w, 8);
  } else if (opts == TcpOptions::kLinux) {
    const uint8_t l[20] = {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
    std::memcpy(o, l, 20);
    Put32(o + 8, s.seq ^ 0x5A5A5A5Au);  // TSval
  }
  FillPayload(s.payload_kind, s.payload, t + header);
  size_t l4 = header + s.payload;
  Put16(t + 16, Fold(SumBytes(t, l4, PseudoSum(s.src, s.dst, 6, l4))));
  return FinishIp(s, 6, frame, l4, link);
}

size_t RenderUdp(const PacketSpec& s, const PointLink& link, uint8_t* frame) {
  size_t ip_size = s.src.IsV4() ? 20 : 40;
  uint8_t* u = frame + 14 + ip_size;
  size_t l4 = 8 + s.payload;
  Put16(u, s.sport);
  Put16(u + 2, s.dport);
  Put16(u + 4, static_cast<uint16_t>(l4));
  Put16(u + 6, 0);
  FillPayload(s.payload_kind, s.payload, u + 8);
  uint16_t sum = Fold(SumBytes(u, l4, PseudoSum(s.src, s.dst, 17, l4)));
  Put16(u + 6, sum == 0 ? 0xFFFF : sum);
  return FinishIp(s, 17, frame, l4, link);
}

size_t RenderEcho(const PacketSpec& s, const PointLink& link, uint8_t* frame) {
  bool v4 = s.src.IsV4();
  uint8_t* m = frame + 14 + (v4 ? 20 : 40);
  size_t l4 = 8 + s.payload;
  m[0] = v4 ? 8 : 128;
  m[1] = 0;
  Put16(m + 2, 0);
  Put32(m + 4, s.seq);
  FillPayload(s.payload_kind, s.payload, m + 8);
  uint32_t sum = v4 ? 0 : PseudoSum(s.src, s.dst, 58, l4);
  Put16(m + 2, Fold(SumBytes(m, l4, sum)));
  return FinishIp(s, v4 ? 1 : 58, frame, l4, link);
}

size_t RenderEchoFragment(const PacketSpec& s, const PointLink& link, uint8_t* frame) {
  // The whole ICMP message, for its checksum and to slice.
  static thread_local std::vector<uint8_t> message;
  size_t total = 8 + s.payload;
  message.resize(total);
  message[0] = 8;
  message[1] = 0;
  Put16(message.data() + 2, 0);
  Put32(message.data() + 4, s.seq);
  FillPayload(s.payload_kind, s.payload, message.data() + 8);
  Put16(message.data() + 2, Fold(SumBytes(message.data(), total)));
  size_t offset = size_t{s.window} * kFragmentData;
  size_t len = total - offset < size_t{kFragmentData} ? total - offset : kFragmentData;
  bool more = offset + len < total;
  std::memcpy(frame + 14 + 20, message.data() + offset, len);
  WriteEthernet(s, link, 0x0800, frame);
  uint16_t frag = static_cast<uint16_t>((more ? 0x2000 : 0) | (offset / 8));
  WriteIpv4(s, 1, 20 + len, frag, frame + 14);
  return 14 + 20 + len;
}

size_t RenderPortUnreachable(const PacketSpec& s, const PointLink& link, uint8_t* frame) {
  uint8_t* m = frame + 14 + 20;
  m[0] = 3;
  m[1] = 3;
  Put16(m + 2, 0);
  Put32(m + 4, 0);
  // The quoted packet: what dst (the watched host) sent to src.
  PacketSpec quoted;
  quoted.src = s.dst;
  quoted.dst = s.src;
  quoted.ip_id = static_cast<uint16_t>(s.ack);
  quoted.ttl = 63;
  size_t udp_len = 8 + s.payload;
  WriteIpv4(quoted, 17, 20 + udp_len, 0, m + 8);
  uint8_t* u = m + 28;
  Put16(u, s.dport);  // the host's source port
  Put16(u + 2, s.sport);
  Put16(u + 4, static_cast<uint16_t>(udp_len));
  Put16(u + 6, 0);
  size_t l4 = 8 + 20 + 8;
  Put16(m + 2, Fold(SumBytes(m, l4)));
  return FinishIp(s, 1, frame, l4, link);
}

size_t RenderArp(const PacketSpec& s, const PointLink& link, uint8_t* frame) {
  WriteEthernet(s, link, 0x0806, frame);
  uint8_t* a = frame + 14;
  Put16(a, 1);
  Put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  bool request = s.shape == Shape::kArpRequest;
  Put16(a + 6, request ? 1 : 2);
  std::memcpy(a + 8, request ? link.gateway_mac : link.host_mac, 6);
  std::memcpy(a + 14, s.src.bytes().data() + 12, 4);
  if (request) {
    std::memset(a + 18, 0, 6);
  } else {
    std::memcpy(a + 18, link.gateway_mac, 6);
  }
  std::memcpy(a + 24, s.dst.bytes().data() + 12, 4);
  std::memset(a + 28, 0, 18);  // padding to the 60-byte minimum frame
  return 14 + 46;
}

size_t RenderNeighborDiscovery(const PacketSpec& s, const PointLink& link, uint8_t* frame) {
  uint8_t* m = frame + 14 + 40;
  size_t l4;
  if (s.shape == Shape::kNeighborSolicit) {
    m[0] = 135;
    m[1] = 0;
    Put16(m + 2, 0);
    Put32(m + 4, 0);
    std::memcpy(m + 8, s.dst.bytes().data(), 16);  // target: the host itself (NUD)
    m[24] = 1;                                     // source link-layer address option
    m[25] = 1;
    std::memcpy(m + 26, link.gateway_mac, 6);
    l4 = 32;
  } else {
    m[0] = 134;
    m[1] = 0;
    Put16(m + 2, 0);
    m[4] = 64;  // cur hop limit
    m[5] = 0;
    Put16(m + 6, 1800);  // router lifetime
    Put32(m + 8, 0);
    Put32(m + 12, 0);
    m[16] = 1;
    m[17] = 1;
    std::memcpy(m + 18, link.gateway_mac, 6);
    l4 = 24;
  }
  Put16(m + 2, Fold(SumBytes(m, l4, PseudoSum(s.src, s.dst, 58, l4))));
  return FinishIp(s, 58, frame, l4, link);
}

}  // namespace

size_t RenderFrame(const PacketSpec& spec, const PointLink& link, uint8_t* out) {
  switch (spec.shape) {
    case Shape::kTcp:
      return RenderTcp(spec, link, out);
    case Shape::kUdp:
      return RenderUdp(spec, link, out);
    case Shape::kIcmpEcho:
      return RenderEcho(spec, link, out);
    case Shape::kIcmpEchoFragment:
      return RenderEchoFragment(spec, link, out);
    case Shape::kIcmpPortUnreachable:
      return RenderPortUnreachable(spec, link, out);
    case Shape::kArpRequest:
    case Shape::kArpReply:
      return RenderArp(spec, link, out);
    case Shape::kNeighborSolicit:
    case Shape::kRouterAdvert:
      return RenderNeighborDiscovery(spec, link, out);
  }
  return 0;
}

PcapFileWriter::~PcapFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Status PcapFileWriter::Open(const std::string& path) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    return Status::IoError(path + ": cannot create: " + std::strerror(errno));
  }
  buffer_.resize(kBufferBytes);
  uint8_t* h = buffer_.data();
  PutLe32(h, 0xA1B2C3D4u);  // microsecond stamps, little-endian file
  PutLe16(h + 4, 2);
  PutLe16(h + 6, 4);
  PutLe32(h + 8, 0);   // thiszone
  PutLe32(h + 12, 0);  // sigfigs
  PutLe32(h + 16, 65535);
  PutLe32(h + 20, 1);  // LINKTYPE_ETHERNET
  used_ = 24;
  return Status::Ok();
}

Status PcapFileWriter::Write(const PacketSpec& spec, const PointLink& link) {
  if (used_ + kRecordHeader + kMaxFrame > buffer_.size()) SCANSCOPE_RETURN_IF_ERROR(Flush());
  uint8_t* record = buffer_.data() + used_;
  size_t len = RenderFrame(spec, link, record + kRecordHeader);
  if (len < 60) {  // Ethernet minimum frame (without FCS): pad as a NIC would
    std::memset(record + kRecordHeader + len, 0, 60 - len);
    len = 60;
  }
  int64_t seconds = spec.time_us / 1'000'000;
  int64_t micros = spec.time_us % 1'000'000;
  PutLe32(record, static_cast<uint32_t>(seconds));
  PutLe32(record + 4, static_cast<uint32_t>(micros));
  PutLe32(record + 8, static_cast<uint32_t>(len));
  PutLe32(record + 12, static_cast<uint32_t>(len));
  used_ += kRecordHeader + len;
  ++packets_;
  return Status::Ok();
}

Status PcapFileWriter::Flush() {
  if (used_ == 0) return Status::Ok();
  if (std::fwrite(buffer_.data(), 1, used_, file_) != used_) {
    return Status::IoError(path_ + ": write failed: " + std::strerror(errno));
  }
  used_ = 0;
  return Status::Ok();
}

Status PcapFileWriter::Close() {
  if (file_ == nullptr) return Status::Ok();
  Status st = Flush();
  if (std::fclose(file_) != 0 && st.ok()) {
    st = Status::IoError(path_ + ": close failed: " + std::strerror(errno));
  }
  file_ = nullptr;
  return st;
}

}  // namespace scanscope::generate
