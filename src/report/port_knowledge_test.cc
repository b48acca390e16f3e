#include "report/port_knowledge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace scanscope {
namespace {

namespace fs = std::filesystem;

// The shipped knowledge base, from the source tree the test was built from.
std::string ShippedFile() { return std::string(SCANSCOPE_SOURCE_DIR) + "/data/ports.toml"; }

// A temp dir holding files the test writes; removed at the end.
class TempFiles {
 public:
  TempFiles()
      : dir_(fs::temp_directory_path() /
             ("scanscope-ports-" + std::to_string(getpid()) + "-" + std::to_string(counter_++))) {
    fs::create_directories(dir_);
  }
  ~TempFiles() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  static inline int counter_ = 0;
  fs::path dir_;
};

TEST(PortKnowledgeTest, ShippedFileLoadsWithEveryField) {
  auto k = PortKnowledge::Load({ShippedFile()});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_GE(k->size(), 200u);
  size_t tcp = 0, udp = 0;
  for (const PortDescription* d : k->Entries()) {
    EXPECT_FALSE(d->service.empty()) << d->port;
    EXPECT_GE(d->description.size(), 40u) << d->port << ": a sentence at least";
    EXPECT_EQ(d->description.find('\n'), std::string::npos) << d->port;
    ASSERT_FALSE(d->references.empty()) << d->port << " cites no source";
    for (const std::string& r : d->references) {
      EXPECT_TRUE(r.starts_with("https://")) << d->port << ": " << r;
    }
    // Every CVE id the text names is listed, and every listed id is well formed.
    static const std::regex kCve("CVE-[0-9]{4}-[0-9]{4,7}");
    for (std::sregex_iterator it(d->description.begin(), d->description.end(), kCve), end;
         it != end; ++it) {
      EXPECT_NE(std::find(d->advisories.begin(), d->advisories.end(), it->str()),
                d->advisories.end())
          << d->port << " names " << it->str() << " but does not list it in advisories";
    }
    static const std::regex kId(
        "(CVE-[0-9]{4}-[0-9]{4,7}|MS[0-9]{2}-[0-9]{3}|SYM[0-9]{2}-[0-9]{3}|VU#[0-9]+)");
    for (const std::string& a : d->advisories) {
      EXPECT_TRUE(std::regex_match(a, kId)) << d->port << ": " << a;
    }
    tcp += d->port.ends_with("/tcp");
    udp += d->port.ends_with("/udp");
  }
  EXPECT_GE(tcp, 120u);
  EXPECT_GE(udp, 40u);
  // The reference report's section 5 ports and other ports the report names.
  for (const char* p : {"ICMP", "22/tcp", "135/tcp", "445/tcp", "1026/udp", "1027/udp", "1433/tcp",
                        "2967/tcp", "23/tcp", "3389/tcp", "1434/udp"}) {
    EXPECT_NE(k->Find(p), nullptr) << p;
  }
  const PortDescription* smb = k->Find("445/tcp");
  ASSERT_NE(smb, nullptr);
  for (const char* id : {"MS08-067", "CVE-2017-0144"}) {
    EXPECT_NE(std::find(smb->advisories.begin(), smb->advisories.end(), id), smb->advisories.end())
        << id;
  }
  const PortDescription* sym = k->Find(PortType::Tcp(2967));
  ASSERT_NE(sym, nullptr);
  EXPECT_NE(sym->description.find("SYM06-010"), std::string::npos);
  EXPECT_NE(k->Find("135/tcp")->description.find("MS03-026"), std::string::npos);
}

TEST(PortKnowledgeTest, FindAcceptsSpellingsAndMisses) {
  TempFiles t;
  std::string f = t.Write("a.toml", R"([[port]]
port = "445/tcp"
service = "SMB"
description = "file sharing"
references = ["https://example.org/smb"]

[[port]]
port = "ICMP"
service = "ping"
description = "echo"
)");
  auto k = PortKnowledge::Load({f});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->size(), 2u);
  ASSERT_NE(k->Find("445/tcp"), nullptr);
  EXPECT_EQ(k->Find("445/tcp")->service, "SMB");
  EXPECT_EQ(k->Find("445/TCP"), k->Find("445/tcp"));
  EXPECT_EQ(k->Find(PortType::Tcp(445)), k->Find("445/tcp"));
  EXPECT_EQ(k->Find("icmp"), k->Find(PortType::Icmp()));
  EXPECT_EQ(k->Find("445/udp"), nullptr);
  EXPECT_EQ(k->Find("nonsense"), nullptr);
  EXPECT_EQ(k->Find("ICMP")->references.size(), 0u);  // optional for user files
  EXPECT_EQ(k->Find("445/tcp")->source, f + ":1");
}

TEST(PortKnowledgeTest, LaterFilesOverrideEarlierOnesPortByPort) {
  TempFiles t;
  std::string base = t.Write("base.toml", R"([[port]]
port = "22/tcp"
service = "SSH"
description = "base text for ssh"

[[port]]
port = "23/tcp"
service = "Telnet"
description = "base text for telnet"
)");
  std::string mine = t.Write("mine.toml", R"toml([[port]]
port = "23/tcp"
service = "Telnet (our honeypot)"
description = "our own text"
references = ["https://example.org/ours"]

[[port]]
port = "11245/tcp"
service = "unknown"
description = "seen from one area at one point only"
)toml");
  auto k = PortKnowledge::Load({base, mine});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->size(), 3u);
  EXPECT_EQ(k->Find("22/tcp")->description, "base text for ssh");
  EXPECT_EQ(k->Find("23/tcp")->description, "our own text");
  EXPECT_EQ(k->Find("23/tcp")->references, std::vector<std::string>{"https://example.org/ours"});
  EXPECT_NE(k->Find("11245/tcp"), nullptr);
  // The other order: the base wins.
  auto r = PortKnowledge::Load({mine, base});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Find("23/tcp")->description, "base text for telnet");
}

TEST(PortKnowledgeTest, RangesExpandAndMultilineTextBecomesOneLine) {
  TempFiles t;
  std::string f = t.Write("r.toml", R"([[port]]
port = "1026-1028/udp"
service = "Messenger"
description = """
pop-up
spam"""
advisories = ["MS03-043"]
malware = ["spam senders"]
)");
  auto k = PortKnowledge::Load({f});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->size(), 3u);
  for (const char* p : {"1026/udp", "1027/udp", "1028/udp"}) {
    ASSERT_NE(k->Find(p), nullptr) << p;
    EXPECT_EQ(k->Find(p)->port, p);
    EXPECT_EQ(k->Find(p)->description, "pop-up spam");
    EXPECT_EQ(k->Find(p)->advisories, std::vector<std::string>{"MS03-043"});
  }
  EXPECT_EQ(k->Find("1029/udp"), nullptr);
}

// Each bad file gives an InvalidArgument that names the file and the line.
TEST(PortKnowledgeTest, BadFilesNameFileAndLine) {
  struct Case {
    const char* text;
    int line;
    const char* says;
  };
  const Case cases[] = {
      {"[[port]]\nport = \"22/tcp\"\nservice = \"SSH\"\ndescription = \"unterminated\n", 4, ""},
      {"[[port]]\nport = \"22/tcp\"\ndescription = \"x\"\n", 1, "no service"},
      {"[[port]]\nport = \"22/tcp\"\nservice = \"x\"\n", 1, "no description"},
      {"[[port]]\nservice = \"x\"\ndescription = \"y\"\n", 1, "without port"},
      {"\n[[port]]\nport = \"22/sctp\"\nservice = \"x\"\ndescription = \"y\"\n", 2,
       "not a port type"},
      {"[[port]]\nport = \"1-65535/tcp\"\nservice = \"x\"\ndescription = \"y\"\n", 1, "more than"},
      {"[[port]]\nport = \"22/tcp\"\nservice = \"a\"\ndescription = \"b\"\n\n"
       "[[port]]\nport = \"22/tcp\"\nservice = \"c\"\ndescription = \"d\"\n",
       6, "twice in this file (also at line 1)"},
      {"[[port]]\nport = \"20-22/tcp\"\nservice = \"a\"\ndescription = \"b\"\n\n"
       "[[port]]\nport = \"21/tcp\"\nservice = \"c\"\ndescription = \"d\"\n",
       6, "21/tcp is listed twice"},
      {"[[port]]\nport = \"22/tcp\"\nservice = \"a\"\ndescription = \"b\"\nrefs = [\"x\"]\n", 5,
       "unknown key 'refs'"},
      {"[[port]]\nport = \"22/tcp\"\nservice = \"a\"\ndescription = \"b\"\nreferences = \"x\"\n", 5,
       "array of strings"},
      {"title = \"x\"\n", 1, "unknown key 'title'"},
      {"port = \"22/tcp\"\n", 1, "[[port]] tables"},
  };
  TempFiles t;
  int i = 0;
  for (const Case& c : cases) {
    std::string f = t.Write("bad" + std::to_string(i++) + ".toml", c.text);
    auto k = PortKnowledge::Load({f});
    ASSERT_FALSE(k.ok()) << c.text;
    const std::string& m = k.status().message();
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument) << m;
    EXPECT_TRUE(m.starts_with(f + ":" + std::to_string(c.line) + ":")) << m;
    EXPECT_NE(m.find(c.says), std::string::npos) << m;
  }
  auto missing = PortKnowledge::Load({"/nonexistent/ports.toml"});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("/nonexistent/ports.toml"), std::string::npos);
}

TEST(PortKnowledgeTest, EmptyListAndEmptyFile) {
  auto none = PortKnowledge::Load({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->size(), 0u);
  EXPECT_EQ(none->Find("22/tcp"), nullptr);
  TempFiles t;
  auto empty = PortKnowledge::Load({t.Write("e.toml", "# nothing yet\n")});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->size(), 0u);
}

TEST(PortKnowledgeTest, DefaultFiles) {
  ASSERT_EQ(setenv("SCANSCOPE_PORTS", "/a/one.toml:/b/two.toml", 1), 0);
  std::vector<std::string> env = DefaultPortKnowledgeFiles();
  unsetenv("SCANSCOPE_PORTS");
  EXPECT_EQ(env, (std::vector<std::string>{"/a/one.toml", "/b/two.toml"}));
  std::vector<std::string> def = DefaultPortKnowledgeFiles();
  ASSERT_EQ(def.size(), 1u);
  EXPECT_TRUE(fs::equivalent(def[0], ShippedFile())) << def[0];
}

}  // namespace
}  // namespace scanscope
