#include "classify/counter_names.h"

#include <string>

namespace scanscope {

void ForEachNotCountedCounter(const ClassifyCounters& classify, const DecodeCounters& decode,
                              const LogCounters& log, const CounterSink& add) {
  for (size_t i = 0; i < static_cast<size_t>(ClassifyResult::kCount); ++i) {
    auto r = static_cast<ClassifyResult>(i);
    if (r != ClassifyResult::kAccess) add(ClassifyResultName(r), classify.by_result[i]);
  }
  add("fragments_without_first", classify.fragments_without_first);
  add("reply_flows_evicted", classify.reply_flows_evicted);
  add("fragments_evicted", classify.fragments_evicted);
  add("not_ip", decode.Get(DecodeResult::kNotIp));
  add("unsupported_link_type", decode.Get(DecodeResult::kUnsupportedLinkType));
  for (size_t i = 0; i < static_cast<size_t>(DecodeResult::kCount); ++i) {
    auto r = static_cast<DecodeResult>(i);
    if (r == DecodeResult::kOk || r == DecodeResult::kNotIp ||
        r == DecodeResult::kUnsupportedLinkType) {
      continue;
    }
    add("malformed." + std::string(DecodeResultName(r)), decode.by_result[i]);
  }
  add("log.not_netfilter", log.not_netfilter);
  for (size_t i = 0; i < static_cast<size_t>(LogMalformed::kCount); ++i) {
    add("malformed.log_" + std::string(LogMalformedName(static_cast<LogMalformed>(i))),
        log.malformed[i]);
  }
}

}  // namespace scanscope
