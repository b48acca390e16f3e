#include "common/shipped_file.h"

#include <filesystem>
#include <vector>

namespace scanscope {

namespace fs = std::filesystem;

std::optional<std::string> FindShippedFile(std::string_view relative) {
  std::error_code ec;
  std::vector<fs::path> roots;
  auto add_ancestors = [&roots](fs::path p) {
    for (int i = 0; i < 6 && !p.empty(); ++i) {
      roots.push_back(p);
      if (p == p.parent_path()) break;
      p = p.parent_path();
    }
  };
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) add_ancestors(exe.parent_path());
  // This file is src/common/shipped_file.cc in the source tree the binary was built from.
  fs::path source(__FILE__);
  if (source.is_absolute()) roots.push_back(source.parent_path().parent_path().parent_path());
  fs::path cwd = fs::current_path(ec);
  if (!ec) add_ancestors(cwd);
  for (const fs::path& root : roots) {
    fs::path candidate = root / fs::path(relative);
    if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
  }
  return std::nullopt;
}

}  // namespace scanscope
