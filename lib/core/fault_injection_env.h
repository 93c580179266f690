// FaultInjectionEnv: an Env held in memory for tests, with the faults of a
// real disk: one operation that fails with a given errno, a full disk (a byte
// budget; space can come back), and a power cut at any instant, after which
// only what was synced is left — a file's bytes up to its last Sync(), a
// folder's names (files and folders created, renamed or removed in it) up to
// its last SyncDir(), everything up to the last SyncFileSystem().
//
// The operations counted (and failed or cut) are the ones that change the
// file system: NewWritableFile, Append, AppendFrom, Sync, RenameFile,
// RemoveFile, CreateDir, SetPermissions, SyncDir and SyncFileSystem. While the
// power is off every call fails, reads included.
//
// Paths are taken as absolute ("a/b" is "/a/b"); "." and ".." and repeated
// slashes are resolved. There are no links. Thread-safe: one mutex guards the
// whole file system.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/env.h"

namespace oncoatlas {

class FaultInjectionEnv final : public Env {
 public:
  FaultInjectionEnv() = default;
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  // Faults. `n` counts the operations that change the file system from now
  // on: 1 is the next one.
  // The nth operation fails with `error_number` (e.g. EIO) and changes nothing.
  void FailOperation(std::uint64_t n, int error_number);
  // The power is cut instead of the nth operation (0 cancels).
  void CutPowerAt(std::uint64_t n);
  // Cuts the power now.
  void CutPower();
  bool PowerIsOn() const;
  // The power comes back; files opened before the cut stay unusable.
  void Restart();
  // Writes beyond `bytes` in all files together fail with ENOSPC (what fits is
  // written); nullopt: no limit.
  void SetCapacity(std::optional<std::uint64_t> bytes);

  // Operations that changed (or tried to change) the file system so far.
  std::uint64_t operations() const;
  // Bytes held by all files.
  std::uint64_t UsedBytes() const;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, unsigned mode) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDir(const std::string& path, unsigned mode) override;
  Status SetPermissions(const std::string& path, unsigned mode) override;
  Status SyncDir(const std::string& path) override;
  Status SyncFileSystem(const std::string& path) override;
  Result<std::vector<DirEntry>> ListDir(const std::string& path) override;
  Result<FileInfo> Stat(const std::string& path) override;

 private:
  struct Inode {
    bool folder = false;
    unsigned mode = 0;
    std::string data;    // what readers see
    std::string synced;  // what a power cut leaves
  };
  using Tree = std::map<std::string, std::shared_ptr<Inode>>;  // normalised path -> inode; "/" implied
  class File;
  class Reader;
  friend class File;
  friend class Reader;

  // REQUIRES: mu_ held. Counts an operation that changes the file system;
  // non-OK when it must not happen (power off, cut now, injected failure).
  Status Begin(const std::string& what);
  // REQUIRES: mu_ held. OK while the power is on and `boot` is the current one.
  Status Powered(const std::string& what, std::uint64_t boot) const;
  // REQUIRES: mu_ held.
  void CutPowerLocked();
  std::uint64_t UsedBytesLocked() const;
  // REQUIRES: mu_ held. The inode at `path` ("/" included), or null.
  std::shared_ptr<Inode> Find(const std::string& path) const;
  // REQUIRES: mu_ held. OK when the parent of `path` is a folder.
  Status ParentIsFolder(const std::string& what, const std::string& path) const;

  mutable std::mutex mu_;
  Tree live_;                              // GUARDED_BY(mu_)
  Tree durable_;                           // GUARDED_BY(mu_): the names a power cut leaves
  bool powered_ = true;                    // GUARDED_BY(mu_)
  std::uint64_t boot_ = 0;                 // GUARDED_BY(mu_): restarts so far
  std::uint64_t operations_ = 0;           // GUARDED_BY(mu_)
  std::uint64_t fail_at_ = 0;              // GUARDED_BY(mu_): 0 is none
  int fail_errno_ = 0;                     // GUARDED_BY(mu_)
  std::uint64_t cut_at_ = 0;               // GUARDED_BY(mu_): 0 is none
  std::optional<std::uint64_t> capacity_;  // GUARDED_BY(mu_)
};

}  // namespace oncoatlas
