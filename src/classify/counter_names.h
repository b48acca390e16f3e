#pragma once
// The names of what was read but not counted as an access, one table for
// every reader: `ingest`'s summary and the ledger, the sensor's status
// report, the collector's view of it. "replies_excluded",
// "malformed.truncated_ipv4_header", "log.not_netfilter", ...

#include <cstdint>
#include <functional>
#include <string_view>

#include "capture/netfilter_log.h"
#include "classify/classifier.h"
#include "decode/decoder.h"

namespace scanscope {

using CounterSink = std::function<void(std::string_view name, uint64_t value)>;

// Calls `add` for every counter of classify, decode and the log parser, in a
// stable order, zeros included. fragments_with_port_type_of_first is not
// among them: those fragments are accesses (the caller shows them as such).
void ForEachNotCountedCounter(const ClassifyCounters& classify, const DecodeCounters& decode,
                              const LogCounters& log, const CounterSink& add);

}  // namespace scanscope
