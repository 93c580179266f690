// Files for tests: read a whole file, write one (its folders created), make a
// fresh temporary folder, and TempDir, a temporary folder removed with all it
// holds when it goes out of scope. Thread-compatible: each call touches only
// the paths it is given.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace oncoatlas::testing {

// The bytes of `path`; empty when it cannot be read.
std::string ReadFile(const std::filesystem::path& path);

// Writes `contents` to `path`, creating its parent folders.
void WriteFile(const std::filesystem::path& path, std::string_view contents);

// A new, empty folder <temp>/<prefix>XXXXXX (mkdtemp).
Result<std::string> MakeTempDir(const std::string& prefix);

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "oncoatlas-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `name` (a relative path) below the folder; returns its full path.
  std::string Write(const std::string& name, std::string_view contents) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace oncoatlas::testing
