#include "support/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace scanscope::testing {
namespace {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string NsPath(const std::string& ns) { return "/var/run/netns/" + ns; }

std::string Hex(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", n);
  return buf;
}

}  // namespace

void PollSleep() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

bool CanBuildNetworks(std::string* why) {
  if (geteuid() != 0) {
    *why = "needs root to build network namespaces";
    return false;
  }
  // Try it: a namespace with a veth pair inside, removed at once.
  static std::atomic<int> probes{0};
  std::string ns = "ss" + Hex(static_cast<int>(getpid())) + "probe" + Hex(probes++);
  CommandResult r = RunCommand("ip netns add " + ns + " && ip -n " + ns +
                               " link add probe0 type veth peer name probe1");
  RunCommand("ip netns del " + ns);
  if (r.exit_code != 0) {
    *why = "cannot build network namespaces here (ip netns add / veth): " + r.err;
    return false;
  }
  return true;
}

std::string NetworkLeftovers(const std::string& suffix) {
  std::string out;
  for (const char* cmd : {"ip netns list", "ip -o link"}) {
    CommandResult r = RunCommand(cmd);
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find(suffix) != std::string::npos) out += std::string(cmd) + ": " + line + "\n";
    }
  }
  return out;
}

// ---- NsProcess ---------------------------------------------------------------

NsProcess::~NsProcess() { Kill(); }

std::string NsProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void NsProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

bool NsProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_ = -1;
  return false;
}

int NsProcess::Wait(std::chrono::milliseconds timeout) {
  if (!PollUntil(timeout, [&] { return !Running(); })) return -1;
  return exit_code_;
}

void NsProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_ = -1;
}

bool NsProcess::WaitForLog(const std::string& text, std::chrono::milliseconds timeout,
                           size_t from) {
  auto found = [&] {
    std::string log = Log();
    return log.size() > from && log.find(text, from) != std::string::npos;
  };
  bool exited = false;
  PollUntil(timeout, [&] {
    if (found()) return true;
    exited = !Running();
    return exited;  // no use waiting for a line from a process that has gone
  });
  return found();  // one last read: the line may have landed just before an exit
}

// ---- TestNetwork -------------------------------------------------------------

std::unique_ptr<TestNetwork> TestNetwork::Create(int sensors, int extra_sources,
                                                 std::string* error) {
  std::unique_ptr<TestNetwork> net(new TestNetwork());
  static std::atomic<int> counter{0};
  net->suffix_ = "ss" + Hex(static_cast<int>(getpid())) + "x" + Hex(counter++);
  if (!net->Build(sensors, extra_sources, error)) return nullptr;  // destructor cleans up
  return net;
}

TestNetwork::~TestNetwork() {
  // Processes still inside our namespaces (a test that failed before
  // stopping what it started): kill them by the pids `ip netns pids` names,
  // then delete the namespaces, which removes their interfaces.
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    RunCommand("ip netns pids " + *it + " | xargs -r kill -9");
  }
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    RunCommand("ip netns del " + *it);
  }
}

bool TestNetwork::Sh(const std::string& command, std::string* error) const {
  CommandResult r = RunCommand(command);
  if (r.exit_code != 0) {
    *error = "`" + command + "` failed (" + std::to_string(r.exit_code) + "): " + r.err;
    return false;
  }
  return true;
}

bool TestNetwork::ReadLink(NetHost* host, std::string* error) const {
  CommandResult r = RunCommand("ip -n " + host->ns + " -o link show " + host->interface);
  if (r.exit_code != 0) {
    *error = "cannot read " + host->interface + " in " + host->ns + ": " + r.err;
    return false;
  }
  host->ifindex = std::atoi(r.out.c_str());
  size_t at = r.out.find("link/ether ");
  if (at == std::string::npos || host->ifindex <= 0) {
    *error = "no MAC or index in: " + r.out;
    return false;
  }
  host->mac = r.out.substr(at + 11, 17);
  return true;
}

bool TestNetwork::Build(int sensors, int extra_sources, std::string* error) {
  if (sensors < 1 || sensors > 8 || extra_sources < 1 || extra_sources > 50) {
    *error = "sensors must be 1..8 and extra_sources 1..50";
    return false;
  }
  auto add_ns = [&](const std::string& role) -> std::string {
    std::string ns = suffix_ + "-" + role;
    if (!Sh("ip netns add " + ns, error)) return "";
    namespaces_.push_back(ns);
    // Addresses usable at once (no duplicate address detection), loopback up.
    if (!Sh("ip netns exec " + ns +
                " sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0",
            error) ||
        !Sh("ip -n " + ns + " link set lo up", error)) {
      return "";
    }
    return ns;
  };
  wire_ns_ = add_ns("wire");
  if (wire_ns_.empty()) return false;
  const std::string w = "ip -n " + wire_ns_ + " ";
  for (const char* br : {"brscan", "brmgmt"}) {
    if (!Sh(w + "link add " + br + " type bridge", error) ||
        !Sh(w + "link set " + br + " up", error)) {
      return false;
    }
  }
  // A veth from bridge `bridge` in wire (named `port`) to `dev` in `ns`.
  auto plug = [&](const std::string& bridge, const std::string& port, const std::string& ns,
                  const std::string& dev) {
    return Sh(w + "link add " + port + " type veth peer name " + dev + " netns " + ns, error) &&
           Sh(w + "link set " + port + " master " + bridge + " up", error) &&
           Sh("ip -n " + ns + " link set " + dev + " up", error);
  };
  auto addr = [&](const std::string& ns, const std::string& a, const std::string& dev) {
    bool v6 = a.find(':') != std::string::npos;
    return Sh("ip -n " + ns + " addr add " + a + " dev " + dev + (v6 ? " nodad" : ""), error);
  };

  scanner_.name = "scanner";
  scanner_.ns = add_ns("scan");
  if (scanner_.ns.empty()) return false;
  scanner_.interface = "eth0";
  scanner_.wire_port = "scan";
  scanner_.v4 = "192.0.2.1";
  scanner_.v6 = "2001:db8:1::1";
  if (!plug("brscan", "scan", scanner_.ns, "eth0") ||
      !addr(scanner_.ns, scanner_.v4 + "/24", "eth0") ||
      !addr(scanner_.ns, scanner_.v6 + "/64", "eth0") || !ReadLink(&scanner_, error)) {
    return false;
  }
  v4_sources_ = {scanner_.v4};
  v6_sources_ = {scanner_.v6};
  for (int k = 0; k < extra_sources; ++k) {
    std::string a4 = "198.51.100." + std::to_string(10 + k);
    std::string a6 = "2001:db8:ff::" + Hex(0x10 + k);
    if (!addr(scanner_.ns, a4 + "/32", "eth0") || !addr(scanner_.ns, a6 + "/128", "eth0")) {
      return false;
    }
    v4_sources_.push_back(a4);
    v6_sources_.push_back(a6);
  }

  collector_.name = "collector";
  collector_.ns = add_ns("col");
  if (collector_.ns.empty()) return false;
  collector_.interface = "eth0";
  collector_.wire_port = "col";
  collector_.v4 = "203.0.113.1";
  if (!plug("brmgmt", "col", collector_.ns, "eth0") ||
      !addr(collector_.ns, collector_.v4 + "/24", "eth0") || !ReadLink(&collector_, error)) {
    return false;
  }

  for (int i = 1; i <= sensors; ++i) {
    NetHost s;
    s.name = "sensor-" + std::to_string(i);
    s.ns = add_ns("s" + std::to_string(i));
    if (s.ns.empty()) return false;
    s.interface = "eth0";
    s.wire_port = "s" + std::to_string(i);
    s.v4 = "192.0.2." + std::to_string(10 + i);
    s.v6 = "2001:db8:1::" + Hex(0x10 + i);
    s.mgmt_interface = "mgmt0";
    s.wire_mgmt_port = "m" + std::to_string(i);
    s.mgmt_v4 = "203.0.113." + std::to_string(10 + i);
    if (!plug("brscan", s.wire_port, s.ns, "eth0") || !addr(s.ns, s.v4 + "/24", "eth0") ||
        !addr(s.ns, s.v6 + "/64", "eth0") ||
        !Sh("ip -n " + s.ns + " route add 198.51.100.0/24 via " + scanner_.v4, error) ||
        !Sh("ip -n " + s.ns + " -6 route add 2001:db8:ff::/64 via " + scanner_.v6, error) ||
        !plug("brmgmt", s.wire_mgmt_port, s.ns, "mgmt0") ||
        !addr(s.ns, s.mgmt_v4 + "/24", "mgmt0") || !ReadLink(&s, error)) {
      return false;
    }
    sensors_.push_back(s);
  }
  return true;
}

CommandResult TestNetwork::Run(const std::string& ns, const std::string& command) const {
  return RunCommand("ip netns exec " + ns + " sh -c " + ShellQuote(command));
}

std::unique_ptr<NsProcess> TestNetwork::Spawn(const std::string& ns,
                                              const std::vector<std::string>& argv,
                                              const std::string& log_path) const {
  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls (the test process has threads).
  int ns_fd = open(NsPath(ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) return nullptr;
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Dies with the test process, so a crashed test leaves no daemon.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(ns_fd);
  close(log_fd);
  close(null_fd);
  if (pid < 0) return nullptr;
  return std::unique_ptr<NsProcess>(new NsProcess(pid, log_path));
}

int TestNetwork::SocketIn(const std::string& ns, int domain, int type, int protocol) const {
  int result = -1, saved_errno = 0;
  // setns(2) moves only the calling thread; a socket keeps the namespace it
  // was made in, so a short-lived thread makes it and the test uses it.
  std::thread t([&] {
    int fd = open(NsPath(ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      saved_errno = errno;
      if (fd >= 0) close(fd);
      return;
    }
    close(fd);
    result = socket(domain, type | SOCK_CLOEXEC, protocol);
    saved_errno = errno;
  });
  t.join();
  errno = saved_errno;
  return result;
}

bool TestNetwork::CanConnect(const std::string& from_ns, const std::string& to_ns,
                             const std::string& address, std::chrono::milliseconds timeout) const {
  int server = SocketIn(to_ns, AF_INET, SOCK_STREAM, 0);
  int client = SocketIn(from_ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  inet_pton(AF_INET, address.c_str(), &at.sin_addr);
  socklen_t len = sizeof at;
  bool ok = server >= 0 && client >= 0 &&
            bind(server, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0 &&
            listen(server, 4) == 0 &&
            getsockname(server, reinterpret_cast<sockaddr*>(&at), &len) == 0;
  if (ok) {
    int rc = connect(client, reinterpret_cast<sockaddr*>(&at), sizeof at);
    if (rc != 0 && errno != EINPROGRESS) {
      ok = false;
    } else if (rc != 0) {
      pollfd p{client, POLLOUT, 0};
      int err = 0;
      socklen_t elen = sizeof err;
      ok = poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
           getsockopt(client, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0;
    }
  }
  if (server >= 0) close(server);
  if (client >= 0) close(client);
  return ok;
}

bool TestNetwork::SetLink(const std::string& ns, const std::string& dev, bool up) const {
  std::string error;
  return Sh("ip -n " + ns + " link set " + dev + (up ? " up" : " down"), &error);
}

bool TestNetwork::SetCollectorLink(int i, bool up) const {
  return SetLink(wire_ns_, sensors_.at(i).wire_mgmt_port, up);
}

}  // namespace scanscope::testing
