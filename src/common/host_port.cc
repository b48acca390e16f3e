#include "common/host_port.h"

#include <fmt/format.h>

#include "common/ip_address.h"

namespace scanscope {

Result<HostPort> ParseHostPort(std::string_view text, int default_port) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(
        fmt::format("\"{}\": {} (want HOST:PORT or [IPv6]:PORT)", text, why));
  };
  HostPort out;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("no closing ]");
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("text after ]");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = text.rfind(':');
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      if (text.substr(0, colon).find(':') != std::string_view::npos) {
        return bad("an IPv6 address must be in brackets");
      }
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty()) return bad("no host");
  if (!has_port) {
    if (default_port < 0) return bad("no port");
    out.port = default_port;
    return out;
  }
  if (port_text.empty() || port_text.size() > 5) return bad("bad port");
  int p = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return bad("bad port");
    p = p * 10 + (c - '0');
  }
  if (p > 65535) return bad("port above 65535");
  out.port = p;
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  auto a = IpAddress::Parse(host);
  if (!a) return false;
  if (a->IsV4()) return (a->V4() >> 24) == 127;
  return *a == *IpAddress::Parse("::1");
}

}  // namespace scanscope
