#pragma once
// The sensor's durable spool: accesses wait here, on disk, until the
// collector has acknowledged them. docs/sensor.md has the format, the fsync
// policy and the full policy; in short:
//
//   DIR/spool-id             random 128-bit id, created once with the spool
//   DIR/state                next segment number, the newest cursor and the
//                            drops of the full policy, rewritten (tmp + fsync +
//                            rename + dir fsync) at each seal, and at most once a
//                            second while drops grow
//   DIR/SEQ.open             the one segment being appended to (SEQ: 16 hex digits)
//   DIR/SEQ.seg              sealed segments: complete, fsync'ed, never changed again
//
// Append writes one checksummed block with one write(2): once it returns OK
// the block survives kill -9 of the process (it is in the page cache). Seal
// fsyncs the segment, renames it to .seg and fsyncs the directory: from then
// on it survives power loss too. So power loss can cost at most the open
// segment (seal-seconds of accesses); a kill -9 costs nothing appended.
// Open recovers an .open segment left by a crash up to its last valid block
// (a torn or garbled tail is cut off and counted) and seals it, so sealed
// segments, and the batch ids made from their numbers, never change.
//
// Full policy: when the spool would exceed max_bytes, Append drops the new
// records and counts them (full_dropped); what is already spooled stays and
// is shipped first. Thread-safe: the capture thread appends and seals while
// the shipper thread lists, reads and removes.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "record/access_record.h"

namespace scanscope {

struct SpoolOptions {
  std::string dir;                             // created if missing
  uint64_t max_bytes = uint64_t{1} << 30;      // all segments together
  uint64_t segment_bytes = uint64_t{1} << 20;  // seal the open segment at this size
  int64_t seal_after_ns = 5'000'000'000;       // ... or when its first block is this old
  bool sync = true;  // fsync at seal (false only in tests that measure nothing durable)
  // Monotonic clock in ns for segment ages; default: std::chrono::steady_clock.
  std::function<int64_t()> now_ns;
};

// Everything the spool counted since it was opened (recovery included).
struct SpoolCounters {
  uint64_t appended_records = 0;
  uint64_t appended_blocks = 0;
  uint64_t full_dropped = 0;        // records refused because the spool was full (this run)
  uint64_t full_dropped_total = 0;  // the same over the spool's life (kept in DIR/state)
  uint64_t sealed_segments = 0;
  uint64_t removed_segments = 0;
  uint64_t recovered_segments = 0;    // .open segments found at Open and sealed
  uint64_t recovered_torn_bytes = 0;  // bytes cut off their tails
  uint64_t corrupt_blocks = 0;        // blocks skipped by Read (checksum failed)
  uint64_t corrupt_bytes = 0;         // their bytes, plus unreadable tails of sealed segments
};

struct SpoolStats {
  uint64_t bytes = 0;     // all segment files, the open one included
  uint64_t segments = 0;  // sealed + open
  uint64_t sealed = 0;
  SpoolCounters counters;
};

// One sealed segment's records, as read back.
struct SegmentContents {
  uint64_t seq = 0;
  std::vector<AccessRecord> records;
  uint64_t corrupt_blocks = 0;  // skipped (already added to the spool's counters)
  uint64_t corrupt_bytes = 0;
};

// Makes the spool directory `dir` (created if missing) and what the spool
// keeps in it owned by uid:gid, for a sensor that drops root: the directory,
// its regular files and its rejected/ folder. Symbolic links are never
// followed: a link at `dir` fails, a link inside is left alone and named in
// *refused, so that nothing outside the spool changes owner.
Status GiveSpoolTo(const std::string& dir, uid_t uid, gid_t gid, std::vector<std::string>* refused);

class Spool {
 public:
  // Opens (creating if needed) the spool in options.dir and recovers what a
  // crash left. Fails only when the directory cannot be used.
  static Result<std::unique_ptr<Spool>> Open(SpoolOptions options);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // The spool's id: 32 hex digits, the same for the spool's whole life.
  const std::string& id() const { return id_; }

  // The cursor of the newest block appended (before or after a restart):
  // where the input stood. Empty when none was given.
  std::string cursor() const;

  // Appends `records` (and the input's position after them) as one block to
  // the open segment, creating one when there is none. Records beyond the
  // spool's max_bytes are dropped and counted, and Append returns OK: the
  // full policy is not an error. Fails only on I/O errors.
  Status Append(std::span<const AccessRecord> records, std::string_view cursor = {});

  // Seals the open segment if it reached segment_bytes or seal_after_ns.
  Status MaybeSeal();
  // Seals the open segment now (if there is one with at least one block).
  Status Seal();

  // Sealed segment numbers, oldest first.
  std::vector<uint64_t> Sealed() const;
  // Reads a sealed segment. Corrupt blocks are skipped and counted.
  Result<SegmentContents> Read(uint64_t seq);
  // Deletes a sealed segment (after the collector acknowledged it).
  Status Remove(uint64_t seq);
  // Moves sealed segment `seq` into <dir>/rejected/ (made when missing): it
  // is no longer shipped, and kept for an operator to look at.
  Status SetAside(uint64_t seq);
  const std::string& dir() const { return options_.dir; }

  SpoolStats stats() const;

 private:
  explicit Spool(SpoolOptions options);
  // Open's steps: the id (read, or made once), the state file (returns its
  // next segment number), the directory's segments (sealed ones listed,
  // open ones returned), and an open segment a crash left.
  Status Recover();
  Status RecoverId();
  uint64_t RecoverState();
  Result<std::vector<uint64_t>> ListSegments(uint64_t* max_seq_plus_one);
  Status RecoverOpenSegment(uint64_t seq);
  Status SealLocked();
  Status WriteState(uint64_t next_seq, const std::string& cursor);
  std::string PathOf(uint64_t seq, bool sealed) const;
  int64_t Now() const;

  SpoolOptions options_;
  std::string id_;
  mutable std::mutex mu_;  // guards everything below
  std::vector<uint64_t> sealed_;
  std::vector<uint64_t> sealed_bytes_;  // beside sealed_
  uint64_t sealed_total_ = 0;
  uint64_t next_seq_ = 0;
  int open_fd_ = -1;  // the open segment, or -1
  uint64_t open_seq_ = 0;
  uint64_t open_bytes_ = 0;
  int64_t open_since_ns_ = 0;
  std::string cursor_;
  SpoolCounters counters_;
  uint64_t persisted_full_dropped_ = 0;  // full_dropped_total as last written to state
  int64_t state_written_ns_ = 0;
  std::string block_;  // scratch for Append
};

}  // namespace scanscope
