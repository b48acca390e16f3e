#pragma once
// The sensor: live capture on an interface (or a followed firewall log) ->
// decode -> classify (as `ingest` does, so live and file give the same
// accesses) -> the durable spool -> the shipper -> the collector.
// docs/sensor.md describes its operation, files, counters and privileges.
//
// Threads: the caller's thread captures, classifies, appends and seals; the
// shipper's thread sends. RunSensorUntil returns when *stop turns true (the
// caller's signal handler sets it): capture stops, the open segment is
// sealed, shipping goes on for at most shutdown_grace, and what is not
// shipped stays in the spool for the next start.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "common/ip_address.h"
#include "common/status.h"
#include "common/time_zone.h"
#include "sensor/shipper.h"

namespace scanscope {

struct SensorOptions {
  std::string point;
  PrefixSet watched;
  std::string interface;      // live capture on this interface, or
  std::string netfilter_log;  // follow this firewall log
  // Without a cursor in the spool (first start), read the log from its
  // start instead of its end (the default: only lines written from now on).
  bool log_from_start = false;
  TimeZone log_zone = TimeZone::Utc();  // zone of log stamps without an offset
  std::string spool_dir;
  uint64_t spool_max_bytes = uint64_t{1} << 30;
  uint64_t segment_bytes = uint64_t{1} << 20;  // keep below the collector's --max-batch-bytes
  int seal_seconds = 5;
  std::string user;  // after opening the capture, run as this user (setgid/setuid)
  int capture_buffer_bytes = 32 << 20;
  std::chrono::milliseconds report_interval{5000};
  std::chrono::milliseconds shutdown_grace{5000};
  std::chrono::milliseconds flush_interval{200};  // longest an access waits before its append
  bool spool_sync = true;
};

// Runs the sensor until `stop` is true. Returns OK after a clean stop; an
// error when it cannot start (capture, spool, privileges) or the spool fails.
// `sender` must outlive the call; it is used from the shipper's thread only.
Status RunSensorUntil(const SensorOptions& options, BatchSender* sender,
                      const std::atomic<bool>& stop);

}  // namespace scanscope
