#include "spool/spool.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "spool/segment_format.h"

namespace scanscope {
namespace {

namespace fs = std::filesystem;

class TempSpoolDir {
 public:
  TempSpoolDir() {
    char tmpl[] = "/tmp/spool_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempSpoolDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Record i: every field derived from i, so that a read-back record names
// the append it came from.
AccessRecord MakeRecord(uint64_t i) {
  AccessRecord r;
  r.time_ns = static_cast<int64_t>(1'700'000'000'000'000'000 + i);
  r.source = IpAddress::FromV4(0x0A000000u + static_cast<uint32_t>(i));
  std::array<uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
  v6[15] = static_cast<uint8_t>(i);
  r.destination = IpAddress::FromBytes(v6);
  r.port_type = i % 3 == 0   ? PortType::Tcp(static_cast<uint16_t>(i))
                : i % 3 == 1 ? PortType::Udp(static_cast<uint16_t>(i))
                             : PortType::Icmp();
  r.tcp_flags = static_cast<uint8_t>(i * 7);
  r.ttl = static_cast<uint8_t>(i * 3);
  r.length = static_cast<uint16_t>(40 + i);
  return r;
}

uint64_t IndexOf(const AccessRecord& r) {
  return static_cast<uint64_t>(r.time_ns - 1'700'000'000'000'000'000);
}

bool SameRecord(const AccessRecord& a, const AccessRecord& b) {
  return a.time_ns == b.time_ns && a.source == b.source && a.destination == b.destination &&
         a.port_type == b.port_type && a.tcp_flags == b.tcp_flags && a.ttl == b.ttl &&
         a.length == b.length;
}

std::vector<AccessRecord> Records(uint64_t from, uint64_t to) {
  std::vector<AccessRecord> out;
  for (uint64_t i = from; i < to; ++i) out.push_back(MakeRecord(i));
  return out;
}

// Every record of every sealed segment, oldest first.
std::vector<AccessRecord> ReadAll(Spool& spool) {
  std::vector<AccessRecord> out;
  for (uint64_t seq : spool.Sealed()) {
    auto c = spool.Read(seq);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (c.ok()) out.insert(out.end(), c->records.begin(), c->records.end());
  }
  return out;
}

std::unique_ptr<Spool> OpenSpool(SpoolOptions o) {
  auto s = Spool::Open(std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

std::vector<std::string> FilesEnding(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string p = e.path().string();
    if (p.size() >= suffix.size() &&
        p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SegmentFormat, BlockRoundTripAndSizes) {
  std::string bytes = EncodeSegmentHeader();
  auto recs = Records(0, 10);
  EncodeBlock(recs, "cursor-1", &bytes);
  EXPECT_EQ(bytes.size(), kSegmentHeaderBytes + BlockBytes(10, 8));
  std::vector<AccessRecord> back;
  SegmentScan scan = ScanSegment(bytes, &back);
  EXPECT_TRUE(scan.header_ok);
  EXPECT_EQ(scan.blocks, 1u);
  EXPECT_EQ(scan.records, 10u);
  EXPECT_EQ(scan.trailing_bytes, 0u);
  EXPECT_EQ(scan.last_cursor, "cursor-1");
  ASSERT_EQ(back.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_TRUE(SameRecord(back[i], recs[i])) << i;
}

TEST(Spool, RoundTripAndStableId) {
  TempSpoolDir dir;
  std::string id;
  {
    auto spool = OpenSpool({.dir = dir.path()});
    ASSERT_TRUE(spool);
    id = spool->id();
    EXPECT_EQ(id.size(), 32u);
    ASSERT_TRUE(spool->Append(Records(0, 100)).ok());
    ASSERT_TRUE(spool->Append(Records(100, 101)).ok());
    ASSERT_TRUE(spool->Seal().ok());
    ASSERT_TRUE(spool->Append(Records(101, 300)).ok());
    ASSERT_TRUE(spool->Seal().ok());
    EXPECT_EQ(spool->Sealed().size(), 2u);
    auto all = ReadAll(*spool);
    ASSERT_EQ(all.size(), 300u);
    for (uint64_t i = 0; i < 300; ++i) EXPECT_TRUE(SameRecord(all[i], MakeRecord(i))) << i;
    SpoolStats st = spool->stats();
    EXPECT_EQ(st.segments, 2u);
    EXPECT_EQ(st.bytes,
              2 * kSegmentHeaderBytes + BlockBytes(100, 0) + BlockBytes(1, 0) + BlockBytes(199, 0));
    EXPECT_EQ(st.counters.appended_records, 300u);
  }
  auto again = OpenSpool({.dir = dir.path()});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id(), id);  // made once, kept
  EXPECT_EQ(ReadAll(*again).size(), 300u);
  TempSpoolDir other;
  auto fresh = OpenSpool({.dir = other.path()});
  EXPECT_NE(fresh->id(), id);  // random per spool
}

TEST(Spool, SealsBySizeAndByAge) {
  TempSpoolDir dir;
  int64_t now = 0;
  SpoolOptions o{.dir = dir.path(),
                 .segment_bytes = kSegmentHeaderBytes + 3 * BlockBytes(10, 0),
                 .seal_after_ns = 1000,
                 .now_ns = [&] { return now; }};
  auto spool = OpenSpool(o);
  ASSERT_TRUE(spool);
  // Size: the fourth block does not fit, so it opens a second segment.
  for (int b = 0; b < 4; ++b) ASSERT_TRUE(spool->Append(Records(b * 10, b * 10 + 10)).ok());
  EXPECT_EQ(spool->Sealed().size(), 1u);
  ASSERT_TRUE(spool->MaybeSeal().ok());
  EXPECT_EQ(spool->Sealed().size(), 1u);  // 1 block, age 0: stays open
  now = 999;
  ASSERT_TRUE(spool->MaybeSeal().ok());
  EXPECT_EQ(spool->Sealed().size(), 1u);
  now = 1000;
  ASSERT_TRUE(spool->MaybeSeal().ok());
  EXPECT_EQ(spool->Sealed().size(), 2u);
  EXPECT_EQ(spool->stats().segments, 2u);
  ASSERT_TRUE(spool->MaybeSeal().ok());  // nothing open: nothing to do
  EXPECT_EQ(ReadAll(*spool).size(), 40u);
}

// A crash in the middle of a write leaves a torn block at the end of the open
// segment: reopening keeps every whole block, cuts the rest and counts it.
TEST(Spool, ReopenAfterTornTail) {
  TempSpoolDir dir;
  {
    auto spool = OpenSpool({.dir = dir.path()});
    ASSERT_TRUE(spool->Append(Records(0, 50), "c1").ok());
    ASSERT_TRUE(spool->Append(Records(50, 80), "c2").ok());
    ASSERT_TRUE(spool->Append(Records(80, 90), "c3").ok());
  }  // no seal: as after kill -9
  auto open_files = FilesEnding(dir.path(), ".open");
  ASSERT_EQ(open_files.size(), 1u);
  // Cut the third block in half.
  uint64_t whole = kSegmentHeaderBytes + BlockBytes(50, 2) + BlockBytes(30, 2);
  uint64_t cut_at = whole + BlockBytes(10, 2) / 2;
  ASSERT_EQ(::truncate(open_files[0].c_str(), static_cast<off_t>(cut_at)), 0);

  auto spool = OpenSpool({.dir = dir.path()});
  ASSERT_TRUE(spool);
  EXPECT_TRUE(FilesEnding(dir.path(), ".open").empty());
  EXPECT_EQ(spool->Sealed().size(), 1u);
  SpoolStats st = spool->stats();
  EXPECT_EQ(st.counters.recovered_segments, 1u);
  EXPECT_EQ(st.counters.recovered_torn_bytes, cut_at - whole);
  EXPECT_EQ(st.bytes, whole);
  EXPECT_EQ(spool->cursor(), "c2");  // where the input resumes: after the last whole block
  auto all = ReadAll(*spool);
  ASSERT_EQ(all.size(), 80u);
  for (uint64_t i = 0; i < 80; ++i) EXPECT_TRUE(SameRecord(all[i], MakeRecord(i)));
}

// Garbage after the last block (a power loss can leave zeros or old data):
// cut off and counted; a segment with no whole block is removed.
TEST(Spool, ReopenAfterGarbageTailAndEmptySegment) {
  TempSpoolDir dir;
  {
    auto spool = OpenSpool({.dir = dir.path()});
    ASSERT_TRUE(spool->Append(Records(0, 5)).ok());
  }
  auto open_files = FilesEnding(dir.path(), ".open");
  ASSERT_EQ(open_files.size(), 1u);
  {
    std::ofstream f(open_files[0], std::ios::app | std::ios::binary);
    std::string garbage(1000, '\0');
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 131 + 7);
    f << garbage;
  }
  // A second .open segment with a header only (crash right after creation).
  {
    std::ofstream f(dir.path() + "/00000000000000ff.open", std::ios::binary);
    f << EncodeSegmentHeader();
  }
  auto spool = OpenSpool({.dir = dir.path()});
  ASSERT_TRUE(spool);
  EXPECT_EQ(spool->Sealed().size(), 1u);
  EXPECT_EQ(spool->stats().counters.recovered_torn_bytes, 1000u + kSegmentHeaderBytes);
  EXPECT_EQ(ReadAll(*spool).size(), 5u);
  // Numbers go on after the highest seen, the removed empty one included.
  ASSERT_TRUE(spool->Append(Records(5, 6)).ok());
  ASSERT_TRUE(spool->Seal().ok());
  EXPECT_EQ(spool->Sealed().back(), 0x100u);
}

// A flipped byte in a sealed segment: the checksum catches it, the block is
// skipped and counted, the blocks around it are read, nothing crashes.
TEST(Spool, ChecksumCatchesFlippedByte) {
  TempSpoolDir dir;
  auto spool = OpenSpool({.dir = dir.path()});
  ASSERT_TRUE(spool->Append(Records(0, 10)).ok());
  ASSERT_TRUE(spool->Append(Records(10, 20)).ok());
  ASSERT_TRUE(spool->Append(Records(20, 30)).ok());
  ASSERT_TRUE(spool->Seal().ok());
  auto segs = FilesEnding(dir.path(), ".seg");
  ASSERT_EQ(segs.size(), 1u);
  {
    std::fstream f(segs[0], std::ios::in | std::ios::out | std::ios::binary);
    // A byte inside the second block's fifth record (its TTL).
    std::streamoff at = static_cast<std::streamoff>(kSegmentHeaderBytes + BlockBytes(10, 0) +
                                                    kBlockHeaderBytes + 4 * kSpoolRecordBytes + 45);
    f.seekg(at);
    char c;
    f.read(&c, 1);
    c ^= 0x01;
    f.seekp(at);
    f.write(&c, 1);
  }
  auto c = spool->Read(spool->Sealed()[0]);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->corrupt_blocks, 1u);
  EXPECT_EQ(c->corrupt_bytes, BlockBytes(10, 0));
  ASSERT_EQ(c->records.size(), 20u);
  for (uint64_t i = 0; i < 10; ++i) EXPECT_TRUE(SameRecord(c->records[i], MakeRecord(i)));
  for (uint64_t i = 10; i < 20; ++i) EXPECT_TRUE(SameRecord(c->records[i], MakeRecord(i + 10)));
  EXPECT_EQ(spool->stats().counters.corrupt_blocks, 1u);

  // A flipped length field: nothing after it can be trusted; the rest is counted.
  std::string bytes = EncodeSegmentHeader();
  EncodeBlock(Records(0, 3), "", &bytes);
  size_t second = bytes.size();
  EncodeBlock(Records(3, 6), "", &bytes);
  bytes[second + 8] ^= 0x40;
  std::vector<AccessRecord> back;
  SegmentScan scan = ScanSegment(bytes, &back);
  EXPECT_EQ(back.size(), 3u);
  EXPECT_EQ(scan.trailing_bytes, BlockBytes(3, 0));
}

// Full policy: drop the newest, count every dropped record, keep what is
// spooled; room comes back when the shipper removes segments.
TEST(Spool, FullDropsNewestAndCounts) {
  TempSpoolDir dir;
  const uint64_t block = BlockBytes(10, 0);
  SpoolOptions o{.dir = dir.path(),
                 .max_bytes = 2 * (kSegmentHeaderBytes + 2 * block),
                 .segment_bytes = kSegmentHeaderBytes + 2 * block};
  auto spool = OpenSpool(o);
  for (uint64_t b = 0; b < 7; ++b) ASSERT_TRUE(spool->Append(Records(b * 10, b * 10 + 10)).ok());
  // Four blocks fit (two segments of two); blocks 4, 5, 6 are dropped.
  EXPECT_EQ(spool->stats().counters.full_dropped, 30u);
  EXPECT_EQ(spool->stats().counters.appended_records, 40u);
  EXPECT_LE(spool->stats().bytes, o.max_bytes);
  ASSERT_TRUE(spool->Seal().ok());
  auto all = ReadAll(*spool);
  ASSERT_EQ(all.size(), 40u);
  for (uint64_t i = 0; i < 40; ++i) EXPECT_EQ(IndexOf(all[i]), i);  // the oldest kept
  ASSERT_TRUE(spool->Remove(spool->Sealed()[0]).ok());
  ASSERT_TRUE(spool->Append(Records(100, 110)).ok());
  EXPECT_EQ(spool->stats().counters.full_dropped, 30u);
  EXPECT_EQ(spool->stats().counters.appended_records, 50u);
}

// The drop count outlives the process: written to the state file at a seal,
// or within a second while drops grow (a crash cannot make drops silent).
TEST(Spool, FullDropCountSurvivesRestart) {
  TempSpoolDir dir;
  int64_t now = 0;
  const uint64_t block = BlockBytes(10, 0);
  SpoolOptions o{
      .dir = dir.path(), .max_bytes = kSegmentHeaderBytes + block, .now_ns = [&] { return now; }};
  {
    auto spool = OpenSpool(o);
    ASSERT_TRUE(spool->Append(Records(0, 10)).ok());
    ASSERT_TRUE(spool->Seal().ok());
    ASSERT_TRUE(spool->Append(Records(10, 17)).ok());  // dropped: full
    now += 2'000'000'000;
    ASSERT_TRUE(spool->MaybeSeal().ok());  // writes the count; nothing open to seal
  }                                        // no clean close: as after kill -9
  {
    auto spool = OpenSpool(o);
    EXPECT_EQ(spool->stats().counters.full_dropped_total, 7u);
    EXPECT_EQ(spool->stats().counters.full_dropped, 0u);
    ASSERT_TRUE(spool->Append(Records(17, 20)).ok());  // still full
    ASSERT_TRUE(spool->Seal().ok());                   // at stop: written
  }
  auto spool = OpenSpool(o);
  EXPECT_EQ(spool->stats().counters.full_dropped_total, 10u);
}

// Segment numbers (and so batch ids) are never reused, even when every
// segment was shipped and removed before a restart.
TEST(Spool, SegmentNumbersNeverReused) {
  TempSpoolDir dir;
  uint64_t last;
  {
    auto spool = OpenSpool({.dir = dir.path()});
    ASSERT_TRUE(spool->Append(Records(0, 1), "pos-1").ok());
    ASSERT_TRUE(spool->Seal().ok());
    ASSERT_TRUE(spool->Append(Records(1, 2), "pos-2").ok());
    ASSERT_TRUE(spool->Seal().ok());
    last = spool->Sealed().back();
    for (uint64_t seq : spool->Sealed()) ASSERT_TRUE(spool->Remove(seq).ok());
    EXPECT_EQ(spool->stats().segments, 0u);
    EXPECT_EQ(spool->stats().bytes, 0u);
  }
  auto spool = OpenSpool({.dir = dir.path()});
  EXPECT_TRUE(spool->Sealed().empty());
  EXPECT_EQ(spool->cursor(), "pos-2");  // kept in the state file
  ASSERT_TRUE(spool->Append(Records(2, 3)).ok());
  ASSERT_TRUE(spool->Seal().ok());
  EXPECT_GT(spool->Sealed().back(), last);
}

// kill -9 of a process appending in a loop: every record whose Append had
// returned OK (the child reports each on a pipe right after) is in the
// spool after reopening, exactly once; nothing else is, except records of
// the very append the kill interrupted (appended but not yet reported).
TEST(Spool, KillNineWhileAppending) {
  TempSpoolDir dir;
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  SpoolOptions o{.dir = dir.path(), .segment_bytes = 64 * 1024};
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipefd[0]);
    auto spool = Spool::Open(o);
    if (!spool.ok()) ::_exit(3);
    uint64_t next = 0;
    for (uint64_t round = 0;; ++round) {
      uint64_t n = 1 + round % 37;
      auto recs = Records(next, next + n);
      if (!(*spool)->Append(recs).ok()) ::_exit(4);
      if (!(*spool)->MaybeSeal().ok()) ::_exit(5);
      next += n;
      if (::write(pipefd[1], &next, sizeof(next)) != sizeof(next)) ::_exit(6);
    }
  }
  ::close(pipefd[1]);
  // Let it append until at least 30,000 records are acknowledged (several
  // seals of 64 KiB), then kill it mid-loop.
  uint64_t acked = 0, v;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (acked < 30000 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(::read(pipefd[0], &v, sizeof(v)), static_cast<ssize_t>(sizeof(v)));
    acked = v;
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the child stopped by itself: " << WEXITSTATUS(wstatus);
  while (::read(pipefd[0], &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v))) acked = v;
  ::close(pipefd[0]);
  ASSERT_GE(acked, 30000u);

  auto spool = OpenSpool(o);
  ASSERT_TRUE(spool);
  ASSERT_TRUE(spool->Seal().ok());
  std::map<uint64_t, int> seen;
  for (const AccessRecord& r : ReadAll(*spool)) {
    uint64_t i = IndexOf(r);
    ++seen[i];
    EXPECT_TRUE(SameRecord(r, MakeRecord(i))) << i;
  }
  for (uint64_t i = 0; i < acked; ++i) {
    auto it = seen.find(i);
    ASSERT_NE(it, seen.end()) << "acknowledged record " << i << " lost";
    ASSERT_EQ(it->second, 1) << "record " << i << " twice";
  }
  // Beyond the last acknowledged: at most the one append in flight (< 37).
  for (const auto& [i, n] : seen) {
    EXPECT_EQ(n, 1);
    EXPECT_LT(i, acked + 37);
  }
  EXPECT_EQ(spool->stats().counters.corrupt_blocks, 0u);
  EXPECT_GE(spool->Sealed().size(), 2u);
}

// A link planted in the spool (to a file outside it) is left alone when the
// spool is given to the sensor's user: nothing outside changes owner.
TEST(GiveSpoolTo, LinksAreNeverFollowed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (CI runs as root)";
  TempSpoolDir dir;
  const std::string spool = dir.path() + "/spool", outside = dir.path() + "/outside";
  ASSERT_EQ(::mkdir(spool.c_str(), 0750), 0);
  { std::ofstream(outside) << "root's"; }
  { std::ofstream(spool + "/0000000000000000.seg") << "segment"; }
  ASSERT_EQ(::symlink(outside.c_str(), (spool + "/0000000000000001.seg").c_str()), 0);
  std::vector<std::string> refused;
  ASSERT_TRUE(GiveSpoolTo(spool, 65534, 65534, &refused).ok());
  struct stat st {};
  ASSERT_EQ(::stat(outside.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the link's target changed owner";
  ASSERT_EQ(::stat((spool + "/0000000000000000.seg").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0], spool + "/0000000000000001.seg");
  // A spool that is itself a link is refused.
  const std::string linked = dir.path() + "/linked";
  ASSERT_EQ(::symlink(spool.c_str(), linked.c_str()), 0);
  EXPECT_FALSE(GiveSpoolTo(linked, 65534, 65534, nullptr).ok());
}

}  // namespace
}  // namespace scanscope
