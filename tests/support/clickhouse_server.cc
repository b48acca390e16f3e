#include "support/clickhouse_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace scanscope::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStartDeadline = std::chrono::seconds(30);
constexpr auto kStopDeadline = std::chrono::seconds(15);
constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr int kStartAttempts = 5;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// `count` distinct free loopback ports: all bound to port 0 at once, then
// released, so they differ from each other. Another process may still take
// one before the server binds it; the caller retries on a bind failure.
bool PickFreePorts(size_t count, std::vector<int>* ports, std::string* error) {
  std::vector<int> fds;
  bool ok = true;
  for (size_t i = 0; i < count && ok; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ok = false;
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ok = false;
      break;
    }
    ports->push_back(ntohs(addr.sin_port));
  }
  if (!ok) *error = std::string("cannot pick a free port: ") + std::strerror(errno);
  for (int fd : fds) close(fd);
  return ok;
}

std::string ServerBinary() {
  if (const char* env = std::getenv("SCANSCOPE_CLICKHOUSE_SERVER"); env != nullptr && *env) {
    return env;
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      std::string candidate = dir + "/clickhouse-server";
      if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "/usr/sbin/clickhouse-server";
}

// Decodes a chunked HTTP body; the input unchanged when it is not well formed.
std::string Dechunk(const std::string& body) {
  std::string out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) return body;
    size_t size = std::strtoul(body.substr(pos, eol - pos).c_str(), nullptr, 16);
    if (size == 0) return out;
    if (eol + 2 + size > body.size()) return body;
    out.append(body, eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return out;
}

}  // namespace

HttpResult HttpRequest(int port, const std::string& method, const std::string& target,
                       const std::string& body) {
  HttpResult result;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    result.body = std::string("socket: ") + std::strerror(errno);
    return result;
  }
  timeval timeout{.tv_sec = 60, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    result.body = std::string("connect: ") + std::strerror(errno);
    close(fd);
    return result;
  }
  std::string request = method + " " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" +
                        "Content-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n" + body;
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      result.body = std::string("send: ") + std::strerror(errno);
      close(fd);
      return result;
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.body = std::string("recv: ") + std::strerror(errno);
      close(fd);
      return result;
    }
    if (n == 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/", 0) != 0 || head_end == std::string::npos) {
    result.body = "malformed HTTP response: " + Tail(response, 200);
    return result;
  }
  size_t space = response.find(' ');
  result.status = std::atoi(response.c_str() + space + 1);
  std::string head = response.substr(0, head_end);
  result.body = response.substr(head_end + 4);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    result.body = Dechunk(result.body);
  }
  return result;
}

std::unique_ptr<ClickHouseServer> ClickHouseServer::Start(std::string* error) {
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    std::unique_ptr<ClickHouseServer> server(new ClickHouseServer());
    std::vector<int> ports;
    if (!PickFreePorts(3, &ports, error)) return nullptr;
    server->ports_ = {ports[0], ports[1], ports[2]};
    if (!server->WriteConfig("", error) || !server->Launch(error)) return nullptr;
    bool bind_failed = false;
    if (server->WaitReady(&bind_failed, error)) return server;
    if (!bind_failed) return nullptr;
  }
  return nullptr;
}

ClickHouseServer::~ClickHouseServer() { Stop(); }

std::string ClickHouseServer::Url(const std::string& database) const {
  return "clickhouse://127.0.0.1:" + std::to_string(ports_.http) + "/" + database;
}

bool ClickHouseServer::Query(const std::string& sql, std::string* out, std::string* error) const {
  HttpResult r = HttpRequest(ports_.http, "POST", "/", sql);
  if (r.status == 200) {
    if (out != nullptr) *out = r.body;
    return true;
  }
  if (error != nullptr) *error = "HTTP " + std::to_string(r.status) + ": " + r.body;
  return false;
}

std::string ClickHouseServer::QueryOrError(const std::string& sql) const {
  std::string out, error;
  return Query(sql, &out, &error) ? out : "ERROR: " + error;
}

std::string ClickHouseServer::LogTail(size_t bytes) const {
  return "--- " + dir_.File("log/server.err.log") + " (tail)\n" +
         Tail(ReadFile(dir_.File("log/server.err.log")), bytes) + "\n--- " +
         dir_.File("log/stdout") + " (tail)\n" + Tail(ReadFile(dir_.File("log/stdout")), bytes);
}

bool ClickHouseServer::WriteConfig(const std::string& remote_servers_xml, std::string* error) {
  const std::string& d = dir_.path();
  for (const char* sub : {"data", "tmp", "user_files", "format_schemas", "log"}) {
    std::error_code ec;
    std::filesystem::create_directories(d + "/" + sub, ec);
    if (ec) {
      *error = "cannot create " + d + "/" + sub + ": " + ec.message();
      return false;
    }
  }
  // Keys as in 18.16's own sample, /etc/clickhouse-server/config.xml; no
  // `incl` (no /etc/metrika.xml), no system log tables, small caches.
  std::string config = "<?xml version=\"1.0\"?>\n<yandex>\n";
  config += "  <logger>\n    <level>information</level>\n    <log>" + d +
            "/log/server.log</log>\n    <errorlog>" + d +
            "/log/server.err.log</errorlog>\n    <size>100M</size>\n    <count>1</count>\n"
            "  </logger>\n";
  config += "  <http_port>" + std::to_string(ports_.http) + "</http_port>\n";
  config += "  <tcp_port>" + std::to_string(ports_.tcp) + "</tcp_port>\n";
  config += "  <interserver_http_port>" + std::to_string(ports_.interserver) +
            "</interserver_http_port>\n";
  config += "  <interserver_http_host>127.0.0.1</interserver_http_host>\n";
  config += "  <listen_host>127.0.0.1</listen_host>\n";
  config +=
      "  <max_connections>256</max_connections>\n  <keep_alive_timeout>3</keep_alive_timeout>\n";
  config += "  <max_concurrent_queries>64</max_concurrent_queries>\n";
  config += "  <uncompressed_cache_size>268435456</uncompressed_cache_size>\n";
  config += "  <mark_cache_size>268435456</mark_cache_size>\n";
  config += "  <path>" + d + "/data/</path>\n";
  config += "  <tmp_path>" + d + "/tmp/</tmp_path>\n";
  config += "  <user_files_path>" + d + "/user_files/</user_files_path>\n";
  config += "  <format_schema_path>" + d + "/format_schemas/</format_schema_path>\n";
  config += "  <users_config>" + d + "/users.xml</users_config>\n";
  config += "  <default_profile>default</default_profile>\n";
  config += "  <default_database>default</default_database>\n";
  config += "  <mlock_executable>false</mlock_executable>\n";
  config += "  <remote_servers>\n" + remote_servers_xml + "  </remote_servers>\n";
  config += "</yandex>\n";
  const std::string users =
      "<?xml version=\"1.0\"?>\n<yandex>\n"
      "  <profiles>\n"
      "    <default>\n"
      "      <max_memory_usage>4000000000</max_memory_usage>\n"
      "      <use_uncompressed_cache>0</use_uncompressed_cache>\n"
      "      <load_balancing>random</load_balancing>\n"
      "    </default>\n"
      "  </profiles>\n"
      "  <users>\n"
      "    <default>\n"
      "      <password></password>\n"
      "      <networks>\n        <ip>127.0.0.1</ip>\n        <ip>::1</ip>\n      </networks>\n"
      "      <profile>default</profile>\n"
      "      <quota>default</quota>\n"
      "    </default>\n"
      // A user with a password, for the tests of how it is sent.
      "    <scanscope>\n"
      "      <password>s3cret word</password>\n"
      "      <networks>\n        <ip>127.0.0.1</ip>\n        <ip>::1</ip>\n      </networks>\n"
      "      <profile>default</profile>\n"
      "      <quota>default</quota>\n"
      "    </scanscope>\n"
      "  </users>\n"
      "  <quotas>\n"
      "    <default>\n"
      "      <interval>\n"
      "        <duration>3600</duration>\n        <queries>0</queries>\n"
      "        <errors>0</errors>\n        <result_rows>0</result_rows>\n"
      "        <read_rows>0</read_rows>\n        <execution_time>0</execution_time>\n"
      "      </interval>\n"
      "    </default>\n"
      "  </quotas>\n"
      "</yandex>\n";
  if (!WriteFile(dir_.File("config.xml"), config) || !WriteFile(dir_.File("users.xml"), users)) {
    *error = "cannot write the server config into " + d;
    return false;
  }
  return true;
}

bool ClickHouseServer::Launch(std::string* error) {
  const std::string binary = ServerBinary();
  if (access(binary.c_str(), X_OK) != 0) {
    *error = "no clickhouse-server at " + binary + " (scripts/setup.sh installs it)";
    return false;
  }
  const std::string config_arg = "--config-file=" + dir_.File("config.xml");
  const std::string log = dir_.File("log/stdout");
  // Everything the child needs is prepared before fork.
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()),
                             const_cast<char*>(config_arg.c_str()), nullptr};
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      if (fd > STDERR_FILENO) close(fd);
    }
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, STDIN_FILENO);
    if (chdir(dir_.path().c_str()) != 0) _exit(127);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  pid_ = pid;
  return true;
}

bool ClickHouseServer::WaitReady(bool* bind_failed, std::string* error) {
  *bind_failed = false;
  const auto deadline = Clock::now() + kStartDeadline;
  while (Clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      std::string logs = LogTail();
      *bind_failed = logs.find("Address already in use") != std::string::npos;
      *error = "clickhouse-server (http port " + std::to_string(ports_.http) +
               ") exited during start-up (status " + std::to_string(status) + ")\n" + logs;
      return false;
    }
    HttpResult ping = HttpRequest(ports_.http, "GET", "/ping", "");
    if (ping.status == 200 && ping.body == "Ok.\n") return true;
    std::this_thread::sleep_for(kPollInterval);
  }
  *error = "clickhouse-server (http port " + std::to_string(ports_.http) +
           ") did not answer /ping within 30 s\n" + LogTail();
  Stop();
  return false;
}

void ClickHouseServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + kStopDeadline;
  while (Clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::unique_ptr<ClickHouseCluster> ClickHouseCluster::StartTwoShards(std::string* error) {
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    std::unique_ptr<ClickHouseCluster> cluster(new ClickHouseCluster());
    std::vector<int> ports;
    if (!PickFreePorts(6, &ports, error)) return nullptr;
    std::string shards;
    for (int i = 0; i < 2; ++i) {
      cluster->servers_.emplace_back(new ClickHouseServer());
      cluster->servers_[i]->ports_ = {ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]};
      shards +=
          "      <shard>\n        <replica>\n          <host>127.0.0.1</host>\n"
          "          <port>" +
          std::to_string(ports[3 * i + 1]) + "</port>\n        </replica>\n      </shard>\n";
    }
    const std::string remote = std::string("    <") + kTwoShardsCluster + ">\n" + shards +
                               "    </" + kTwoShardsCluster + ">\n";
    for (auto& server : cluster->servers_) {
      if (!server->WriteConfig(remote, error)) return nullptr;
    }
    for (auto& server : cluster->servers_) {
      if (!server->Launch(error)) return nullptr;
    }
    bool retry = false;
    bool ok = true;
    for (auto& server : cluster->servers_) {
      bool bind_failed = false;
      if (!server->WaitReady(&bind_failed, error)) {
        ok = false;
        retry = retry || bind_failed;
      }
    }
    if (ok) return cluster;
    if (!retry) return nullptr;
  }
  return nullptr;
}

std::string ClickHouseCluster::Url(const std::string& database) const {
  return server(0).Url(database) + "?cluster=" + kTwoShardsCluster +
         "&nodes=127.0.0.1:" + std::to_string(server(0).http_port()) +
         ",127.0.0.1:" + std::to_string(server(1).http_port());
}

}  // namespace scanscope::testing
