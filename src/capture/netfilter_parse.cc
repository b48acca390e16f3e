#include "capture/netfilter_parse.h"

#include <cstring>
#include <limits>

#include "common/hex.h"

namespace scanscope::netfilter {

int64_t LocalTimeConverter::ToUtcSeconds(int64_t local_seconds) {
  int64_t b = local_seconds >= 0 ? local_seconds / kBucketSeconds
                                 : -((-local_seconds + kBucketSeconds - 1) / kBucketSeconds);
  if (b == bucket_) return local_seconds + delta_;
  // The offset is piecewise constant with at most one change in a quarter
  // hour; equal offsets at both ends mean none inside the bucket.
  int64_t first = b * kBucketSeconds;
  int64_t last = first + kBucketSeconds - 1;
  int64_t d1 = zone_.LocalToUtcSeconds(first) - first;
  int64_t d2 = zone_.LocalToUtcSeconds(last) - last;
  if (d1 == d2) {
    bucket_ = b;
    delta_ = d1;
    return local_seconds + d1;
  }
  return zone_.LocalToUtcSeconds(local_seconds);
}

namespace {

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
}

// All of `s` as a decimal number no greater than `max` (max < 2^60).
bool ParseUint(std::string_view s, uint64_t max, uint64_t* v) {
  if (s.empty()) return false;
  uint64_t r = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    r = r * 10 + static_cast<uint64_t>(c - '0');
    if (r > max) return false;
  }
  *v = r;
  return true;
}

// Dotted quad, exactly four parts of 1-3 digits each <= 255.
bool ParseV4(std::string_view s, IpAddress* out) {
  uint32_t addr = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    uint32_t v = 0;
    int n = 0;
    while (i < s.size() && IsDigit(s[i])) {
      v = v * 10 + static_cast<uint32_t>(s[i] - '0');
      if (++n > 3) return false;
      ++i;
    }
    if (n == 0 || v > 255) return false;
    addr = (addr << 8) | v;
  }
  if (i != s.size()) return false;
  *out = IpAddress::FromV4(addr);
  return true;
}

// An address as the kernel prints it (%pI4 or %pI6c). *v6 says which.
bool ParseAddress(std::string_view s, IpAddress* out, bool* v6) {
  if (s.find(':') == std::string_view::npos) {
    *v6 = false;
    return ParseV4(s, out);
  }
  *v6 = true;
  std::optional<IpAddress> a = IpAddress::Parse(s);
  if (!a) return false;
  *out = *a;
  return true;
}

// Space-separated tokens of a field list.
class Tokens {
 public:
  explicit Tokens(std::string_view text) : text_(text) {}
  bool Next(std::string_view* tok) {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    if (pos_ >= text_.size()) return false;
    start_ = pos_;
    while (pos_ < text_.size() && text_[pos_] != ' ') ++pos_;
    *tok = text_.substr(start_, pos_ - start_);
    return true;
  }
  // True when the last token ended the text (no space after it): its value
  // may have been cut.
  bool LastAtEnd() const { return pos_ == text_.size(); }
  size_t last_start() const { return start_; }
  std::string_view text() const { return text_; }
  void Seek(size_t pos) { pos_ = pos; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t start_ = 0;
};

struct KeyValue {
  std::string_view key;
  std::string_view value;
  bool has_eq = false;
};

KeyValue Split(std::string_view tok) {
  KeyValue kv;
  size_t eq = tok.find('=');
  if (eq == std::string_view::npos) {
    kv.key = tok;
    return kv;
  }
  kv.key = tok.substr(0, eq);
  kv.value = tok.substr(eq + 1);
  kv.has_eq = true;
  return kv;
}

enum class Mode : uint8_t {
  kOuter,  // the logged packet: every field the kernel always writes is required
  kQuote,  // the packet an ICMP error quotes: as much as the kernel could read
};

// A garbled value, unless it is empty at the very end of the text (cut there).
LogMalformed Garbled(LogMalformed kind, const KeyValue& kv, const Tokens& t) {
  return kv.value.empty() && t.LastAtEnd() ? LogMalformed::kTruncatedLine : kind;
}

bool ParseNumber(const KeyValue& kv, const Tokens& t, uint64_t max, uint64_t* v,
                 LogMalformed* why) {
  if (ParseUint(kv.value, max, v)) return true;
  *why = Garbled(LogMalformed::kBadNumber, kv, t);
  return false;
}

// TCP flag words as the kernel writes them, to header bits.
uint8_t TcpFlagBit(std::string_view w) {
  if (w.size() != 3) return 0;
  if (w == "FIN") return 0x01;
  if (w == "SYN") return 0x02;
  if (w == "RST") return 0x04;
  if (w == "PSH") return 0x08;
  if (w == "ACK") return 0x10;
  if (w == "URG") return 0x20;
  if (w == "ECE") return 0x40;
  if (w == "CWR") return 0x80;
  return 0;
}

// After PROTO=TCP/UDP/UDPLITE of a first fragment: "SPT= DPT= ... URGP=" (TCP)
// or "SPT= DPT= LEN=" (UDP), or "INCOMPLETE [n bytes]".
bool ParseTransport(Tokens& t, Mode mode, uint8_t proto, PacketView* pv, LogMalformed* why) {
  const bool tcp = proto == kProtoTcp;
  bool have_spt = false, have_dpt = false, done = false;
  uint64_t spt = 0, dpt = 0, unused = 0;
  uint8_t flags = 0;
  std::string_view tok;
  while (!done && t.Next(&tok)) {
    KeyValue kv = Split(tok);
    if (!kv.has_eq) {
      if (tok == "INCOMPLETE" && !have_spt) {
        if (mode == Mode::kQuote) return true;  // the quote held less than the header
        *why = LogMalformed::kIncompleteHeader;
        return false;
      }
      if (tcp) flags |= TcpFlagBit(tok);
      continue;
    }
    if (kv.key == "SPT") {
      if (!ParseNumber(kv, t, 65535, &spt, why)) return false;
      have_spt = true;
    } else if (kv.key == "DPT") {
      if (!ParseNumber(kv, t, 65535, &dpt, why)) return false;
      have_dpt = true;
    } else if (tcp && kv.key == "URGP") {
      if (!ParseNumber(kv, t, 65535, &unused, why)) return false;
      done = true;
    } else if (!tcp && kv.key == "LEN" && have_dpt) {
      if (!ParseNumber(kv, t, 65535, &unused, why)) return false;
      done = true;
    }
  }
  if (!have_spt || !have_dpt) {
    if (mode == Mode::kQuote) return true;
    *why = done ? LogMalformed::kMissingField : LogMalformed::kTruncatedLine;
    return false;
  }
  if (mode == Mode::kOuter && !done) {
    *why = LogMalformed::kTruncatedLine;  // the header's last field never came
    return false;
  }
  if (proto == kProtoTcp || proto == kProtoUdp) {
    pv->has_ports = true;
    pv->source_port = static_cast<uint16_t>(spt);
    pv->destination_port = static_cast<uint16_t>(dpt);
  }
  if (tcp) pv->tcp_flags = flags;
  return true;
}

bool ParseIpFields(Tokens& t, Mode mode, int depth, PacketView* pv, bool* header_present,
                   LogMalformed* why);

bool IsIcmpError(bool v6, uint8_t type) {
  if (v6) return type >= 1 && type <= 4;
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// After PROTO=ICMP/ICMPv6 of the logged packet (first fragment): "TYPE= CODE="
// then "ID= SEQ=" for echo, or the quoted packet in brackets for errors.
bool ParseIcmp(Tokens& t, bool v6, int depth, PacketView* pv, LogMalformed* why) {
  bool have_type = false, have_code = false;
  uint64_t type = 0, code = 0;
  std::string_view tok;
  while (!(have_type && have_code) && t.Next(&tok)) {
    KeyValue kv = Split(tok);
    if (!kv.has_eq) {
      if (tok == "INCOMPLETE" && !have_type) {
        *why = LogMalformed::kIncompleteHeader;
        return false;
      }
      continue;
    }
    if (kv.key == "TYPE") {
      if (!ParseNumber(kv, t, 255, &type, why)) return false;
      have_type = true;
    } else if (kv.key == "CODE") {
      if (!ParseNumber(kv, t, 255, &code, why)) return false;
      have_code = true;
    }
  }
  if (!have_type || !have_code) {
    *why = !have_type && have_code ? LogMalformed::kMissingField : LogMalformed::kTruncatedLine;
    return false;
  }
  pv->is_icmp = true;
  pv->icmp_type = static_cast<uint8_t>(type);
  pv->icmp_code = static_cast<uint8_t>(code);
  const bool echo = v6 ? (type == 128 || type == 129) : (type == 0 || type == 8);
  if (echo) {
    bool have_id = false, have_seq = false;
    uint64_t id = 0, seq = 0;
    while (!have_seq && t.Next(&tok)) {
      KeyValue kv = Split(tok);
      if (kv.key == "ID" && kv.has_eq) {
        if (!ParseNumber(kv, t, 65535, &id, why)) return false;
        have_id = true;
      } else if (kv.key == "SEQ" && kv.has_eq) {
        if (!ParseNumber(kv, t, 65535, &seq, why)) return false;
        have_seq = true;
      }
    }
    if (!have_id || !have_seq) {
      *why = have_seq ? LogMalformed::kMissingField : LogMalformed::kTruncatedLine;
      return false;
    }
    pv->icmp_id = static_cast<uint16_t>(id);
    return true;
  }
  if (!IsIcmpError(v6, pv->icmp_type)) return true;
  pv->icmp_is_error = true;
  while (t.Next(&tok)) {
    if (tok == "INCOMPLETE") return true;  // too short to quote: no quote
    if (tok.front() != '[') continue;      // GATEWAY=, PARAMETER=, POINTER=...
    // The quote runs to the matching ']' (it may hold "INCOMPLETE [8 bytes]"
    // or, from other writers, a nested quote).
    std::string_view text = t.text();
    size_t open = t.last_start();
    size_t close = std::string_view::npos;
    int level = 0;
    for (size_t i = open; i < text.size(); ++i) {
      if (text[i] == '[') {
        ++level;
      } else if (text[i] == ']' && --level == 0) {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos) {
      *why = LogMalformed::kTruncatedLine;
      return false;
    }
    Tokens inner(text.substr(open + 1, close - open - 1));
    PacketView q;
    bool present = false;
    if (!ParseIpFields(inner, Mode::kQuote, depth + 1, &q, &present, why)) return false;
    if (present) {
      pv->quoted.present = true;
      pv->quoted.source = q.source;
      pv->quoted.destination = q.destination;
      pv->quoted.protocol = q.protocol;
      pv->quoted.has_ports = q.has_ports;
      pv->quoted.source_port = q.source_port;
      pv->quoted.destination_port = q.destination_port;
    }
    t.Seek(close + 1);
    return true;
  }
  return true;  // an error logged without its quote (e.g. ICMP parameter problem)
}

bool IsIpKey(std::string_view key) {
  return key == "DST" || key == "LEN" || key == "TTL" || key == "HOPLIMIT" || key == "PROTO";
}

// What the IP fields of a LOG line said, as they were read.
struct IpFields {
  bool have_src = false, have_dst = false, have_len = false, have_ttl = false, have_id = false;
  bool have_proto = false, src_v6 = false, dst_v6 = false;
  bool v6_frag = false, mf = false, stopped = false;
  uint64_t frag_offset = 0, len = 0, ttl = 0, id = 0;
  uint32_t v6_frag_id = 0;
  KeyValue proto_kv;
};

// A token without '=' after SRC=: a fragment flag or offset, an IPv6
// fragment id, or the kernel giving up on the header. False on a bad number.
bool ReadFlagToken(std::string_view tok, Tokens& t, IpFields* f, LogMalformed* why) {
  if (tok == "MF") {
    f->mf = true;
  } else if (StartsWith(tok, "FRAG:")) {
    KeyValue kv{tok.substr(0, 4), tok.substr(5), true};
    if (!ParseNumber(kv, t, f->src_v6 ? 65535 : 8191, &f->frag_offset, why)) return false;
    f->v6_frag = f->src_v6;
  } else if (tok == "INCOMPLETE" && f->v6_frag) {
    f->mf = true;  // IPv6 Fragment header with the M flag
  } else if (StartsWith(tok, "ID:") && f->v6_frag) {
    if (!ParseHex32(tok.substr(3), &f->v6_frag_id)) {
      *why = LogMalformed::kBadNumber;
      return false;
    }
  } else if (tok == "TRUNCATED" || tok == "Unknown") {
    f->stopped = true;  // the kernel could not walk the IPv6 extension headers
  }
  return true;  // DF, CE, OPT (...) and anything else
}

// A KEY=value token after SRC=. False on a bad value.
bool ReadIpKey(const KeyValue& kv, Tokens& t, PacketView* pv, IpFields* f, LogMalformed* why) {
  if (kv.key == "DST") {
    if (!ParseAddress(kv.value, &pv->destination, &f->dst_v6)) {
      *why = Garbled(LogMalformed::kBadAddress, kv, t);
      return false;
    }
    f->have_dst = true;
  } else if (kv.key == "LEN") {
    if (!ParseNumber(kv, t, 65535, &f->len, why)) return false;
    f->have_len = true;
  } else if (kv.key == "TTL" || kv.key == "HOPLIMIT") {
    if (!ParseNumber(kv, t, 255, &f->ttl, why)) return false;
    f->have_ttl = true;
  } else if (kv.key == "ID") {
    if (!ParseNumber(kv, t, 65535, &f->id, why)) return false;
    f->have_id = true;
  } else if (kv.key == "PROTO") {
    f->proto_kv = kv;
    f->have_proto = true;
  }
  return true;
}

// Reads tokens up to and including PROTO= (or the line's end, or where the
// kernel stopped). In kOuter mode, tokens before SRC= (MAC=, PHYSIN=) are
// skipped.
bool ScanIpFields(Tokens& t, PacketView* pv, IpFields* f, LogMalformed* why) {
  std::string_view tok;
  while (!f->have_proto && !f->stopped && t.Next(&tok)) {
    KeyValue kv = Split(tok);
    if (f->have_src) {
      if (!(kv.has_eq ? ReadIpKey(kv, t, pv, f, why) : ReadFlagToken(tok, t, f, why))) {
        return false;
      }
    } else if (!kv.has_eq) {
      f->stopped = tok == "TRUNCATED";
    } else if (kv.key == "SRC") {
      if (!ParseAddress(kv.value, &pv->source, &f->src_v6)) {
        *why = Garbled(LogMalformed::kBadAddress, kv, t);
        return false;
      }
      f->have_src = true;
    } else if (IsIpKey(kv.key)) {
      *why = LogMalformed::kMissingField;
      return false;
    }
  }
  return true;
}

// The protocol of PROTO=: a name the kernel writes, or a number.
bool ParseProtocol(const KeyValue& kv, Tokens& t, uint8_t* proto, LogMalformed* why) {
  static constexpr std::pair<std::string_view, uint8_t> kNames[] = {
      {"TCP", kProtoTcp},       {"UDP", kProtoUdp}, {"UDPLITE", 136}, {"ICMP", kProtoIcmp},
      {"ICMPv6", kProtoIcmpV6}, {"SCTP", 132},      {"AH", 51},       {"ESP", 50}};
  for (const auto& [name, number] : kNames) {
    if (kv.value == name) {
      *proto = number;
      return true;
    }
  }
  uint64_t n = 0;
  if (!ParseNumber(kv, t, 255, &n, why)) return false;
  *proto = static_cast<uint8_t>(n);
  return true;
}

// Whether the fields read make a header: addresses of one family, and (in
// the outer line) length, TTL and, for IPv4, the ID. Sets *why when not.
// *done: a quote that holds addresses only (nothing more to read).
bool CheckIpFields(const IpFields& f, bool outer, PacketView* pv, bool* header_present, bool* done,
                   LogMalformed* why) {
  *done = false;
  if (!f.have_src) {
    *done = !outer;  // "[TRUNCATED]" or an empty quote: no header
    if (*done) return true;
    *why = f.stopped ? LogMalformed::kIncompleteHeader : LogMalformed::kTruncatedLine;
    return false;
  }
  if (!f.have_dst) {
    *why = !f.have_proto && !f.stopped ? LogMalformed::kTruncatedLine : LogMalformed::kMissingField;
    return false;
  }
  if (f.src_v6 != f.dst_v6) {
    *why = LogMalformed::kBadAddress;
    return false;
  }
  pv->ip_version = f.src_v6 ? 6 : 4;
  if (!f.have_proto) {
    *header_present = *done = !outer;  // a quote: addresses known, the rest not logged
    if (*done) return true;
    *why = f.stopped ? LogMalformed::kIncompleteHeader : LogMalformed::kTruncatedLine;
    return false;
  }
  if (outer && (!f.have_len || !f.have_ttl || (!f.src_v6 && !f.have_id))) {
    *why = LogMalformed::kMissingField;
    return false;
  }
  return true;
}

// The IP part of a LOG line from "SRC=" on (in kOuter mode, tokens before the
// first IP field, such as MAC= and PHYSIN=, are skipped). *header_present is
// false for a quote the kernel could not read ("[TRUNCATED]").
bool ParseIpFields(Tokens& t, Mode mode, int depth, PacketView* pv, bool* header_present,
                   LogMalformed* why) {
  const bool outer = mode == Mode::kOuter;
  *header_present = false;
  IpFields f;
  if (!ScanIpFields(t, pv, &f, why)) return false;
  bool done = false;
  if (!CheckIpFields(f, outer, pv, header_present, &done, why)) return false;
  if (done) return true;
  pv->ip_length = static_cast<uint16_t>(f.len);
  pv->ttl = static_cast<uint8_t>(f.ttl);
  if (!f.src_v6 || f.v6_frag) {
    pv->is_fragment = f.mf || f.frag_offset != 0;
    pv->first_fragment = f.frag_offset == 0;
    pv->fragment_id = f.src_v6 ? f.v6_frag_id : static_cast<uint32_t>(f.id);
  }
  *header_present = true;
  if (!ParseProtocol(f.proto_kv, t, &pv->protocol, why)) return false;
  if (!pv->first_fragment) return true;  // no transport header in this fragment
  switch (pv->protocol) {
    case kProtoTcp:
    case kProtoUdp:
    case 136:
      return ParseTransport(t, mode, pv->protocol, pv, why);
    case kProtoIcmp:
    case kProtoIcmpV6:
      // A quote's own ICMP header does not matter to the QuotedPacket, and
      // quotes nest no deeper than the bracket match.
      if (!outer || depth > 0) return true;
      return ParseIcmp(t, pv->protocol == kProtoIcmpV6, depth, pv, why);
    default:
      return true;
  }
}

// ---- Timestamps ----

struct Stamp {
  bool classic = false;  // no year: the context gives it
  bool epoch = false;    // seconds since the epoch, UTC
  int year = 0;
  unsigned month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  bool has_offset = false;
  int64_t offset_seconds = 0;
  int64_t epoch_seconds = 0;
};

class Scan {
 public:
  explicit Scan(std::string_view s) : s_(s) {}
  bool Char(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  // Exactly n digits.
  bool Digits(int n, int* v) {
    int r = 0;
    for (int k = 0; k < n; ++k) {
      if (i_ >= s_.size() || !IsDigit(s_[i_])) return false;
      r = r * 10 + (s_[i_++] - '0');
    }
    *v = r;
    return true;
  }
  // 1..max digits.
  bool SomeDigits(int max, int64_t* v, int* count) {
    int64_t r = 0;
    int n = 0;
    while (i_ < s_.size() && IsDigit(s_[i_])) {
      if (n < max) r = r * 10 + (s_[i_] - '0');
      ++n;
      ++i_;
    }
    *v = r;
    *count = n;
    return n > 0;
  }
  bool Month(unsigned* m) {
    static constexpr char kNames[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (i_ + 3 > s_.size()) return false;
    for (unsigned k = 0; k < 12; ++k) {
      if (std::memcmp(s_.data() + i_, kNames + 3 * k, 3) == 0) {
        *m = k + 1;
        i_ += 3;
        return true;
      }
    }
    return false;
  }
  size_t pos() const { return i_; }
  void Skip(size_t n) { i_ += n; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// "HH:MM:SS" and an optional fraction (digits past the ninth are dropped).
bool ParseClock(Scan& sc, Stamp* st) {
  if (!sc.Digits(2, &st->hour) || !sc.Char(':') || !sc.Digits(2, &st->minute) || !sc.Char(':') ||
      !sc.Digits(2, &st->second)) {
    return false;
  }
  if (sc.Char('.') || sc.Char(',')) {
    int64_t frac = 0;
    int n = 0;
    if (!sc.SomeDigits(9, &frac, &n)) return false;
    for (int k = n; k < 9; ++k) frac *= 10;
    st->nanos = frac;
  }
  return st->hour < 24 && st->minute < 60 && st->second <= 60;
}

// "May  3 14:02:11[.frac]" (syslog, journalctl -o short / short-precise).
bool ParseClassic(Scan& sc, Stamp* st) {
  if (!sc.Month(&st->month) || !sc.Char(' ')) return false;
  sc.Char(' ');  // space-padded day
  int64_t day = 0;
  int n = 0;
  if (!sc.SomeDigits(2, &day, &n) || n > 2 || !sc.Char(' ')) return false;
  st->day = static_cast<unsigned>(day);
  st->classic = true;
  return ParseClock(sc, st);
}

// "2024-05-03T14:02:11[.frac][Z|+09:00|+0900|+09]" (rsyslog RFC 3339,
// journalctl -o short-iso / short-iso-precise).
bool ParseIso(Scan& sc, Stamp* st) {
  int month = 0, day = 0;
  if (!sc.Digits(4, &st->year) || !sc.Char('-') || !sc.Digits(2, &month) || !sc.Char('-') ||
      !sc.Digits(2, &day) || !(sc.Char('T') || sc.Char(' '))) {
    return false;
  }
  st->month = static_cast<unsigned>(month);
  st->day = static_cast<unsigned>(day);
  if (!ParseClock(sc, st)) return false;
  if (sc.Char('Z')) {
    st->has_offset = true;
    return true;
  }
  char sign = sc.Peek();
  if (sign != '+' && sign != '-') return true;
  sc.Skip(1);
  int oh = 0, om = 0;
  if (!sc.Digits(2, &oh)) return false;
  if (sc.Char(':')) {
    if (!sc.Digits(2, &om)) return false;
  } else if (IsDigit(sc.Peek())) {
    if (!sc.Digits(2, &om)) return false;
  }
  if (oh > 23 || om > 59) return false;
  st->has_offset = true;
  st->offset_seconds = (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  return true;
}

// The stamp at the start of a line, followed by a space. Also: dmesg -T
// ("[Fri May  3 14:02:11 2024]"), journalctl -o short-unix ("1714712531.123456"),
// and an RFC 5424 "<PRI>1 " before an ISO stamp.
bool ParseStamp(std::string_view line, Stamp* st) {
  Scan sc(line);
  if (sc.Char('<')) {
    int64_t pri = 0;
    int n = 0;
    if (!sc.SomeDigits(3, &pri, &n) || !sc.Char('>')) return false;
    if (sc.Char('1')) {
      if (!sc.Char(' ')) return false;
    }
  }
  const char c = sc.Peek();
  bool ok = false;
  if (IsDigit(c)) {
    Scan probe = sc;
    int64_t secs = 0;
    int n = 0;
    probe.SomeDigits(12, &secs, &n);
    if (n >= 9 && n <= 11 && probe.Char('.')) {
      int64_t frac = 0;
      int fn = 0;
      if (!probe.SomeDigits(9, &frac, &fn)) return false;
      for (int k = fn; k < 9; ++k) frac *= 10;
      st->epoch = true;
      st->epoch_seconds = secs;
      st->nanos = frac;
      sc = probe;
      ok = true;
    } else {
      ok = ParseIso(sc, st);
    }
  } else if (c == '[') {
    sc.Skip(1);
    // dmesg -T: "[Www Mon DD HH:MM:SS YYYY]"; a bare "[12345.678901]" fails here.
    for (int k = 0; k < 3; ++k) {
      char w = sc.Peek();
      if (!((w >= 'A' && w <= 'Z') || (w >= 'a' && w <= 'z'))) return false;
      sc.Skip(1);
    }
    if (!sc.Char(' ') || !ParseClassic(sc, st) || !sc.Char(' ') || !sc.Digits(4, &st->year) ||
        !sc.Char(']')) {
      return false;
    }
    st->classic = false;
    ok = true;
  } else {
    ok = ParseClassic(sc, st);
  }
  return ok && sc.Char(' ');
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned MonthDays(int y, unsigned m) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2200;

bool StampToUtcNs(Stamp& st, ParseContext* ctx, int64_t* ns) {
  if (st.epoch) {
    *ns = st.epoch_seconds * kNanosPerSecond + st.nanos;
    return true;
  }
  if (st.month < 1 || st.month > 12) return false;
  if (st.classic) {
    ClassicYear& cy = ctx->classic;
    if (cy.from_mtime && !cy.used && st.month > cy.mtime_month) {
      // The first stamp is later in the year than the file's last write: the
      // file began the year before (e.g. December lines, mtime in January).
      --cy.year;
    }
    if (cy.track_rollover && cy.last_month != 0 && st.month + 6 <= cy.last_month) ++cy.year;
    cy.last_month = st.month;
    cy.used = true;
    st.year = cy.year;
  }
  if (st.year < kMinYear || st.year > kMaxYear) return false;
  if (st.day < 1 || st.day > MonthDays(st.year, st.month)) return false;
  int64_t days = DaysFromCivil({st.year, st.month, st.day});
  int64_t local = days * 86400 + st.hour * 3600 + st.minute * 60 + st.second;
  int64_t utc = st.has_offset ? local - st.offset_seconds : ctx->local_time->ToUtcSeconds(local);
  *ns = utc * kNanosPerSecond + st.nanos;
  return true;
}

// Finds "IN=<iface> OUT=<iface>": the start of a netfilter LOG field list.
// The log prefix before IN= may be anything, including no separating space.
bool FindFieldList(std::string_view line, std::string_view* in, std::string_view* out,
                   size_t* rest) {
  size_t from = 0;
  for (;;) {
    size_t p = line.find(" OUT=", from);
    if (p == std::string_view::npos) return false;
    size_t j = p;
    while (j > 0 && line[j - 1] != ' ' && line[j - 1] != '=') --j;
    if (j >= 3 && std::memcmp(line.data() + j - 3, "IN=", 3) == 0) {
      *in = line.substr(j, p - j);
      size_t o = p + 5;
      size_t e = o;
      while (e < line.size() && line[e] != ' ') ++e;
      *out = line.substr(o, e - o);
      *rest = e;
      return true;
    }
    from = p + 1;
  }
}

}  // namespace

LogLineResult ParseNetfilterLineIn(std::string_view line, ParseContext* ctx, LoggedPacket* out,
                                   LogMalformed* why) {
  *out = LoggedPacket{};
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  // Runs of NUL bytes (a syslog file after a crash) before the stamp.
  while (!line.empty() && line.front() == '\0') line.remove_prefix(1);

  std::string_view in_iface, out_iface;
  size_t rest = 0;
  if (!FindFieldList(line, &in_iface, &out_iface, &rest)) {
    if (ctx->life != nullptr) {
      // Another program's line: no packet, but the host was logging.
      Stamp st;
      int64_t t = 0;
      if (ParseStamp(line, &st) && StampToUtcNs(st, ctx, &t)) ctx->life->Observe(t);
    }
    return LogLineResult::kNotNetfilter;
  }

  // nftables logs ARP with the same IN=/OUT= head ("ARP HTYPE=1 PTYPE=0x0800
  // ..."): a firewall line, but not an IP packet.
  if (line.find(" ARP HTYPE=", rest) != std::string_view::npos &&
      line.find(" SRC=", rest) == std::string_view::npos) {
    return LogLineResult::kNotNetfilter;
  }
  Stamp st;
  if (!ParseStamp(line, &st) || !StampToUtcNs(st, ctx, &out->time_ns)) {
    *why = LogMalformed::kBadTimestamp;
    return LogLineResult::kMalformed;
  }
  if (ctx->life != nullptr) ctx->life->Observe(out->time_ns);
  if (in_iface.empty()) {
    out->direction = LogDirection::kOutbound;
  } else {
    out->direction = out_iface.empty() ? LogDirection::kInbound : LogDirection::kForward;
  }
  Tokens t(line.substr(rest));
  bool present = false;
  if (!ParseIpFields(t, Mode::kOuter, 0, &out->packet, &present, why)) {
    return LogLineResult::kMalformed;
  }
  return LogLineResult::kPacket;
}

}  // namespace scanscope::netfilter
