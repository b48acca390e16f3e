#include "common/toml_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace scanscope {
namespace {

std::string WriteTemp(const std::string& text) {
  char name[] = "/tmp/scanscope-toml-XXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(name) << text;
  return name;
}

TEST(TomlFile, ParseErrorsNamePathLineAndColumn) {
  std::string path = WriteTemp("a = 1\nb = = 2\n");
  Result<toml::table> t = ParseTomlFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message().rfind(path + ":2:", 0), 0u) << t.status().message();
  std::remove(path.c_str());
}

TEST(TomlFile, MissingFileIsNotFound) {
  Result<toml::table> t = ParseTomlFile("/nonexistent/scanscope.toml");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
}

TEST(TomlFile, UnknownKeysAreRefusedWithTheirLine) {
  std::string path = WriteTemp("db = \"x.db\"\nlisten = \"127.0.0.1:0\"\nlsiten = \"oops\"\n");
  Result<toml::table> t = ParseTomlFile(path);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(RejectUnknownTomlKeys(path, *t, "settings", {"db", "listen", "lsiten"}).ok());
  Status st = RejectUnknownTomlKeys(path, *t, "settings", {"db", "listen"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), path + ":3: unknown key 'lsiten' in settings (known: db, listen)");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace scanscope
