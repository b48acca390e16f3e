#pragma once
// "HOST:PORT" as the command line, the config files and URLs write it.

#include <string>
#include <string_view>

#include "common/status.h"

namespace scanscope {

struct HostPort {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 0;      // 0..65535
};

// Parses "HOST:PORT", "[V6]:PORT", and (when default_port >= 0) "HOST" or
// "[V6]" alone, which take `default_port`. The port is decimal, 0 to 65535;
// callers that cannot use port 0 say so themselves. InvalidArgument names
// what is wrong with `text`.
Result<HostPort> ParseHostPort(std::string_view text, int default_port = -1);

// "localhost", 127.0.0.0/8 or ::1: where plain HTTP is allowed (tests).
bool IsLoopbackHost(std::string_view host);

}  // namespace scanscope
