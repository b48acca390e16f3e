#include "report/port_knowledge.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>

#include "common/shipped_file.h"

namespace scanscope {

namespace {

namespace fs = std::filesystem;

// The most ports one range entry may expand to (a typo like "1-65535/tcp"
// should be an error, not 65,535 entries).
constexpr unsigned kMaxRange = 256;

// "445/TCP", "icmp", " 445/tcp " -> the PortType; nullopt if it is none.
std::optional<PortType> ParseLoose(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "icmp") return PortType::Icmp();
  return PortType::Parse(lower);
}

// "445/tcp" -> {445/tcp}; "1026-1028/udp" -> {1026/udp, 1027/udp, 1028/udp}.
// Empty on a malformed text; *error says why.
std::vector<PortType> ExpandPort(std::string_view text, std::string* error) {
  size_t dash = text.find('-');
  size_t slash = text.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash ||
      text.starts_with("proto-")) {
    if (auto p = ParseLoose(text)) return {*p};
    *error =
        fmt::format("port \"{}\" is not a port type (\"445/tcp\", \"ICMP\", \"proto-47\")", text);
    return {};
  }
  auto number = [](std::string_view digits) -> std::optional<unsigned> {
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || v > 65535)
      return std::nullopt;
    return v;
  };
  auto first = number(text.substr(0, dash));
  auto last = number(text.substr(dash + 1, slash - dash - 1));
  auto proto = ParseLoose(fmt::format("0{}", text.substr(slash)));
  if (!first || !last || !proto || *last < *first) {
    *error = fmt::format("port range \"{}\" is not FIRST-LAST/tcp or FIRST-LAST/udp", text);
    return {};
  }
  if (*last - *first + 1 > kMaxRange) {
    *error = fmt::format("port range \"{}\" spans more than {} ports", text, kMaxRange);
    return {};
  }
  std::vector<PortType> out;
  for (unsigned p = *first; p <= *last; ++p) {
    auto v = static_cast<uint16_t>(p);
    out.push_back(proto->kind() == PortKind::kTcp ? PortType::Tcp(v) : PortType::Udp(v));
  }
  return out;
}

// Reads an optional array of strings; false (with *error) if it is not one.
bool ReadStrings(const toml::table& t, std::string_view key, std::vector<std::string>* out,
                 const std::string& where, std::string* error) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  const toml::array* arr = n->as_array();
  if (arr == nullptr) {
    *error =
        fmt::format("{}:{}: '{}' must be an array of strings", where, n->source().begin.line, key);
    return false;
  }
  for (const toml::node& item : *arr) {
    auto v = item.value<std::string>();
    if (!v || v->empty()) {
      *error = fmt::format("{}:{}: '{}' must hold non-empty strings", where,
                           item.source().begin.line, key);
      return false;
    }
    out->push_back(*v);
  }
  return true;
}

Status LoadFile(const std::string& path, std::map<PortType, PortDescription>* entries) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::NotFound(fmt::format("port knowledge file {}: no such file", path));
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                               e.source().begin.column, e.description()));
  }
  for (const auto& [key, node] : root) {
    if (key.str() != "port") {
      return Status::InvalidArgument(
          fmt::format("{}:{}: unknown key '{}' (entries are [[port]] tables)", path,
                      node.source().begin.line, key.str()));
    }
  }
  const toml::node* ports = root.get("port");
  if (ports == nullptr) return Status::Ok();  // an empty file adds nothing
  const toml::array* arr = ports->as_array();
  if (arr == nullptr || !arr->is_array_of_tables()) {
    return Status::InvalidArgument(
        fmt::format("{}:{}: 'port' must be [[port]] tables", path, ports->source().begin.line));
  }
  std::map<PortType, size_t> line_of;  // ports of this file -> line of their entry
  for (const toml::node& n : *arr) {
    const toml::table& t = *n.as_table();
    const size_t line = t.source().begin.line;
    auto at = [&](std::string_view what) {
      return Status::InvalidArgument(fmt::format("{}:{}: {}", path, line, what));
    };
    for (const auto& [key, value] : t) {
      static constexpr std::string_view kKnown[] = {"port",       "service",    "description",
                                                    "references", "advisories", "malware"};
      bool known = false;
      for (std::string_view k : kKnown) known = known || key.str() == k;
      if (!known) {
        return Status::InvalidArgument(fmt::format("{}:{}: unknown key '{}' in a [[port]] entry",
                                                   path, value.source().begin.line, key.str()));
      }
    }
    auto port_text = t["port"].value<std::string>();
    if (!port_text) return at("[[port]] entry without port = \"445/tcp\"");
    std::string error;
    std::vector<PortType> expanded = ExpandPort(*port_text, &error);
    if (expanded.empty()) return at(error);
    PortDescription d;
    auto service = t["service"].value<std::string>();
    if (!service || service->empty()) return at(fmt::format("{}: no service", *port_text));
    d.service = *service;
    auto description = t["description"].value<std::string>();
    if (!description || description->empty()) {
      return at(fmt::format("{}: no description", *port_text));
    }
    d.description = *description;
    // Multi-line strings keep their line breaks; the report wants prose.
    for (char& c : d.description) {
      if (c == '\n') c = ' ';
    }
    while (!d.description.empty() && d.description.back() == ' ') d.description.pop_back();
    while (!d.description.empty() && d.description.front() == ' ') d.description.erase(0, 1);
    if (!ReadStrings(t, "references", &d.references, path, &error) ||
        !ReadStrings(t, "advisories", &d.advisories, path, &error) ||
        !ReadStrings(t, "malware", &d.malware, path, &error)) {
      return Status::InvalidArgument(error);
    }
    d.source = fmt::format("{}:{}", path, line);
    for (PortType p : expanded) {
      if (auto [it, inserted] = line_of.emplace(p, line); !inserted) {
        return at(fmt::format("{} is listed twice in this file (also at line {})", p.ToString(),
                              it->second));
      }
      PortDescription one = d;
      one.port = p.ToString();
      (*entries)[p] = std::move(one);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<PortKnowledge> PortKnowledge::Load(const std::vector<std::string>& files) {
  PortKnowledge k;
  for (const std::string& f : files) SCANSCOPE_RETURN_IF_ERROR(LoadFile(f, &k.entries_));
  return k;
}

const PortDescription* PortKnowledge::Find(PortType port_type) const {
  auto it = entries_.find(port_type);
  return it == entries_.end() ? nullptr : &it->second;
}

const PortDescription* PortKnowledge::Find(const std::string& port_type) const {
  auto p = ParseLoose(port_type);
  return p ? Find(*p) : nullptr;
}

std::vector<const PortDescription*> PortKnowledge::Entries() const {
  std::vector<const PortDescription*> out;
  out.reserve(entries_.size());
  for (const auto& [port, d] : entries_) out.push_back(&d);
  return out;
}

std::vector<std::string> DefaultPortKnowledgeFiles() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("SCANSCOPE_PORTS"); env != nullptr && *env != '\0') {
    std::string_view list(env);
    while (!list.empty()) {
      size_t colon = list.find(':');
      std::string_view one = list.substr(0, colon);
      if (!one.empty()) out.emplace_back(one);
      if (colon == std::string_view::npos) break;
      list.remove_prefix(colon + 1);
    }
    return out;
  }
  if (auto found = FindShippedFile("data/ports.toml")) out.push_back(*found);
  return out;
}

}  // namespace scanscope
