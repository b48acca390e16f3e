#pragma once
// LogFollower: reads a growing text log (a firewall log the kernel's syslog
// writes) line by line as it grows, through rotation, and says after each
// line where it stands, so that a restart resumes at the next line.
//
// Rotation, as logrotate does it:
//  - rename + new file: at end of file the path names another inode; the old
//    file is read to its end (a last line without its newline counts as a
//    line), then the new file from its start.
//  - copytruncate: the path keeps its inode but shrinks below the offset
//    read; reading starts again at 0 (lines written between logrotate's copy
//    and its truncate are lost: copytruncate's own race, counted nowhere
//    because nobody can see it; prefer rename rotation).
// Resuming (FollowCursor from the spool): the same inode at the path
// resumes at the offset (from 0 if the file is now shorter); a rotated file
// is looked for as PATH.1 and read to its end first; else the path is read
// from its start. Without a cursor, reading starts at the file's current end
// (only new lines: old history is `scanscope ingest`'s work).
// Not thread-safe.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace scanscope {

// Where the follower stands: just past a line's newline in the file with
// this device and inode.
struct FollowCursor {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t offset = 0;
  std::string Encode() const;  // "follow1 DEV INO OFFSET"
  static std::optional<FollowCursor> Decode(std::string_view text);
};

struct FollowCounters {
  uint64_t lines = 0;
  uint64_t bytes = 0;
  uint64_t rotations = 0;        // rename + new file
  uint64_t truncations = 0;      // copytruncate (file shrank)
  uint64_t long_lines = 0;       // lines over the limit, skipped
  uint64_t resumed_rotated = 0;  // restarts that finished PATH.1 first
};

class LogFollower {
 public:
  // Called for each complete line (without its newline) and the cursor just
  // after it. The view is valid only during the call.
  using LineHandler = std::function<void(std::string_view line, const FollowCursor& after)>;

  // `resume`: the cursor of the last line already handled (nullopt: start at
  // the end of the current file). `max_line_bytes`: longer lines are skipped.
  LogFollower(std::string path, std::optional<FollowCursor> resume, size_t max_line_bytes);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  // Reads what is new (at most ~max_bytes) and hands each complete line to
  // `on_line`. Returns the bytes read (0: nothing new now; wait and call
  // again). A missing file is not an error (it is waited for).
  Result<uint64_t> Poll(const LineHandler& on_line, uint64_t max_bytes = 4u << 20);

  const FollowCounters& counters() const { return counters_; }
  const std::string& path() const { return path_; }
  // The cursor after the last line handed out (or where reading starts).
  const FollowCursor& cursor() const { return cursor_; }

 private:
  bool OpenAt(const std::string& path, uint64_t offset, bool* exists);
  void HandleBuffered(const LineHandler& on_line, bool flush_partial);
  void CloseCurrent();

  std::string path_;
  std::optional<FollowCursor> resume_;
  size_t max_line_bytes_;
  bool started_ = false;
  bool draining_rotated_ = false;  // reading PATH.1 left from before a restart
  int fd_ = -1;
  FollowCursor cursor_;       // of the line handed out last
  uint64_t read_offset_ = 0;  // file offset of the end of buffer_
  std::string buffer_;        // bytes read, not yet a whole line
  bool skipping_long_ = false;
  FollowCounters counters_;
};

}  // namespace scanscope
