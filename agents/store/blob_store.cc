#include "store/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <memory>

#include "crypto/sha256.h"

namespace oncoatlas::agent {
namespace {

namespace fs = std::filesystem;

bool ValidName(const std::string& sha256) {
  crypto::Digest d;
  return crypto::FromHex(sha256, &d) && sha256 == crypto::ToHex(d);
}

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return InternalError("open " + path + ": " + ErrnoString(errno));
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return InternalError("fsync " + path + ": " + ErrnoString(e));
  return Status::Ok();
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return InternalError("write " + path + ": " + ErrnoString(errno));
    }
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

Result<std::string> ReadAll(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("no stored object " + path);
    return InternalError("open " + path + ": " + ErrnoString(errno));
  }
  std::string out;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return InternalError("read " + path + ": " + ErrnoString(e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<std::unique_ptr<FileBlobStore>> FileBlobStore::Open(const std::string& root) {
  std::error_code ec;
  fs::create_directories(fs::path(root) / "sha256", ec);
  if (ec) return InternalError("cannot create store " + root + ": " + ec.message());
  fs::create_directories(fs::path(root) / "tmp", ec);
  if (ec) return InternalError("cannot create store " + root + ": " + ec.message());
  // Temporaries are never referenced: a crash between write and rename
  // leaves one behind, and the next Put of the same bytes writes it again.
  for (const auto& entry : fs::directory_iterator(fs::path(root) / "tmp", ec)) {
    fs::remove(entry.path(), ec);
  }
  return std::unique_ptr<FileBlobStore>(new FileBlobStore(root));
}

std::string FileBlobStore::PathOf(const std::string& sha256) const {
  return root_ + "/sha256/" + sha256.substr(0, 2) + "/" + sha256;
}

Result<std::string> FileBlobStore::Put(std::string_view bytes) {
  const std::string name = crypto::Sha256Hex(bytes);
  const std::string final_path = PathOf(name);
  struct stat st {};
  if (::stat(final_path.c_str(), &st) == 0 && static_cast<size_t>(st.st_size) == bytes.size()) return name;

  const std::string dir = root_ + "/sha256/" + name.substr(0, 2);
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return InternalError("mkdir " + dir + ": " + ErrnoString(errno));
  }
  static std::atomic<unsigned long> counter{0};
  const std::string tmp =
      root_ + "/tmp/" + name + "." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return InternalError("create " + tmp + ": " + ErrnoString(errno));
  Status s = WriteAll(fd, bytes, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = InternalError("fsync " + tmp + ": " + ErrnoString(errno));
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    s = InternalError("rename " + tmp + " to " + final_path + ": " + ErrnoString(errno));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  ONCOATLAS_RETURN_IF_ERROR(FsyncPath(dir, O_RDONLY | O_DIRECTORY));
  return name;
}

Result<std::string> FileBlobStore::Get(const std::string& sha256) {
  if (!ValidName(sha256)) return InvalidArgumentError("not a SHA-256 object name: '" + sha256 + "'");
  return ReadAll(PathOf(sha256));
}

bool FileBlobStore::Contains(const std::string& sha256) {
  if (!ValidName(sha256)) return false;
  struct stat st {};
  return ::stat(PathOf(sha256).c_str(), &st) == 0;
}

Status FileBlobStore::Verify(const std::string& sha256) {
  auto bytes = Get(sha256);
  if (!bytes.ok()) return bytes.status();
  if (crypto::Sha256Hex(*bytes) != sha256) {
    return InternalError("stored object " + PathOf(sha256) + " does not match its name (corrupted)");
  }
  return Status::Ok();
}

Status FileBlobStore::Remove(const std::string& sha256) {
  if (!ValidName(sha256)) return InvalidArgumentError("not a SHA-256 object name: '" + sha256 + "'");
  const std::string path = PathOf(sha256);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return InternalError("unlink " + path + ": " + ErrnoString(errno));
  }
  return FsyncPath(root_ + "/sha256/" + sha256.substr(0, 2), O_RDONLY | O_DIRECTORY);
}

Result<std::string> MemoryBlobStore::Put(std::string_view bytes) {
  std::string name = crypto::Sha256Hex(bytes);
  std::lock_guard<std::mutex> l(mu_);
  objects_.emplace(name, std::string(bytes));
  return name;
}

Result<std::string> MemoryBlobStore::Get(const std::string& sha256) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = objects_.find(sha256);
  if (it == objects_.end()) return NotFoundError("no stored object " + sha256);
  return it->second;
}

bool MemoryBlobStore::Contains(const std::string& sha256) {
  std::lock_guard<std::mutex> l(mu_);
  return objects_.count(sha256) != 0;
}

Status MemoryBlobStore::Verify(const std::string& sha256) {
  auto bytes = Get(sha256);
  if (!bytes.ok()) return bytes.status();
  return crypto::Sha256Hex(*bytes) == sha256 ? Status::Ok() : InternalError("object " + sha256 + " corrupted");
}

Status MemoryBlobStore::Remove(const std::string& sha256) {
  std::lock_guard<std::mutex> l(mu_);
  objects_.erase(sha256);
  return Status::Ok();
}

size_t MemoryBlobStore::size() {
  std::lock_guard<std::mutex> l(mu_);
  return objects_.size();
}

}  // namespace oncoatlas::agent
