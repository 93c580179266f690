// Env: the file system behind one interface (create, write, sync and rename
// files, sync folders and file systems, read, list, stat, remove, make
// folders), so that code which must survive a crash or a full disk is tested
// with FaultInjectionEnv (core/fault_injection_env.h) instead of being killed.
// Env::Default() is the real (POSIX) file system. Errors name the operation
// and the path; a full disk is ResourceExhausted with "disk full" in the text.
//
// Threading: every Env method may be called from any thread. A WritableFile or
// a RandomAccessFile is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace oncoatlas {

enum class FileType { kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kOther;
  std::uint64_t size = 0;
  unsigned mode = 0;  // permission bits, e.g. 0600
};

struct DirEntry {
  std::string name;
  FileType type = FileType::kOther;  // of the entry itself: a link is kSymlink
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // The size of the file when it was opened.
  virtual std::uint64_t Size() const = 0;
  // Reads up to `n` bytes at `offset` into `scratch`; returns how many were
  // read, 0 at the end of the file.
  virtual Result<std::size_t> Read(std::uint64_t offset, std::size_t n, char* scratch) = 0;
};

// Bytes are durable only after Sync(); a new name only after its folder is
// synced (Env::SyncDir) or the whole file system is (Env::SyncFileSystem).
class WritableFile {
 public:
  virtual ~WritableFile() = default;  // closes the file if Close() was not called
  virtual Status Append(std::string_view data) = 0;
  // Appends `length` bytes of `source` from `offset`, in the kernel where it
  // can. FailedPrecondition when `source` ends before them.
  virtual Status AppendFrom(RandomAccessFile& source, std::uint64_t offset, std::uint64_t length) = 0;
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class Env {
 public:
  // The process's file system; lives as long as the process.
  static Env& Default();

  virtual ~Env() = default;

  // Creates `path` with permission bits `mode`, or empties it if it exists.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, unsigned mode) = 0;
  // NotFound when `path` does not exist.
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) = 0;
  // rename(2): `to` is replaced atomically, readers see the old or the new file.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // NotFound when `path` does not exist.
  virtual Status RemoveFile(const std::string& path) = 0;
  // Creates one folder; AlreadyExists when `path` exists.
  virtual Status CreateDir(const std::string& path, unsigned mode) = 0;
  virtual Status SetPermissions(const std::string& path, unsigned mode) = 0;
  // fsync(2) of a folder: the names created, renamed or removed in it survive
  // a power cut.
  virtual Status SyncDir(const std::string& path) = 0;
  // syncfs(2): everything written to the file system that holds `path`,
  // names and bytes, survives a power cut.
  virtual Status SyncFileSystem(const std::string& path) = 0;
  // The entries of a folder, "." and ".." left out, in no particular order.
  virtual Result<std::vector<DirEntry>> ListDir(const std::string& path) = 0;
  // stat(2), following symbolic links; NotFound when `path` does not exist.
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
};

// The Status for a failed system call `what` (e.g. "write /a/b") and its errno:
// ENOENT is NotFound, EEXIST AlreadyExists, EACCES, EPERM and EROFS
// PermissionDenied, ENOSPC and EDQUOT ResourceExhausted ("disk full"), others
// Internal.
Status ErrnoStatus(const std::string& what, int error_number);

// mkdir -p: creates `path` and its missing parents with `mode`; OK when it
// is a folder already. With `durable`, every folder it creates is synced into
// its parent.
Status CreateDirs(Env& env, const std::string& path, unsigned mode = 0777, bool durable = false);

// Reads `file` from its start to its end (wherever that is now) into `data`,
// reusing its buffer.
Status ReadAll(RandomAccessFile& file, std::string& data);
Result<std::string> ReadFile(Env& env, const std::string& path);

// Writes `data` to `temporary`, syncs it when `sync`, then renames it to
// `path`, so `path` never holds a partial file. Removes `temporary` when
// anything fails. Making the new name durable (SyncDir) is the caller's.
Status WriteFileAtomically(Env& env, const std::string& path, const std::string& temporary, std::string_view data,
                           unsigned mode, bool sync);

// Every regular file under `root`, as paths that start with `root`, sorted.
// Links to files are listed; links to folders and folders that cannot be
// read are not entered.
Result<std::vector<std::string>> ListFilesRecursively(Env& env, const std::string& root);

}  // namespace oncoatlas
