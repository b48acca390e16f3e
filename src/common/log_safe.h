#pragma once
// Values that come from outside (a request's path, a batch id, a point name,
// a file name) as they may go into a log line: control bytes and backslashes
// escaped as \xNN, so that a newline cannot forge a line, and cut at
// `max_bytes` with the count of what was left out.

#include <cstddef>
#include <string>
#include <string_view>

namespace scanscope {

std::string LogSafe(std::string_view text, size_t max_bytes = 256);

}  // namespace scanscope
