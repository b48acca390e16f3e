#pragma once
// The port knowledge base: what a port type is, why it is scanned, and the
// worms, botnets and vulnerabilities known to use it, for the report's
// section 5 and the findings' paragraphs. Loaded from TOML files
// (data/ports.toml ships with scanscope, hand-reviewed; docs/ports.md gives
// the format); users add their own files, which override entries of earlier
// ones port by port.
//
// File format: one [[port]] table per entry
//   [[port]]
//   port = "445/tcp"            # or "ICMP", "proto-47", or a range
//                               # "1026-1028/udp" (one entry per port)
//   service = "..."             # required
//   description = "..."         # required: why attackers probe it
//   advisories = ["MS08-067", "CVE-2017-0144"]   # optional
//   malware = ["Conficker", "WannaCry"]           # optional
//   references = ["https://..."]                  # sources of the facts

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "record/port_type.h"

namespace scanscope {

struct PortDescription {
  std::string port;  // canonical port type: "445/tcp", "ICMP", "proto-47"
  std::string service;
  std::string description;
  std::vector<std::string> references;
  // Beyond the description: the ids it names, as lists.
  std::vector<std::string> advisories;  // CVE ids and vendor advisories
  std::vector<std::string> malware;     // worms, botnets, tools
  std::string source;                   // "file:line" the entry came from
};

class PortKnowledge {
 public:
  PortKnowledge() = default;

  // Loads `files` in order; an entry of a later file replaces the entry of
  // an earlier one for the same port type. InvalidArgument naming the file
  // and line for TOML syntax errors, entries without a port, service or
  // description, ports that do not parse, and a port listed twice in one
  // file; NotFound for a missing file.
  static Result<PortKnowledge> Load(const std::vector<std::string>& files);

  // The entry for a port type as PortType::ToString writes it ("445/tcp",
  // "ICMP"); other spellings that parse ("445/TCP", "icmp") are accepted.
  // nullptr when there is none. The pointer lives as long as this object.
  const PortDescription* Find(const std::string& port_type) const;
  const PortDescription* Find(PortType port_type) const;

  size_t size() const { return entries_.size(); }
  // Every entry, ordered by port type code (TCP ports, UDP ports, ICMP, ...).
  std::vector<const PortDescription*> Entries() const;

 private:
  std::map<PortType, PortDescription> entries_;
};

// data/ports.toml: $SCANSCOPE_PORTS when set (a list separated by ':' may
// name several files, later ones overriding), else the copy in the source
// tree, looked for beside the running binary's ancestors, the source tree
// the binary was built from and the working directory. Empty when none is
// found (the report then has no descriptions and says so).
std::vector<std::string> DefaultPortKnowledgeFiles();

}  // namespace scanscope
