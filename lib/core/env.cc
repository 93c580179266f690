#include "core/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace oncoatlas {
namespace {

FileType TypeOfMode(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, std::uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  std::uint64_t Size() const override { return size_; }
  Result<std::size_t> Read(std::uint64_t offset, std::size_t n, char* scratch) override {
    while (true) {
      ssize_t r = ::pread(fd_, scratch, n, static_cast<off_t>(offset));
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno != EINTR) return ErrnoStatus("read " + path_, errno);
    }
  }
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_;
  std::uint64_t size_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t w = ::write(fd_, data.data(), data.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write " + path_, errno);
      }
      data.remove_prefix(static_cast<std::size_t>(w));
    }
    return Status::Ok();
  }

  Status AppendFrom(RandomAccessFile& source, std::uint64_t offset, std::uint64_t length) override {
    // copy_file_range: no trip through user space, reflinks where the file
    // system can; read and write where the kernel cannot copy between them.
    if (auto* posix = dynamic_cast<PosixRandomAccessFile*>(&source); posix != nullptr && kernel_copy_) {
      while (length > 0) {
        loff_t from = static_cast<loff_t>(offset);
        ssize_t n = ::copy_file_range(posix->fd(), &from, fd_, nullptr, length, 0);
        if (n > 0) {
          offset += static_cast<std::uint64_t>(n);
          length -= static_cast<std::uint64_t>(n);
          continue;
        }
        if (n == 0) return FailedPreconditionError("the input ended before the bytes to copy into " + path_);
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP && errno != EPERM) {
          return ErrnoStatus("copy into " + path_, errno);
        }
        kernel_copy_ = false;
        break;
      }
    }
    thread_local std::string buffer;
    buffer.resize(1 << 20);
    while (length > 0) {
      auto n =
          source.Read(offset, static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size())), buffer.data());
      if (!n.ok()) return n.status();
      if (*n == 0) return FailedPreconditionError("the input ended before the bytes to copy into " + path_);
      ONCOATLAS_RETURN_IF_ERROR(Append(std::string_view(buffer.data(), *n)));
      offset += *n;
      length -= *n;
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoStatus("fsync " + path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoStatus("close " + path_, errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
  bool kernel_copy_ = true;
};

Status SyncOpened(const std::string& path, bool whole_file_system) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  int rc = whole_file_system ? ::syncfs(fd) : ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus((whole_file_system ? "syncfs " : "fsync ") + path, e);
  return Status::Ok();
}

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, unsigned mode) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) return ErrnoStatus("create " + path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open " + path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      return ErrnoStatus("stat " + path, e);
    }
    return std::unique_ptr<RandomAccessFile>(
        new PosixRandomAccessFile(path, fd, static_cast<std::uint64_t>(st.st_size)));
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename " + from + " to " + to, errno);
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink " + path, errno);
    return Status::Ok();
  }

  Status CreateDir(const std::string& path, unsigned mode) override {
    if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) return ErrnoStatus("mkdir " + path, errno);
    return Status::Ok();
  }

  Status SetPermissions(const std::string& path, unsigned mode) override {
    if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) return ErrnoStatus("chmod " + path, errno);
    return Status::Ok();
  }

  Status SyncDir(const std::string& path) override { return SyncOpened(path, false); }
  Status SyncFileSystem(const std::string& path) override { return SyncOpened(path, true); }

  Result<std::vector<DirEntry>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus("list " + path, errno);
    std::vector<DirEntry> out;
    while (true) {
      errno = 0;
      const dirent* e = ::readdir(dir);  // NOLINT(concurrency-mt-unsafe): one DIR stream per call
      if (e == nullptr) break;
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      FileType type = FileType::kOther;
      switch (e->d_type) {
        case DT_REG:
          type = FileType::kRegular;
          break;
        case DT_DIR:
          type = FileType::kDirectory;
          break;
        case DT_LNK:
          type = FileType::kSymlink;
          break;
        default: {
          std::string entry = path;  // DT_UNKNOWN on some file systems
          entry += '/';
          entry += name;
          struct stat st {};
          if (::lstat(entry.c_str(), &st) == 0) type = TypeOfMode(st.st_mode);
        }
      }
      out.push_back(DirEntry{std::move(name), type});
    }
    int e = errno;
    ::closedir(dir);
    if (e != 0) return ErrnoStatus("list " + path, e);
    return out;
  }

  Result<FileInfo> Stat(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat " + path, errno);
    return FileInfo{TypeOfMode(st.st_mode), static_cast<std::uint64_t>(st.st_size),
                    static_cast<unsigned>(st.st_mode & 07777)};
  }
};

std::string ParentOf(const std::string& path) {
  std::size_t slash = path.find_last_not_of('/');
  slash = slash == std::string::npos ? std::string::npos : path.find_last_of('/', slash);
  if (slash == std::string::npos) return ".";
  std::size_t end = path.find_last_not_of('/', slash);
  return end == std::string::npos ? "/" : path.substr(0, end + 1);
}

}  // namespace

Env& Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: used until the process ends
  return *env;
}

Status ErrnoStatus(const std::string& what, int error_number) {
  const std::string text = what + ": " + ErrnoString(error_number);
  switch (error_number) {
    case ENOENT:
      return NotFoundError(text);
    case EEXIST:
      return Status(StatusCode::kAlreadyExists, text);
    case EACCES:
    case EPERM:
    case EROFS:
      return Status(StatusCode::kPermissionDenied, text);
    case ENOSPC:
    case EDQUOT:
      return Status(StatusCode::kResourceExhausted, what + ": disk full: " + ErrnoString(error_number));
    default:
      return InternalError(text);
  }
}

Status CreateDirs(Env& env, const std::string& path, unsigned mode, bool durable) {
  auto info = env.Stat(path);
  if (info.ok()) {
    if (info->type == FileType::kDirectory) return Status::Ok();
    return Status(StatusCode::kAlreadyExists, "mkdir " + path + ": exists and is not a folder");
  }
  if (info.status().code() != StatusCode::kNotFound) return info.status();
  const std::string parent = ParentOf(path);
  if (parent != path) ONCOATLAS_RETURN_IF_ERROR(CreateDirs(env, parent, mode, durable));
  Status made = env.CreateDir(path, mode);
  if (made.code() == StatusCode::kAlreadyExists) return Status::Ok();  // made by another thread meanwhile
  ONCOATLAS_RETURN_IF_ERROR(made);
  return durable ? env.SyncDir(parent) : Status::Ok();
}

Status ReadAll(RandomAccessFile& file, std::string& data) {
  data.resize(static_cast<std::size_t>(file.Size()));
  std::size_t done = 0;
  while (true) {
    if (done == data.size()) data.resize(done + 4096);  // the file grew: read on to its end
    auto n = file.Read(done, data.size() - done, data.data() + done);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    done += *n;
  }
  data.resize(done);
  return Status::Ok();
}

Result<std::string> ReadFile(Env& env, const std::string& path) {
  auto file = env.NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  std::string data;
  ONCOATLAS_RETURN_IF_ERROR(ReadAll(**file, data));
  return data;
}

Status WriteFileAtomically(Env& env, const std::string& path, const std::string& temporary, std::string_view data,
                           unsigned mode, bool sync) {
  auto file = env.NewWritableFile(temporary, mode);
  if (!file.ok()) return file.status();
  Status s = (*file)->Append(data);
  if (s.ok() && sync) s = (*file)->Sync();
  Status closed = (*file)->Close();
  if (s.ok()) s = closed;
  if (s.ok()) s = env.RenameFile(temporary, path);
  if (!s.ok()) (void)env.RemoveFile(temporary);
  return s;
}

Result<std::vector<std::string>> ListFilesRecursively(Env& env, const std::string& root) {
  std::vector<std::string> files;
  std::vector<std::string> folders{root};
  while (!folders.empty()) {
    const std::string folder = std::move(folders.back());
    folders.pop_back();
    auto entries = env.ListDir(folder);
    if (!entries.ok()) {
      if (folder != root && entries.status().code() == StatusCode::kPermissionDenied) continue;
      return entries.status();
    }
    const std::string prefix = folder.empty() || folder.back() == '/' ? folder : folder + "/";
    for (const DirEntry& e : *entries) {
      std::string path = prefix + e.name;
      FileType type = e.type;
      if (type == FileType::kSymlink) {
        auto target = env.Stat(path);
        if (!target.ok() || target->type != FileType::kRegular) continue;
        type = FileType::kRegular;
      }
      if (type == FileType::kRegular) {
        files.push_back(std::move(path));
      } else if (type == FileType::kDirectory) {
        folders.push_back(std::move(path));
      }
    }
  }
  // In the order of std::filesystem::path, folder by folder: "a/b" before "a-b".
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return (x == '/' ? -1 : static_cast<unsigned char>(x)) < (y == '/' ? -1 : static_cast<unsigned char>(y));
    });
  });
  return files;
}

}  // namespace oncoatlas
