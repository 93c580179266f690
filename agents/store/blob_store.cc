#include "store/blob_store.h"

#include <unistd.h>

#include <atomic>

#include "crypto/sha256.h"

namespace oncoatlas::agent {
namespace {

bool ValidName(const std::string& sha256) {
  crypto::Digest d;
  return crypto::FromHex(sha256, &d) && sha256 == crypto::ToHex(d);
}

}  // namespace

Result<std::unique_ptr<FileBlobStore>> FileBlobStore::Open(const std::string& root, Env& env) {
  for (const char* folder : {"/sha256", "/tmp"}) {
    Status s = CreateDirs(env, root + folder, 0777, /*durable=*/true);
    if (!s.ok()) return s.WithContext("cannot create store " + root);
  }
  // Temporaries are never referenced: a crash between write and rename
  // leaves one behind, and the next Put of the same bytes writes it again.
  if (auto temporaries = env.ListDir(root + "/tmp"); temporaries.ok()) {
    for (const DirEntry& e : *temporaries) (void)env.RemoveFile(root + "/tmp/" + e.name);
  }
  return std::unique_ptr<FileBlobStore>(new FileBlobStore(env, root));
}

std::string FileBlobStore::PathOf(const std::string& sha256) const {
  return root_ + "/sha256/" + sha256.substr(0, 2) + "/" + sha256;
}

Result<std::string> FileBlobStore::Put(std::string_view bytes) {
  const std::string name = crypto::Sha256Hex(bytes);
  const std::string final_path = PathOf(name);
  if (auto stored = env_.Stat(final_path); stored.ok() && stored->size == bytes.size()) return name;

  // A new prefix folder is synced into sha256/, or a power cut could take
  // the objects in it away with it.
  const std::string dir = root_ + "/sha256/" + name.substr(0, 2);
  Status s = CreateDirs(env_, dir, 0750, /*durable=*/true);
  static std::atomic<unsigned long> counter{0};
  const std::string tmp =
      root_ + "/tmp/" + name + "." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  if (s.ok()) s = WriteFileAtomically(env_, final_path, tmp, bytes, 0640, /*sync=*/true);
  if (s.ok()) s = env_.SyncDir(dir);
  if (!s.ok()) return s.WithContext("store " + root_);
  return name;
}

Result<std::string> FileBlobStore::Get(const std::string& sha256) {
  if (!ValidName(sha256)) return InvalidArgumentError("not a SHA-256 object name: '" + sha256 + "'");
  auto bytes = ReadFile(env_, PathOf(sha256));
  if (bytes.status().code() == StatusCode::kNotFound) return NotFoundError("no stored object " + PathOf(sha256));
  return bytes;
}

bool FileBlobStore::Contains(const std::string& sha256) { return ValidName(sha256) && env_.Stat(PathOf(sha256)).ok(); }

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
  Status removed = env_.RemoveFile(PathOf(sha256));
  if (removed.code() == StatusCode::kNotFound) return Status::Ok();
  ONCOATLAS_RETURN_IF_ERROR(removed);
  return env_.SyncDir(root_ + "/sha256/" + sha256.substr(0, 2));
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
