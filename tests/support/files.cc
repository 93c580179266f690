#include "support/files.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>

namespace oncoatlas::testing {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::filesystem::path& path, std::string_view contents) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

Result<std::string> MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return InternalError("mkdtemp failed for " + tmpl);
  return tmpl;
}

TempDir::TempDir(const std::string& prefix) {
  auto dir = MakeTempDir(prefix);
  EXPECT_TRUE(dir.ok()) << dir.status().ToString();
  if (dir.ok()) path_ = *dir;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, std::string_view contents) const {
  const std::string p = path_ + "/" + name;
  WriteFile(p, contents);
  return p;
}

}  // namespace oncoatlas::testing
