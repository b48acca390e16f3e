#include "ingest/ingest.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "store/memory_store.h"
#include "support/packet_builder.h"
#include "support/run_command.h"

namespace scanscope {
namespace {

using testing::Bytes;
using testing::CapturedPacket;
using testing::V4;

constexpr int64_t kNov1Ns = int64_t{1793491200} * 1'000'000'000;  // 2026-11-01 00:00 UTC

CapturedPacket Syn(int64_t seconds, const char* source, const char* destination, uint16_t port) {
  Bytes ip = testing::Ipv4(
      {.source = V4(source), .destination = V4(destination), .protocol = testing::kTcp},
      testing::Tcp({.source_port = 40000, .destination_port = port, .flags = 0x02}));
  return {.time_ns = kNov1Ns + seconds * 1'000'000'000, .data = testing::Ethernet(0x0800, ip)};
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryStore({TimeZone::Utc()});
    auto watched = PrefixSet::Parse("192.0.2.0/24");
    ASSERT_TRUE(watched.ok());
    ASSERT_TRUE(store_->PutPoint({"p1", *watched, ""}).ok());
    options_.point = "p1";
    options_.watched = *watched;
  }
  std::string Write(const std::string& name, const Bytes& bytes) {
    std::string path = dir_.File(name);
    EXPECT_TRUE(testing::WriteFile(path, bytes));
    return path;
  }
  // accesses per port type in the store, summed over days.
  std::map<std::string, uint64_t> Stored() {
    std::map<std::string, uint64_t> out;
    auto totals = store_->Totals(TimeZone::Utc(), 0, 100000);
    EXPECT_TRUE(totals.ok());
    for (const BlockTotal& t : *totals) out[t.port.ToString()] += t.accesses;
    return out;
  }
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  IngestOptions options_;
};

TEST(InputFormatTest, NamesRoundTripAndBadOnesAreRefused) {
  for (InputFormat f :
       {InputFormat::kAuto, InputFormat::kPcap, InputFormat::kPcapng, InputFormat::kNetfilter}) {
    auto back = ParseInputFormat(InputFormatName(f));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, f);
  }
  auto bad = ParseInputFormat("pcap.gz");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pcap.gz"), std::string::npos);
}

// Three probes to watched addresses, one packet to an address not watched:
// three accesses, the fourth named in the counters; the report says what it
// found and the ledger holds it.
TEST_F(IngestTest, CountsAccessesAndNamesWhatItLeftOut) {
  std::string path =
      Write("a.pcap", testing::PcapFile(1, {Syn(10, "198.51.100.7", "192.0.2.1", 445),
                                            Syn(11, "198.51.100.7", "192.0.2.2", 445),
                                            Syn(12, "198.51.100.8", "192.0.2.1", 22),
                                            Syn(13, "198.51.100.8", "203.0.113.1", 22)}));
  auto r = IngestFile(*store_, options_, path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, InputFormat::kPcap);
  EXPECT_EQ(r->packets, 4u);
  EXPECT_EQ(r->accesses, 3u);
  EXPECT_EQ(r->duplicates, 0u);
  std::vector<std::pair<std::string, uint64_t>> want = {{"not_watched", 1}};
  EXPECT_EQ(r->NamedCounters(), want);
  EXPECT_EQ(Stored(), (std::map<std::string, uint64_t>{{"22/tcp", 1}, {"445/tcp", 2}}));
  auto ledger = store_->Ledger();
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 1u);
  EXPECT_EQ((*ledger)[0].batch_id, r->batch_id);
  EXPECT_EQ((*ledger)[0].accesses, 3u);
}

// The same bytes again change nothing; the capture grown by one packet adds
// only that packet, and says how many it found already stored.
TEST_F(IngestTest, SameFileOnceAndAGrownCopyAddsOnlyItsTail) {
  std::vector<CapturedPacket> packets = {Syn(10, "198.51.100.7", "192.0.2.1", 445),
                                         Syn(11, "198.51.100.7", "192.0.2.1", 445)};
  std::string first = Write("a.pcap", testing::PcapFile(1, packets));
  ASSERT_TRUE(IngestFile(*store_, options_, first).ok());
  auto again = IngestFile(*store_, options_, first);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_ingested);
  packets.push_back(Syn(12, "198.51.100.9", "192.0.2.3", 23));
  auto grown = IngestFile(*store_, options_, Write("b.pcap", testing::PcapFile(1, packets)));
  ASSERT_TRUE(grown.ok()) << grown.status().ToString();
  EXPECT_EQ(grown->accesses, 1u);
  EXPECT_EQ(grown->duplicates, 2u);
  EXPECT_EQ(grown->NamedCounters(),
            (std::vector<std::pair<std::string, uint64_t>>{{"already_stored", 2}}));
  EXPECT_EQ(Stored(), (std::map<std::string, uint64_t>{{"23/tcp", 1}, {"445/tcp", 2}}));
}

// Text that is neither a capture nor a firewall log fails, saying what it
// looked like, and is not recorded; a capture of nothing watched is not
// recorded either.
TEST_F(IngestTest, WhatCountedNothingIsNotRecorded) {
  std::string text = dir_.File("README.pcap");
  std::ofstream(text) << "This is a README, not a capture.\n";
  auto r = IngestFile(*store_, options_, text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("README.pcap"), std::string::npos) << r.status().ToString();
  std::string elsewhere =
      Write("b.pcap", testing::PcapFile(1, {Syn(10, "198.51.100.7", "203.0.113.1", 445)}));
  auto none = IngestFile(*store_, options_, elsewhere);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("not recorded"), std::string::npos)
      << none.status().ToString();
  EXPECT_NE(none.status().message().find("not_watched 1"), std::string::npos)
      << none.status().ToString();
  auto ledger = store_->Ledger();
  ASSERT_TRUE(ledger.ok());
  EXPECT_TRUE(ledger->empty());
}

}  // namespace
}  // namespace scanscope
