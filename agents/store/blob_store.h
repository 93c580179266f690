// Content-addressed storage of de-identified DICOM files. An object's name is
// the SHA-256 of its bytes, so storing the same bytes twice is a no-op and a
// stored object never changes. Implementations are thread-safe.
//
// FileBlobStore writes atomically through an Env (temporary file, fsync,
// rename, fsync of the folder): after a crash at any instant an object is
// either wholly present under its name or absent, never partial; once Put()
// returned, it survives a power cut.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/status.h"

namespace oncoatlas::agent {

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores `bytes`; returns their SHA-256 in lower-case hex. Idempotent.
  virtual Result<std::string> Put(std::string_view bytes) = 0;
  // Returns the bytes stored under `sha256`, NotFound if absent.
  virtual Result<std::string> Get(const std::string& sha256) = 0;
  virtual bool Contains(const std::string& sha256) = 0;
  // Recomputes the digest of a stored object; DataLoss-like errors come back
  // as kInternal naming the object.
  virtual Status Verify(const std::string& sha256) = 0;
  // Deletes the object; removing an absent object is OK (idempotent).
  virtual Status Remove(const std::string& sha256) = 0;
};

// Objects live in ROOT/sha256/ab/<64 hex digits>; temporaries in ROOT/tmp/.
class FileBlobStore : public BlobStore {
 public:
  // Creates ROOT's layout if needed and removes temporaries a crash left.
  // `env` must outlive the store. A full disk is ResourceExhausted.
  static Result<std::unique_ptr<FileBlobStore>> Open(const std::string& root, Env& env = Env::Default());

  Result<std::string> Put(std::string_view bytes) override;
  Result<std::string> Get(const std::string& sha256) override;
  bool Contains(const std::string& sha256) override;
  Status Verify(const std::string& sha256) override;
  Status Remove(const std::string& sha256) override;

  // Path of a stored object (whether or not it exists); for serving files.
  // REQUIRES: sha256 is 64 hex digits.
  std::string PathOf(const std::string& sha256) const;

 private:
  FileBlobStore(Env& env, std::string root) : env_(env), root_(std::move(root)) {}
  Env& env_;
  std::string root_;
};

// In-memory store for unit tests of code that uses a BlobStore.
class MemoryBlobStore : public BlobStore {
 public:
  Result<std::string> Put(std::string_view bytes) override;
  Result<std::string> Get(const std::string& sha256) override;
  bool Contains(const std::string& sha256) override;
  Status Verify(const std::string& sha256) override;
  Status Remove(const std::string& sha256) override;
  size_t size();

 private:
  std::mutex mu_;
  std::map<std::string, std::string> objects_;  // GUARDED_BY(mu_)
};

}  // namespace oncoatlas::agent
