#pragma once
// A stable colour per port type and per source area: the same name gets the
// same colour in every chart of a report and in every month's report, so a
// reader follows 445/tcp or "China" across charts by colour alone.

#include <string>
#include <string_view>

namespace scanscope {

// "#rrggbb" for a port type ("445/tcp", "ICMP") or an area name ("Japan").
// Names that scanners hit most have fixed, well-separated colours; any other
// name gets one from a hash (FNV-1a) of the name into a 40-colour wheel.
// "Others" is grey and "Unknown" a darker grey.
std::string ColorFor(std::string_view name);

}  // namespace scanscope
