#include "sensor/log_follower.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace scanscope {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/follow_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void Append(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  f << text;
}

// Polls until nothing new comes, collecting lines and the last cursor.
struct Collected {
  std::vector<std::string> lines;
  FollowCursor last;
};
void Drain(LogFollower& f, Collected* c) {
  for (int i = 0; i < 10; ++i) {
    auto n = f.Poll([&](std::string_view line, const FollowCursor& after) {
      c->lines.emplace_back(line);
      c->last = after;
    });
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) return;
  }
}

TEST(FollowCursor, EncodeDecode) {
  FollowCursor c{2049, 1234567, 89};
  auto d = FollowCursor::Decode(c.Encode());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->device, 2049u);
  EXPECT_EQ(d->inode, 1234567u);
  EXPECT_EQ(d->offset, 89u);
  EXPECT_FALSE(FollowCursor::Decode("follow1 1 2"));
  EXPECT_FALSE(FollowCursor::Decode("follow1 1 2 3 junk"));
}

TEST(LogFollower, StartsAtEndWithoutCursorAndWaitsForWholeLines) {
  TempDir dir;
  std::string log = dir.File("kern.log");
  Append(log, "old 1\nold 2\n");
  LogFollower f(log, std::nullopt, 1000);
  Collected c;
  Drain(f, &c);
  EXPECT_TRUE(c.lines.empty());  // history is not re-read
  Append(log, "new 1\nnew 2 half");
  Drain(f, &c);
  ASSERT_EQ(c.lines, (std::vector<std::string>{"new 1"}));
  EXPECT_EQ(c.last.offset, 18u);  // "old 1\nold 2\nnew 1\n"
  Append(log, " done\n");
  Drain(f, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"new 1", "new 2 half done"}));
  EXPECT_EQ(c.last.offset, fs::file_size(log));
}

TEST(LogFollower, WaitsForAMissingFile) {
  TempDir dir;
  std::string log = dir.File("later.log");
  LogFollower f(log, std::nullopt, 1000);
  Collected c;
  Drain(f, &c);
  Append(log, "a\nb\n");
  Drain(f, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"a", "b"}));  // a new file is read from its start
}

TEST(LogFollower, RenameRotation) {
  TempDir dir;
  std::string log = dir.File("kern.log");
  Append(log, "");
  LogFollower f(log, std::nullopt, 1000);
  Collected c;
  Drain(f, &c);
  Append(log, "1\n2\n");
  Drain(f, &c);
  // The writer adds to the old file after the rename (it has not reopened
  // yet), a last line without newline included; then writes the new file.
  fs::rename(log, log + ".1");
  Append(log + ".1", "3\n4");
  Drain(f, &c);  // new file not there yet: nothing lost, keeps reading the old one
  Append(log, "5\n");
  Drain(f, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(f.counters().rotations, 1u);
  struct stat st;
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_EQ(c.last.inode, static_cast<uint64_t>(st.st_ino));
  EXPECT_EQ(c.last.offset, 2u);
}

TEST(LogFollower, CopyTruncate) {
  TempDir dir;
  std::string log = dir.File("kern.log");
  Append(log, "");
  LogFollower f(log, std::nullopt, 1000);
  Collected c;
  Drain(f, &c);
  Append(log, "first line\nsecond line\n");
  Drain(f, &c);
  // logrotate copytruncate: copy away, cut to zero; the writer goes on.
  fs::copy_file(log, log + ".1");
  fs::resize_file(log, 0);
  Append(log, "x\n");
  Drain(f, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"first line", "second line", "x"}));
  EXPECT_EQ(f.counters().truncations, 1u);
}

TEST(LogFollower, ResumesAtCursorSameFileAndRotatedFile) {
  TempDir dir;
  std::string log = dir.File("kern.log");
  Append(log, "");
  FollowCursor saved;
  {
    LogFollower f(log, std::nullopt, 1000);
    Collected c;
    Drain(f, &c);
    Append(log, "a\nb\n");
    Drain(f, &c);
    saved = c.last;
  }
  // While stopped: more lines, then a rename rotation, then the new file.
  Append(log, "c\nd\n");
  {
    LogFollower f(log, saved, 1000);
    Collected c;
    Drain(f, &c);
    EXPECT_EQ(c.lines, (std::vector<std::string>{"c", "d"}));
    saved = c.last;
  }
  Append(log, "e\n");
  fs::rename(log, log + ".1");
  Append(log, "f\ng\n");
  LogFollower f(log, saved, 1000);
  Collected c;
  Drain(f, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"e", "f", "g"}));
  EXPECT_EQ(f.counters().resumed_rotated, 1u);
}

TEST(LogFollower, SkipsOverlongLinesAndCounts) {
  TempDir dir;
  std::string log = dir.File("kern.log");
  Append(log, "");
  LogFollower f(log, std::nullopt, 10);
  Collected c;
  Drain(f, &c);
  Append(log, "short\n" + std::string(100000, 'x') + "\nafter\n");
  Drain(f, &c);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"short", "after"}));
  EXPECT_EQ(f.counters().long_lines, 1u);
  EXPECT_EQ(c.last.offset, fs::file_size(log));
}

}  // namespace
}  // namespace scanscope
