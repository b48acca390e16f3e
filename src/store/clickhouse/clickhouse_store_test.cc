#include "store/clickhouse/clickhouse_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "store/memory_store.h"
#include "support/clickhouse_server.h"

namespace scanscope {
namespace {

using testing::ClickHouseServer;

TimeZone Zone(const char* name) { return TimeZone::Find(name).value(); }

int64_t Utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return (int64_t{DaysFromCivil({y, m, d})} * 86400 + hh * 3600 + mm * 60 + ss) * kNanosPerSecond;
}

AccessRecord Rec(int64_t t, uint32_t src, PortType port = PortType::Tcp(445)) {
  AccessRecord r;
  r.time_ns = t;
  r.source = IpAddress::FromV4(src);
  r.destination = IpAddress::FromV4(0xC0000201);
  r.port_type = port;
  r.tcp_flags = kTcpSyn;
  r.ttl = 110;
  r.length = 48;
  return r;
}

MonitoringPoint Point(const std::string& name) {
  return MonitoringPoint{name, *PrefixSet::Parse("192.0.2.1"), "test " + name};
}

Status Ingest(Store& store, const std::string& batch, const std::string& point,
              const std::vector<AccessRecord>& recs) {
  auto w = store.BeginIngest({batch, point, "test:" + batch});
  if (!w.ok()) return w.status();
  SCANSCOPE_RETURN_IF_ERROR((*w)->Add(recs));
  return (*w)->Commit("{\"batch\":\"" + batch + "\"}");
}

using Figures =
    std::map<std::tuple<int32_t, std::string, std::string>, std::pair<uint64_t, uint64_t>>;

Figures TotalsOf(Store& store, const TimeZone& zone, int32_t first, int32_t last) {
  auto t = store.Totals(zone, first, last);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  Figures f;
  if (!t.ok()) return f;
  for (const BlockTotal& b : *t) f[{b.day, b.point, b.port.ToString()}] = {b.accesses, b.sources};
  return f;
}

// Totals exactly as returned (order included).
std::vector<std::tuple<int32_t, std::string, uint32_t, uint64_t, uint64_t>> TotalsList(
    Store& store, const TimeZone& zone, int32_t first, int32_t last) {
  auto t = store.Totals(zone, first, last);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  std::vector<std::tuple<int32_t, std::string, uint32_t, uint64_t, uint64_t>> out;
  if (!t.ok()) return out;
  for (const BlockTotal& b : *t)
    out.emplace_back(b.day, b.point, b.port.Code(), b.accesses, b.sources);
  return out;
}

// Every visited block in visiting order: (day, point, port, rows).
struct Visited {
  int32_t day;
  std::string point;
  uint32_t port;
  std::vector<std::tuple<IpAddress, uint64_t, int64_t, int64_t>> rows;
  bool operator==(const Visited&) const = default;
};
std::vector<Visited> ScanOf(Store& store, const TimeZone& zone, int32_t first, int32_t last) {
  std::vector<Visited> out;
  Status st =
      store.ScanBlocks(zone, first, last, [&](const std::string& p, const SourceDayBlock& b) {
        Visited v{b.day, p, b.port.Code(), {}};
        for (const SourceDayRow& r : b.rows) {
          v.rows.emplace_back(r.source, r.accesses, r.first_ns, r.last_ns);
        }
        out.push_back(std::move(v));
        return Status::Ok();
      });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

// A loopback HTTP proxy in front of a server that withholds the server's
// answer to every other INSERT: the server has stored the rows, the client
// sees a broken connection. What a retry must not count twice.
class AnswerDroppingProxy {
 public:
  explicit AnswerDroppingProxy(int server_port) : server_port_(server_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~AnswerDroppingProxy() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int dropped() const { return dropped_; }

 private:
  static bool WriteAll(int fd, const std::string& data) {
    size_t at = 0;
    while (at < data.size()) {
      ssize_t n = write(fd, data.data() + at, data.size() - at);
      if (n <= 0) return false;
      at += static_cast<size_t>(n);
    }
    return true;
  }
  void Run() {
    for (;;) {
      int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      if (stop_) {
        close(client);
        return;
      }
      Serve(client);
      close(client);
    }
  }
  void Serve(int client) {
    // The request: headers, then Content-Length bytes of body.
    std::string request;
    char buf[65536];
    size_t header_end = std::string::npos;
    size_t body_len = 0;
    for (;;) {
      ssize_t n = read(client, buf, sizeof buf);
      if (n <= 0) return;
      request.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos) {
        header_end = request.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        header_end += 4;
        std::string head = request.substr(0, header_end);
        for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t cl = head.find("content-length:");
        if (cl != std::string::npos) body_len = std::strtoull(head.c_str() + cl + 15, nullptr, 10);
      }
      if (request.size() >= header_end + body_len) break;
    }
    int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(server_port_));
    if (connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        !WriteAll(server, request)) {
      close(server);
      return;
    }
    std::string answer;
    for (;;) {
      ssize_t n = read(server, buf, sizeof buf);
      if (n <= 0) break;
      answer.append(buf, static_cast<size_t>(n));
    }
    close(server);
    const bool insert = request.substr(0, header_end).find("INSERT") != std::string::npos;
    if (insert && inserts_++ % 2 == 0) {
      ++dropped_;
      return;  // the server stored it; the client never hears so
    }
    (void)WriteAll(client, answer);
  }

  int server_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  int inserts_ = 0;
  std::atomic<int> dropped_{0};
};

const int32_t kMar7 = DaysFromCivil({2009, 3, 7});
const int32_t kMar8 = kMar7 + 1;
const int32_t kMar9 = kMar7 + 2;

// One server for each test (gtest_discover_tests runs each test as its own
// process), a database per store.
class ClickHouseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    server_ = ClickHouseServer::Start(&error);
    ASSERT_TRUE(server_) << error;
  }
  ClickHouseOptions Options(const std::string& database) {
    auto o = ParseClickHouseUrl(server_->Url(database));
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? *o : ClickHouseOptions{};
  }
  std::unique_ptr<Store> Open(const std::string& database, const std::vector<TimeZone>& zones,
                              int retention_months = 0) {
    ClickHouseOptions o = Options(database);
    o.retention_months = retention_months;
    auto s = OpenClickHouseStore(o, zones);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string Q(const std::string& sql) { return server_->QueryOrError(sql); }
  std::unique_ptr<ClickHouseServer> server_;
};

TEST(ClickHouseUrl, Parses) {
  ::unsetenv("SCANSCOPE_CLICKHOUSE_USER");
  ::unsetenv("SCANSCOPE_CLICKHOUSE_PASSWORD");
  auto o = ParseClickHouseUrl("clickhouse://ch.example:8124/darknet");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->host, "ch.example");
  EXPECT_EQ(o->port, 8124);
  EXPECT_EQ(o->database, "darknet");
  EXPECT_EQ(o->user, "");
  EXPECT_TRUE(o->cluster.empty());
  o = ParseClickHouseUrl(
      "clickhouse://us%40r:p%3Ass@[::1]:9/db?cluster=two&nodes=a:1,[::1]:2&retention_months=6");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->user, "us@r");
  EXPECT_EQ(o->password, "p:ss");
  EXPECT_EQ(o->host, "::1");
  EXPECT_EQ(o->port, 9);
  EXPECT_EQ(o->cluster, "two");
  ASSERT_EQ(o->node_http.size(), 2u);
  EXPECT_EQ(o->node_http[1], (std::pair<std::string, int>{"::1", 2}));
  EXPECT_EQ(o->retention_months, 6);
  ::setenv("SCANSCOPE_CLICKHOUSE_USER", "envuser", 1);
  ::setenv("SCANSCOPE_CLICKHOUSE_PASSWORD", "envpw", 1);
  o = ParseClickHouseUrl("clickhouse://h/db");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->user, "envuser");
  EXPECT_EQ(o->password, "envpw");
  EXPECT_EQ(o->port, 8123);
  ::unsetenv("SCANSCOPE_CLICKHOUSE_USER");
  ::unsetenv("SCANSCOPE_CLICKHOUSE_PASSWORD");
  for (const char* bad :
       {"clickhouse://h:1", "clickhouse://h:1/", "clickhouse://h:x/db", "clickhouse://h:1/d-b",
        "clickhouse://h:1/db?what=1", "clickhouse://h:1/db?retention_months=-1",
        "clickhouse://:1/db", "clickhouse://h:1/db?nodes=a:1", "sqlite://x"}) {
    auto b = ParseClickHouseUrl(bad);
    EXPECT_FALSE(b.ok()) << bad;
    if (!b.ok()) {
      EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_TRUE(IsClickHouseUrl("clickhouse://h/db"));
  EXPECT_FALSE(IsClickHouseUrl("store.db"));
}

TEST_F(ClickHouseStoreTest, IngestReingestAndReopen) {
  const TimeZone utc = TimeZone::Utc();
  {
    auto store = Open("s", {utc});
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->PutPoint(Point("p1")).ok());
    std::vector<AccessRecord> recs = {Rec(Utc(2009, 3, 8, 1, 0), 1),
                                      Rec(Utc(2009, 3, 8, 2, 0), 1),
                                      Rec(Utc(2009, 3, 8, 0, 30), 1),
                                      Rec(Utc(2009, 3, 8, 5, 0), 2),
                                      Rec(Utc(2009, 3, 8, 6, 0), 1, PortType::Icmp()),
                                      Rec(Utc(2009, 3, 8, 7, 0), 1, PortType::Icmp())};
    ASSERT_TRUE(Ingest(*store, "b1", "p1", recs).ok());
    Status again = Ingest(*store, "b1", "p1", recs);
    EXPECT_TRUE(again.IsAlreadyExists()) << again.ToString();
    EXPECT_TRUE(Ingest(*store, "b9", "nope", recs).IsNotFound());
  }
  auto store = Open("s", {});
  ASSERT_TRUE(store);
  Figures want = {{{kMar8, "p1", "445/tcp"}, {4, 2}}, {{kMar8, "p1", "ICMP"}, {2, 1}}};
  EXPECT_EQ(TotalsOf(*store, utc, kMar7, kMar9), want);
  EXPECT_TRUE(Ingest(*store, "b1", "p1", {Rec(Utc(2009, 3, 8, 1, 0), 7)}).IsAlreadyExists());
  EXPECT_EQ(TotalsOf(*store, utc, kMar7, kMar9), want);
  auto ledger = store->Ledger();
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 1u);
  EXPECT_EQ((*ledger)[0].batch_id, "b1");
  EXPECT_EQ((*ledger)[0].point, "p1");
  EXPECT_EQ((*ledger)[0].origin, "test:b1");
  EXPECT_EQ((*ledger)[0].accesses, 6u);
  EXPECT_EQ((*ledger)[0].summary_json, "{\"batch\":\"b1\"}");
  // A point updated keeps one row, the latest.
  MonitoringPoint p = Point("p1");
  p.description = "moved";
  ASSERT_TRUE(store->PutPoint(p).ok());
  auto points = store->Points();
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 1u);
  EXPECT_EQ((*points)[0].description, "moved");
  EXPECT_EQ((*points)[0].watched.ToString(), p.watched.ToString());
  EXPECT_EQ(*store->Zones(), std::vector<std::string>{"UTC"});
  // Sensor status: the last report of each known point.
  EXPECT_TRUE(store->PointStatuses()->empty());
  EXPECT_TRUE(store->PutPointStatus({"nope", 1, "{}"}).IsNotFound());
  ASSERT_TRUE(store->PutPointStatus({"p1", 5, "{\"spool\":1}"}).ok());
  ASSERT_TRUE(store->PutPointStatus({"p1", 4, "{\"spool\":2}"}).ok());
  auto statuses = store->PointStatuses();
  ASSERT_TRUE(statuses.ok()) << statuses.status().ToString();
  ASSERT_EQ(statuses->size(), 1u);
  EXPECT_EQ((*statuses)[0].point, "p1");
  EXPECT_EQ((*statuses)[0].reported_at_ns, 4);
  EXPECT_EQ((*statuses)[0].status_json, "{\"spool\":2}");
  // The raw records are kept, in month partitions.
  EXPECT_EQ(Q("SELECT count() FROM s.raw"), "6\n");
  EXPECT_EQ(Q("SELECT DISTINCT partition FROM system.parts WHERE database='s' AND table='raw'"),
            "200903\n");
}

TEST_F(ClickHouseStoreTest, ArgumentAndWriterErrors) {
  auto store = Open("s", {TimeZone::Utc()});
  ASSERT_TRUE(store);
  EXPECT_EQ(store->PutPoint(Point("")).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->PutPoint(Point("p")).ok());
  EXPECT_EQ(store->BeginIngest({"", "p", ""}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Totals(TimeZone::Utc(), 5, 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store->Totals(Zone("Asia/Tokyo"), 0, 4).status().IsNotFound());
  auto w = store->BeginIngest({"b", "p", ""});
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(store->BeginIngest({"c", "p", ""}).ok());  // one writer at a time
  ASSERT_TRUE((*w)->Add(std::vector<AccessRecord>{Rec(Utc(2009, 3, 8, 1, 0), 1)}).ok());
  ASSERT_TRUE((*w)->Commit("{}").ok());
  EXPECT_FALSE((*w)->Commit("{}").ok());
  EXPECT_FALSE((*w)->Add(std::vector<AccessRecord>{Rec(Utc(2009, 3, 8, 1, 0), 1)}).ok());
  w = Result<std::unique_ptr<IngestWriter>>(Status::Internal("drop"));
  Figures want = {{{kMar8, "p", "445/tcp"}, {1, 1}}};
  EXPECT_EQ(TotalsOf(*store, TimeZone::Utc(), kMar8, kMar8), want);
  EXPECT_EQ(store->Ledger()->size(), 1u);
  // A database of something else is refused.
  ASSERT_EQ(Q("CREATE DATABASE other"), "");
  ASSERT_EQ(Q("CREATE TABLE other.meta (key String, value String) ENGINE = MergeTree ORDER BY key"),
            "");
  ASSERT_EQ(Q("INSERT INTO other.meta VALUES ('format', 'something-else')"), "");
  auto other = OpenClickHouseStore(Options("other"), {});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("not a scanscope store"), std::string::npos);
  // No server there: a clear error.
  ClickHouseOptions gone = Options("s");
  gone.port = 1;
  auto none = OpenClickHouseStore(gone, {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("127.0.0.1:1"), std::string::npos)
      << none.status().message();
}

// A user with a password: it goes in an HTTP basic header, never in the URL
// (the server's log keeps every URL), and a wrong one fails without the
// password in the message.
TEST_F(ClickHouseStoreTest, PasswordIsSentInAHeaderAndNeverShown) {
  const std::string base = server_->Url("pw");
  const std::string authority = "clickhouse://";
  auto with = [&](const std::string& credentials) {
    std::string url = base;
    url.insert(authority.size(), credentials + "@");
    auto o = ParseClickHouseUrl(url);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return *o;
  };
  auto store = OpenClickHouseStore(with("scanscope:s3cret%20word"), {TimeZone::Utc()});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->PutPoint(Point("p")).ok());
  EXPECT_EQ((*store)->Points()->size(), 1u);
  auto wrong = OpenClickHouseStore(with("scanscope:not%20it"), {TimeZone::Utc()});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message().find("not it"), std::string::npos) << wrong.status().message();
  // What goes on the wire: a listener that keeps the first request's head.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(a);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  std::string head;
  std::thread listener([&] {
    int c = ::accept(fd, nullptr, nullptr);
    char buf[4096];
    ssize_t n = ::recv(c, buf, sizeof(buf), 0);
    if (n > 0) head.assign(buf, static_cast<size_t>(n));
    const char answer[] = "HTTP/1.1 500 No\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno";
    (void)!::send(c, answer, sizeof(answer) - 1, 0);
    ::close(c);
  });
  ClickHouseOptions o = with("scanscope:s3cret%20word");
  o.port = ntohs(a.sin_port);
  EXPECT_FALSE(OpenClickHouseStore(o, {TimeZone::Utc()}).ok());
  listener.join();
  ::close(fd);
  EXPECT_EQ(head.find("s3cret"), std::string::npos) << head;
  EXPECT_EQ(head.find("password="), std::string::npos) << head;
  EXPECT_NE(head.find("Authorization: Basic "), std::string::npos) << head;
}

TEST_F(ClickHouseStoreTest, OverlappingBatchesMergeOnRead) {
  auto store = Open("s", {TimeZone::Utc()});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutPoint(Point("p")).ok());
  ASSERT_TRUE(Ingest(*store, "a", "p",
                     {Rec(Utc(2009, 3, 8, 1, 0), 1), Rec(Utc(2009, 3, 8, 1, 0), 2),
                      Rec(Utc(2009, 3, 8, 1, 0), 3)})
                  .ok());
  ASSERT_TRUE(Ingest(*store, "b", "p",
                     {Rec(Utc(2009, 3, 8, 2, 0), 2), Rec(Utc(2009, 3, 8, 3, 0), 3),
                      Rec(Utc(2009, 3, 8, 0, 10), 3), Rec(Utc(2009, 3, 8, 4, 0), 4)})
                  .ok());
  Figures want = {{{kMar8, "p", "445/tcp"}, {7, 4}}};
  EXPECT_EQ(TotalsOf(*store, TimeZone::Utc(), kMar8, kMar8), want);
  auto scan = ScanOf(*store, TimeZone::Utc(), kMar8, kMar8);
  ASSERT_EQ(scan.size(), 1u);
  ASSERT_EQ(scan[0].rows.size(), 4u);
  EXPECT_EQ(scan[0].rows[2], std::make_tuple(IpAddress::FromV4(3), uint64_t{3},
                                             Utc(2009, 3, 8, 0, 10), Utc(2009, 3, 8, 3, 0)));
  // Rows are stored per batch; the merge is the read's, whatever merges ran.
  EXPECT_EQ(Q("SELECT count() FROM s.source_days"), "6\n");
  ASSERT_EQ(Q("OPTIMIZE TABLE s.source_days FINAL"), "");
  EXPECT_EQ(TotalsOf(*store, TimeZone::Utc(), kMar8, kMar8), want);
}

// A writer destroyed without Commit, after some of its rows reached the
// server, changes nothing; the batch can be ingested after.
TEST_F(ClickHouseStoreTest, AbandonedAttemptIsInvisible) {
  auto store = Open("s", {TimeZone::Utc(), Zone("Asia/Tokyo")});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutPoint(Point("p")).ok());
  ASSERT_TRUE(Ingest(*store, "first", "p", {Rec(Utc(2009, 3, 8, 1, 0), 9)}).ok());
  const Figures before = TotalsOf(*store, TimeZone::Utc(), kMar7, kMar9);
  {
    auto w = store->BeginIngest({"second", "p", "abandoned"});
    ASSERT_TRUE(w.ok());
    std::vector<AccessRecord> recs;
    for (uint32_t i = 0; i < 600000; ++i) {
      recs.push_back(Rec(Utc(2009, 3, 8, 0, 0) + int64_t{i} * 1000000, i % 5000));
    }
    ASSERT_TRUE((*w)->Add(recs).ok());
  }
  // Its raw rows did land (the first chunks go out before Commit) ...
  EXPECT_NE(Q("SELECT count() FROM s.raw"), "1\n");
  // ... and count nowhere.
  EXPECT_EQ(TotalsOf(*store, TimeZone::Utc(), kMar7, kMar9), before);
  EXPECT_EQ(store->Ledger()->size(), 1u);
  ASSERT_TRUE(store->EnsureZone(Zone("America/New_York")).ok());
  Figures ny = {{{kMar7, "p", "445/tcp"}, {1, 1}}};
  EXPECT_EQ(TotalsOf(*store, Zone("America/New_York"), kMar7, kMar9), ny);
  // A second probe of the same source a second later (the same probe again
  // would be the same access, stored once).
  ASSERT_TRUE(Ingest(*store, "second", "p", {Rec(Utc(2009, 3, 8, 1, 0) + 1'000'000'000, 9)}).ok());
  Figures after = {{{kMar8, "p", "445/tcp"}, {2, 1}}};
  EXPECT_EQ(TotalsOf(*store, TimeZone::Utc(), kMar7, kMar9), after);
  EXPECT_EQ(store->Ledger()->size(), 2u);
}

// Two writers of one batch id (two collectors given the same re-sent batch)
// both commit: the batch counts once, as the first committed attempt.
TEST_F(ClickHouseStoreTest, TwoWritersOfOneBatchCountOnce) {
  auto a = Open("s", {TimeZone::Utc()});
  auto b = Open("s", {});
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->PutPoint(Point("p")).ok());
  auto wa = a->BeginIngest({"same", "p", "writer a"});
  auto wb = b->BeginIngest({"same", "p", "writer b"});
  ASSERT_TRUE(wa.ok() && wb.ok());
  // Different contents, so the answer shows which attempt counts.
  ASSERT_TRUE((*wa)
                  ->Add(std::vector<AccessRecord>{Rec(Utc(2009, 3, 8, 1, 0), 1),
                                                  Rec(Utc(2009, 3, 8, 1, 0), 2)})
                  .ok());
  ASSERT_TRUE((*wb)->Add(std::vector<AccessRecord>{Rec(Utc(2009, 3, 8, 1, 0), 3)}).ok());
  ASSERT_TRUE((*wb)->Commit("{\"by\":\"b\"}").ok());
  ASSERT_TRUE((*wa)->Commit("{\"by\":\"a\"}").ok());
  wa = Result<std::unique_ptr<IngestWriter>>(Status::Internal("done"));
  wb = Result<std::unique_ptr<IngestWriter>>(Status::Internal("done"));
  Figures want = {{{kMar8, "p", "445/tcp"}, {1, 1}}};  // b committed first
  for (Store* s : {a.get(), b.get()}) {
    EXPECT_EQ(TotalsOf(*s, TimeZone::Utc(), kMar7, kMar9), want);
    auto ledger = s->Ledger();
    ASSERT_TRUE(ledger.ok());
    ASSERT_EQ(ledger->size(), 1u);
    EXPECT_EQ((*ledger)[0].origin, "writer b");
    EXPECT_EQ((*ledger)[0].summary_json, "{\"by\":\"b\"}");
    EXPECT_EQ((*ledger)[0].accesses, 1u);
    EXPECT_TRUE(Ingest(*s, "same", "p", {Rec(Utc(2009, 3, 8, 1, 0), 4)}).IsAlreadyExists());
  }
  // A zone built later sees the same one attempt's raw records.
  ASSERT_TRUE(a->EnsureZone(Zone("Asia/Tokyo")).ok());
  Figures tokyo = {{{kMar8, "p", "445/tcp"}, {1, 1}}};
  EXPECT_EQ(TotalsOf(*b, Zone("Asia/Tokyo"), kMar7, kMar9), tokyo);
}

// Every other INSERT's answer is lost after the server stored it: the
// writer's retries find the rows there and send nothing twice.
TEST_F(ClickHouseStoreTest, RetriesAfterLostAnswersDoNotDoubleCount) {
  AnswerDroppingProxy proxy(server_->http_port());
  ASSERT_NE(proxy.port(), 0);
  ClickHouseOptions o = Options("s");
  o.port = proxy.port();
  auto opened = OpenClickHouseStore(o, {TimeZone::Utc()});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  ASSERT_TRUE(store.PutPoint(Point("p")).ok());
  std::vector<AccessRecord> recs;
  std::map<uint32_t, uint64_t> per_source;
  for (uint32_t i = 0; i < 300000; ++i) {  // two raw INSERTs
    recs.push_back(Rec(Utc(2009, 3, 8, 0, 0) + int64_t{i} * 100000, i % 777));
    ++per_source[i % 777];
  }
  ASSERT_TRUE(Ingest(store, "b", "p", recs).ok());
  EXPECT_GE(proxy.dropped(), 4);
  Figures want = {{{kMar8, "p", "445/tcp"}, {300000, 777}}};
  EXPECT_EQ(TotalsOf(store, TimeZone::Utc(), kMar7, kMar9), want);
  EXPECT_EQ(Q("SELECT count() FROM s.raw"), "300000\n");
  EXPECT_EQ(Q("SELECT count() FROM s.source_days"), "777\n");
  EXPECT_EQ(store.Ledger()->size(), 1u);
  auto scan = ScanOf(store, TimeZone::Utc(), kMar8, kMar8);
  ASSERT_EQ(scan.size(), 1u);
  ASSERT_EQ(scan[0].rows.size(), 777u);
  for (const auto& [source, accesses, first, last] : scan[0].rows) {
    EXPECT_EQ(accesses, per_source[source.V4()]);
  }
  EXPECT_TRUE(Ingest(store, "b", "p", recs).IsAlreadyExists());
}

TEST_F(ClickHouseStoreTest, RetentionDropsOldMonthsOfRawRecords) {
  auto store = Open("s", {TimeZone::Utc()});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutPoint(Point("p")).ok());
  ASSERT_TRUE(Ingest(*store, "march", "p", {Rec(Utc(2009, 3, 8, 1, 0), 1)}).ok());
  ASSERT_TRUE(
      Ingest(*store, "may", "p", {Rec(Utc(2009, 5, 31, 23, 0), 2), Rec(Utc(2009, 6, 1, 0, 0), 3)})
          .ok());
  const int32_t first = DaysFromCivil({2009, 3, 1}), last = DaysFromCivil({2009, 6, 30});
  const Figures before = TotalsOf(*store, TimeZone::Utc(), first, last);
  ASSERT_EQ(before.size(), 3u);
  // On 2009-07-15 with 2 months kept: May, June and July stay, March goes.
  ClickHouseOptions o = Options("s");
  o.retention_months = 2;
  auto dropped = ApplyClickHouseRetention(o, Utc(2009, 7, 15, 12, 0));
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, std::vector<uint32_t>{200903});
  EXPECT_EQ(Q("SELECT count() FROM s.raw"), "2\n");
  // The days are kept; a zone can no longer be built from what is left.
  EXPECT_EQ(TotalsOf(*store, TimeZone::Utc(), first, last), before);
  Status st = store->EnsureZone(Zone("Asia/Tokyo"));
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_NE(st.message().find("retention"), std::string::npos) << st.message();
  EXPECT_EQ(store->Zones()->size(), 1u);
  // Opening with retention_months runs it against the clock: 2009 is long gone.
  auto reopened = Open("s", {}, 1);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(Q("SELECT count() FROM s.raw"), "0\n");
  EXPECT_EQ(TotalsOf(*reopened, TimeZone::Utc(), first, last), before);
}

// Random batches on several points: Totals and ScanBlocks equal the
// in-memory store's (same order, same rows), in a zone kept from the start
// and in zones built later from the raw records; and both equal a count done
// here.
TEST_F(ClickHouseStoreTest, AgreesWithMemoryStoreOnRandomData) {
  const TimeZone tokyo = Zone("Asia/Tokyo");
  auto ch = Open("s", {tokyo});
  ASSERT_TRUE(ch);
  std::unique_ptr<Store> mem = NewMemoryStore({tokyo});
  std::mt19937_64 rng(20091);
  std::map<std::tuple<int32_t, std::string, uint32_t>, std::map<IpAddress, uint64_t>> want;
  std::vector<std::pair<std::string, std::vector<AccessRecord>>> batches;
  const PortType ports[] = {PortType::Icmp(), PortType::Tcp(22), PortType::Tcp(445),
                            PortType::Udp(1434), PortType::Protocol(47)};
  for (int batch = 0; batch < 9; ++batch) {
    std::string point = "pt" + std::to_string(batch % 4);
    std::vector<AccessRecord> recs;
    const int n = batch == 4 ? 30000 : 3000 + static_cast<int>(rng() % 4000);
    for (int i = 0; i < n; ++i) {
      int64_t t = Utc(2009, 5, 1, 0, 0) - 9 * 3600 * kNanosPerSecond +
                  static_cast<int64_t>(rng() % (31ull * 86400 * kNanosPerSecond));
      AccessRecord r = Rec(t, static_cast<uint32_t>(rng() % 900), ports[rng() % 5]);
      if (i % 53 == 0) r.source = *IpAddress::Parse("2001:db8::" + std::to_string(rng() % 13));
      recs.push_back(r);
      int32_t day = static_cast<int32_t>((t / kNanosPerSecond + 9 * 3600) / 86400);
      ++want[{day, point, r.port_type.Code()}][r.source];
    }
    batches.push_back({point, recs});
  }
  for (Store* s : {ch.get(), mem.get()}) {
    for (const char* p : {"pt3", "pt0", "pt2", "pt1"}) ASSERT_TRUE(s->PutPoint(Point(p)).ok());
  }
  for (size_t i = 0; i < batches.size(); ++i) {
    size_t j = batches.size() - 1 - i;  // another order on each store
    ASSERT_TRUE(Ingest(*ch, "b" + std::to_string(i), batches[i].first, batches[i].second).ok());
    ASSERT_TRUE(Ingest(*mem, "b" + std::to_string(j), batches[j].first, batches[j].second).ok());
  }
  EXPECT_TRUE(Ingest(*ch, "b3", batches[3].first, batches[3].second).IsAlreadyExists());
  const int32_t may1 = DaysFromCivil({2009, 5, 1});
  auto totals = TotalsList(*ch, tokyo, may1 - 1, may1 + 31);
  EXPECT_EQ(totals, TotalsList(*mem, tokyo, may1 - 1, may1 + 31));
  ASSERT_EQ(totals.size(), want.size());
  auto w = want.begin();
  for (size_t i = 0; i < totals.size(); ++i, ++w) {
    uint64_t acc = 0;
    for (auto& [src, n] : w->second) acc += n;
    EXPECT_EQ(totals[i], std::make_tuple(std::get<0>(w->first), std::get<1>(w->first),
                                         std::get<2>(w->first), acc, uint64_t{w->second.size()}));
  }
  EXPECT_EQ(ScanOf(*ch, tokyo, may1 - 1, may1 + 31), ScanOf(*mem, tokyo, may1 - 1, may1 + 31));
  // A narrower range, and zones built later from the raw records.
  EXPECT_EQ(ScanOf(*ch, tokyo, may1 + 3, may1 + 5), ScanOf(*mem, tokyo, may1 + 3, may1 + 5));
  for (const char* name : {"UTC", "America/New_York"}) {
    const TimeZone z = Zone(name);
    for (Store* s : {ch.get(), mem.get()}) ASSERT_TRUE(s->EnsureZone(z).ok());
    EXPECT_EQ(TotalsList(*ch, z, may1 - 2, may1 + 31), TotalsList(*mem, z, may1 - 2, may1 + 31))
        << name;
    EXPECT_EQ(ScanOf(*ch, z, may1 - 2, may1 + 31), ScanOf(*mem, z, may1 - 2, may1 + 31)) << name;
  }
  EXPECT_EQ(*ch->Zones(), *mem->Zones());
  auto l0 = ch->Ledger();
  auto l1 = mem->Ledger();
  ASSERT_TRUE(l0.ok() && l1.ok());
  EXPECT_EQ(l0->size(), 9u);
  EXPECT_EQ(l1->size(), 9u);
}

}  // namespace
}  // namespace scanscope
