#include "sensor/sensor.h"

#include <dirent.h>
#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "capture/netfilter_parse.h"
#include "classify/classifier.h"
#include "classify/counter_names.h"
#include "common/clock.h"
#include "common/log_safe.h"
#include "decode/decoder.h"
#include "sensor/live_capture.h"
#include "sensor/log_follower.h"
#include "spool/spool.h"

namespace scanscope {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kFlushRecords = 4096;

// What the capture thread counted, copied for the shipper's status reports.
struct CaptureSnapshot {
  uint64_t packets_seen = 0;  // frames captured, or log lines read
  uint64_t accesses = 0;      // accesses classified (appended or dropped)
  int64_t newest_access_ns = 0;
  CaptureStats pcap;
  DecodeCounters decode;
  ClassifyCounters classify;
  LogCounters log;
  FollowCounters follow;
  uint64_t spool_error_dropped = 0;  // records lost to spool write errors
};

// The named counters of the status report (the names of `ingest`'s summary).
nlohmann::json NamedCounters(const CaptureSnapshot& c) {
  nlohmann::json j = nlohmann::json::object();
  auto add = [&](const std::string& name, uint64_t v) {
    if (v != 0) j[name] = v;
  };
  ForEachNotCountedCounter(c.classify, c.decode, c.log,
                           [&](std::string_view name, uint64_t v) { add(std::string(name), v); });
  add("fragments_with_port_type_of_first", c.classify.fragments_with_port_type_of_first);
  add("log.rotations", c.follow.rotations);
  add("log.truncations", c.follow.truncations);
  add("log.resumed_rotated", c.follow.resumed_rotated);
  return j;
}

// Drops root for `user` (its groups included, so a log readable by group
// adm stays readable). Checks that root cannot be regained.
Status DropPrivileges(const std::string& user, uid_t uid, gid_t gid) {
  if (::initgroups(user.c_str(), gid) != 0)
    return Status::IoError(std::string("initgroups: ") + std::strerror(errno));
  if (::setgid(gid) != 0) return Status::IoError(std::string("setgid: ") + std::strerror(errno));
  if (::setuid(uid) != 0) return Status::IoError(std::string("setuid: ") + std::strerror(errno));
  if (uid != 0 && ::setuid(0) == 0) return Status::Internal("could regain root after dropping it");
  return Status::Ok();
}

// The capture side: decode + classify into a buffer of pending accesses that
// is appended to the spool in blocks.
class AccessPipeline : public LiveCapture::Handler {
 public:
  AccessPipeline(const SensorOptions& options, Spool* spool)
      : spool_(spool), classifier_(ClassifyOptions{.watched = options.watched}) {
    pending_.reserve(kFlushRecords);
  }

  void set_link_type(LinkType t) { link_type_ = t; }

  void OnFrame(int64_t time_ns, std::span<const uint8_t> frame) override {
    ++snap_.packets_seen;
    DecodeResult d = DecodeFrame(link_type_, frame, &view_);
    snap_.decode.Add(d);
    if (d == DecodeResult::kOk &&
        classifier_.Classify(time_ns, view_, &record_) == ClassifyResult::kAccess) {
      Add(record_);
    }
  }

  void OnLogLine(std::string_view line, netfilter::ParseContext* ctx) {
    ++snap_.packets_seen;
    ++snap_.log.lines;
    LogMalformed why = LogMalformed::kTruncatedLine;
    LogLineResult r = netfilter::ParseNetfilterLineIn(line, ctx, &logged_, &why);
    switch (r) {
      case LogLineResult::kPacket:
        ++snap_.log.packets;
        if (classifier_.ClassifyLogged(logged_, &record_) == ClassifyResult::kAccess) Add(record_);
        break;
      case LogLineResult::kNotNetfilter:
        ++snap_.log.not_netfilter;
        break;
      case LogLineResult::kMalformed:
        ++snap_.log.malformed[static_cast<size_t>(why)];
        break;
    }
  }

  bool full() const { return pending_.size() >= kFlushRecords; }

  // Appends what is pending as one block, with the input's position.
  Status Flush(std::string_view cursor) {
    if (pending_.empty()) return Status::Ok();
    Status s = spool_->Append(pending_, cursor);
    if (!s.ok()) snap_.spool_error_dropped += pending_.size();
    pending_.clear();
    return s;
  }

  // Copies the counters for the status reports.
  void Publish(const CaptureStats* pcap, const FollowCounters* follow) {
    snap_.classify = classifier_.counters();
    if (pcap != nullptr) snap_.pcap = *pcap;
    if (follow != nullptr) snap_.follow = *follow;
    std::lock_guard lock(mu_);
    published_ = snap_;
  }
  CaptureSnapshot Published() const {
    std::lock_guard lock(mu_);
    return published_;
  }

 private:
  void Add(const AccessRecord& r) {
    pending_.push_back(r);
    ++snap_.accesses;
    if (r.time_ns > snap_.newest_access_ns) snap_.newest_access_ns = r.time_ns;
  }

  Spool* spool_;
  Classifier classifier_;
  LinkType link_type_ = LinkType::kEthernet;
  PacketView view_;
  LoggedPacket logged_;
  AccessRecord record_;
  std::vector<AccessRecord> pending_;
  CaptureSnapshot snap_;
  mutable std::mutex mu_;
  CaptureSnapshot published_;
};

std::string StatusJson(const SensorOptions& options, const std::string& spool_id,
                       int64_t started_ns, const CaptureSnapshot& c, const SpoolStats& sp,
                       const ShipperCounters& sh) {
  nlohmann::json j;
  j["point"] = options.point;
  j["source"] = options.interface.empty() ? "netfilter_log" : "interface";
  j["input"] = options.interface.empty() ? options.netfilter_log : options.interface;
  j["spool_id"] = spool_id;
  j["started_at_ns"] = started_ns;
  j["sent_at_ns"] = NowNs();
  j["newest_access_ns"] = c.newest_access_ns;
  j["spool_bytes"] = sp.bytes;
  j["spool_segments"] = sp.segments;
  j["spool_max_bytes"] = options.spool_max_bytes;
  j["packets_seen"] = c.packets_seen;
  j["accesses"] = c.accesses;
  j["capture_received"] = c.pcap.received;
  j["capture_drops"] = c.pcap.dropped;
  j["interface_drops"] = c.pcap.interface_dropped;
  j["spool_full_dropped"] = sp.counters.full_dropped_total;  // over the spool's life
  j["spool_full_dropped_this_run"] = sp.counters.full_dropped;
  j["spool_error_dropped"] = c.spool_error_dropped;
  j["spool_corrupt_blocks"] = sp.counters.corrupt_blocks;
  j["spool_corrupt_bytes"] = sp.counters.corrupt_bytes;
  j["spool_recovered_torn_bytes"] = sp.counters.recovered_torn_bytes;
  j["shipped_batches"] = sh.shipped_batches;
  j["shipped_records"] = sh.shipped_records;
  j["ship_failures"] = sh.ship_failures;
  j["rejected_batches"] = sh.rejected_batches;
  j["counters"] = NamedCounters(c);
  return j.dump();
}

// Gives up every capability (effective, permitted, inheritable, ambient):
// called once the capture is open, which is all they were for, whether the
// sensor started as root or with capabilities from systemd.
Status DropCapabilities() {
  (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);  // EINVAL before Linux 4.3
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) {
    return Status::IoError(std::string("capset: ") + std::strerror(errno));
  }
  return Status::Ok();
}

// The user to become: its uid and gid, the spool made theirs while still
// root. nullopt when no user was asked for.
Result<std::optional<std::pair<uid_t, gid_t>>> PrepareUser(const SensorOptions& options) {
  if (options.user.empty()) return std::optional<std::pair<uid_t, gid_t>>();
  passwd* pw = ::getpwnam(options.user.c_str());
  if (pw == nullptr) return Status::InvalidArgument("sensor: no such user '" + options.user + "'");
  std::vector<std::string> refused;
  SCANSCOPE_RETURN_IF_ERROR(GiveSpoolTo(options.spool_dir, pw->pw_uid, pw->pw_gid, &refused));
  for (const std::string& path : refused) {
    spdlog::warn(
        "sensor: {} is not the spool's (a link, or not a file): left alone, not given "
        "to user {}",
        LogSafe(path), options.user);
  }
  return std::optional<std::pair<uid_t, gid_t>>(std::pair{pw->pw_uid, pw->pw_gid});
}

Result<std::unique_ptr<LiveCapture>> OpenCapture(const SensorOptions& options) {
  LiveCaptureOptions co;
  co.interface = options.interface;
  co.filter = CaptureFilterFor(options.watched);
  co.fallback_filter = CaptureFilterFor(options.watched, false);
  co.buffer_bytes = options.capture_buffer_bytes;
  return LiveCapture::Open(co);
}

// The spool, with what a previous run left in it.
Result<std::unique_ptr<Spool>> OpenSpool(const SensorOptions& options) {
  SpoolOptions so;
  so.dir = options.spool_dir;
  so.max_bytes = options.spool_max_bytes;
  so.segment_bytes = options.segment_bytes;
  so.seal_after_ns = int64_t{options.seal_seconds} * 1'000'000'000;
  so.sync = options.spool_sync;
  auto spool = Spool::Open(so);
  if (!spool.ok()) return spool.status();
  SpoolStats st = (*spool)->stats();
  spdlog::info("sensor: spool {} (id {}): {} sealed segment(s), {} bytes waiting to ship",
               options.spool_dir, (*spool)->id(), st.sealed, st.bytes);
  if (st.counters.recovered_segments > 0) {
    spdlog::warn(
        "sensor: spool recovered {} unsealed segment(s) after a crash, {} torn bytes "
        "cut off",
        st.counters.recovered_segments, st.counters.recovered_torn_bytes);
  }
  return spool;
}

// Classic stamps have no year: this year, or last year for a stamp in a
// later month than now (read just after new year).
netfilter::ParseContext LiveLogContext(netfilter::LocalTimeConverter* local_time) {
  netfilter::ParseContext ctx;
  ctx.local_time = local_time;
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  ctx.classic.year = tm.tm_year + 1900;
  ctx.classic.mtime_month = static_cast<unsigned>(tm.tm_mon + 1);
  ctx.classic.from_mtime = true;
  ctx.classic.track_rollover = true;
  return ctx;
}

void LogIfFailed(const Status& s, const char* what) {
  if (!s.ok()) spdlog::error("sensor: {}: {}", what, s.ToString());
}

// One run of the sensor past its setup: the input read into the spool, the
// shipper sending what is sealed, until told to stop.
class SensorRun {
 public:
  SensorRun(const SensorOptions& options, Spool* spool, BatchSender* sender, int64_t started_ns)
      : options_(options),
        spool_(*spool),
        pipeline_(options, spool),
        shipper_(spool, sender, ShipperOptionsFor(options),
                 [this, started_ns](const ShipperCounters& sh) {
                   return StatusJson(options_, spool_.id(), started_ns, pipeline_.Published(),
                                     spool_.stats(), sh);
                 }),
        sealed_before_(spool->stats().counters.sealed_segments) {
    shipper_.Start();
  }

  // Captures until `stop`; the error that ended it early, if any.
  Status Capture(LiveCapture& capture, const std::atomic<bool>& stop) {
    pipeline_.set_link_type(capture.link_type());
    spdlog::info("sensor: capturing on {} (link type {}, filter: {})", options_.interface,
                 static_cast<int>(capture.link_type()), capture.filter());
    CaptureStats pcap_stats;
    Status failure;
    while (!stop.load()) {
      auto n = capture.Poll(100, pipeline_);
      if (!n.ok()) {
        failure = n.status();
        break;
      }
      Housekeeping({});
      if (!PublishDue()) continue;
      auto st = capture.Stats();
      if (st.ok()) {
        if (st->dropped > pcap_stats.dropped) {
          spdlog::warn("sensor: capture dropped {} packet(s) (buffer full; {} in all)",
                       st->dropped - pcap_stats.dropped, st->dropped);
        }
        pcap_stats = *st;
      }
      pipeline_.Publish(&pcap_stats, nullptr);
      LogSpoolFull();
    }
    auto st = capture.Stats();
    if (st.ok()) pcap_stats = *st;
    pipeline_.Publish(&pcap_stats, nullptr);
    return failure;
  }

  // Follows the netfilter log until `stop`, resuming where the spool's
  // cursor says; the error that ended it early, if any.
  Status Follow(const std::atomic<bool>& stop) {
    std::optional<FollowCursor> resume;
    if (std::string c = spool_.cursor(); !c.empty()) {
      resume = FollowCursor::Decode(c);
      if (!resume) spdlog::warn("sensor: spool cursor '{}' not understood; starting afresh", c);
    }
    // A cursor naming no file (inode 0) makes the follower start at the
    // path's start.
    if (!resume && options_.log_from_start) resume = FollowCursor{};
    LogFollower follower(options_.netfilter_log, resume, kMaxLogLineBytes);
    netfilter::LocalTimeConverter local_time(options_.log_zone);
    netfilter::ParseContext ctx = LiveLogContext(&local_time);
    Status failure;
    bool announced = false;
    while (!stop.load()) {
      auto n = follower.Poll([&](std::string_view line, const FollowCursor& after) {
        pipeline_.OnLogLine(line, &ctx);
        if (pipeline_.full()) {
          LogIfFailed(pipeline_.Flush(after.Encode()), "spool append failed, block dropped");
        }
      });
      if (!n.ok()) {
        failure = n.status();
        break;
      }
      if (!announced) {
        announced = true;
        AnnounceFollowing(resume);
      }
      Housekeeping(follower.cursor().Encode());
      if (PublishDue()) {
        pipeline_.Publish(nullptr, &follower.counters());
        LogSpoolFull();
      }
      if (*n == 0) ::poll(nullptr, 0, 100);  // nothing new: look again in 100 ms
    }
    LogIfFailed(pipeline_.Flush(follower.cursor().Encode()), "spool append failed, block dropped");
    pipeline_.Publish(nullptr, &follower.counters());
    return failure;
  }

  // What is captured goes to the spool, sealed; ship for a while.
  void Finish() {
    LogIfFailed(pipeline_.Flush({}), "spool append failed, block dropped");
    LogIfFailed(spool_.Seal(), "sealing the last segment failed");
    LogSpoolFull();
    spdlog::info("sensor: stopping; shipping what is sealed for at most {} ms",
                 options_.shutdown_grace.count());
    bool emptied = shipper_.Stop(Clock::now() + options_.shutdown_grace);
    CaptureSnapshot c = pipeline_.Published();
    SpoolStats sp = spool_.stats();
    ShipperCounters sh = shipper_.counters();
    spdlog::info(
        "sensor: stopped: {} packets, {} accesses, {} batches shipped, {} ship failures, "
        "{} capture drops, {} spool-full drops; {} ({} segment(s), {} bytes left in the spool)",
        c.packets_seen, c.accesses, sh.shipped_batches, sh.ship_failures, c.pcap.dropped,
        sp.counters.full_dropped, emptied ? "all shipped" : "not all shipped", sp.segments,
        sp.bytes);
  }

 private:
  static ShipperOptions ShipperOptionsFor(const SensorOptions& options) {
    ShipperOptions sho;
    sho.point = options.point;
    sho.report_interval = options.report_interval;
    return sho;
  }

  // Appends what is pending when due, seals a segment when due, and wakes
  // the shipper when a segment was sealed.
  void Housekeeping(std::string_view cursor) {
    auto now = Clock::now();
    if (pipeline_.full() || now - last_flush_ >= options_.flush_interval) {
      LogIfFailed(pipeline_.Flush(cursor), "spool append failed, block dropped");
      last_flush_ = now;
    }
    LogIfFailed(spool_.MaybeSeal(), "sealing a spool segment failed");
    uint64_t sealed = spool_.stats().counters.sealed_segments;
    if (sealed != sealed_before_) {
      sealed_before_ = sealed;
      shipper_.Wake();
    }
  }

  // Whether the counters are due to be published (every 500 ms).
  bool PublishDue() {
    if (Clock::now() - last_publish_ < std::chrono::milliseconds(500)) return false;
    last_publish_ = Clock::now();
    return true;
  }

  void LogSpoolFull() {
    uint64_t dropped = spool_.stats().counters.full_dropped;
    if (dropped <= full_logged_) return;
    if (full_logged_ == 0) {
      spdlog::warn(
          "sensor: spool full ({} bytes): dropping new accesses, counted as "
          "spool_full_dropped",
          options_.spool_max_bytes);
    }
    full_logged_ = dropped;
  }

  void AnnounceFollowing(const std::optional<FollowCursor>& resume) const {
    spdlog::info("sensor: following {} ({})", options_.netfilter_log,
                 resume && resume->inode != 0 ? fmt::format("resuming at offset {} of inode {}",
                                                            resume->offset, resume->inode)
                 : resume                     ? std::string("from its start")
                                              : std::string("from its end: new lines only"));
  }

  const SensorOptions& options_;
  Spool& spool_;
  AccessPipeline pipeline_;
  Shipper shipper_;
  uint64_t sealed_before_;
  uint64_t full_logged_ = 0;
  Clock::time_point last_flush_ = Clock::now();
  Clock::time_point last_publish_;
};

}  // namespace

Status RunSensorUntil(const SensorOptions& options, BatchSender* sender,
                      const std::atomic<bool>& stop) {
  if (options.point.empty()) return Status::InvalidArgument("sensor: no point name");
  if (options.watched.empty()) return Status::InvalidArgument("sensor: no watched addresses");
  if (options.interface.empty() == options.netfilter_log.empty()) {
    return Status::InvalidArgument("sensor: give exactly one of an interface or a netfilter log");
  }
  const int64_t started_ns = NowNs();
  // Who to become and the capture while still root; then no more privileges
  // than that user has.
  auto drop_to = PrepareUser(options);
  if (!drop_to.ok()) return drop_to.status();
  std::unique_ptr<LiveCapture> capture;
  if (!options.interface.empty()) {
    auto c = OpenCapture(options);
    if (!c.ok()) return c.status();
    capture = std::move(*c);
  }
  if (*drop_to) {
    auto [uid, gid] = **drop_to;
    SCANSCOPE_RETURN_IF_ERROR(DropPrivileges(options.user, uid, gid));
    spdlog::info("sensor: running as user {} (uid {}, gid {})", options.user, uid, gid);
  }
  SCANSCOPE_RETURN_IF_ERROR(DropCapabilities());
  auto spool = OpenSpool(options);
  if (!spool.ok()) return spool.status();
  SensorRun run(options, spool->get(), sender, started_ns);
  Status failure = capture ? run.Capture(*capture, stop) : run.Follow(stop);
  run.Finish();
  return failure;
}

}  // namespace scanscope
