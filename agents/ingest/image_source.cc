#include "ingest/image_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace oncoatlas::agent {

namespace fs = std::filesystem;

Result<std::vector<std::string>> FolderSource::List() {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) {
    return NotFoundError("import folder " + root_ +
                         " does not exist or is not a directory; check the Dataset's source");
  }
  std::vector<std::string> keys;
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec);
  if (ec) return UnavailableError("cannot read import folder " + root_ + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return UnavailableError("cannot read import folder " + root_ + ": " + ec.message());
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    keys.push_back(fs::relative(it->path(), root_, ec).generic_string());
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

Result<std::string> FolderSource::Fetch(const std::string& key) {
  fs::path rel(key);
  for (const auto& part : rel) {
    if (part == "..") return InvalidArgumentError("source key '" + key + "' leaves the import folder");
  }
  if (rel.is_absolute()) return InvalidArgumentError("source key '" + key + "' is absolute");
  std::ifstream in(fs::path(root_) / rel, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + (fs::path(root_) / rel).string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace oncoatlas::agent
