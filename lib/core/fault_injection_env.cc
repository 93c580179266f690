#include "core/fault_injection_env.h"

#include <cerrno>
#include <set>
#include <vector>

namespace oncoatlas {
namespace {

// "/a/b" for "a//b/./c/..", "/" for the root.
std::string Normalize(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t end = path.find('/', i);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(i, end - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string ParentOf(const std::string& normalized) {
  std::size_t slash = normalized.rfind('/');
  return slash == 0 ? "/" : normalized.substr(0, slash);
}

// Whether `path` lies directly in folder `dir` (both normalised).
bool DirectlyIn(const std::string& path, const std::string& dir) { return path != "/" && ParentOf(path) == dir; }

}  // namespace

class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv& env, std::string path, std::shared_ptr<Inode> inode, std::uint64_t boot)
      : env_(env), path_(std::move(path)), inode_(std::move(inode)), boot_(boot) {}

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(env_.mu_);
    ONCOATLAS_RETURN_IF_ERROR(Check("write " + path_));
    return AppendLocked(data);
  }

  Status AppendFrom(RandomAccessFile& source, std::uint64_t offset, std::uint64_t length) override;

  Status Sync() override {
    std::lock_guard<std::mutex> lock(env_.mu_);
    ONCOATLAS_RETURN_IF_ERROR(Check("fsync " + path_));
    inode_->synced = inode_->data;
    return Status::Ok();
  }

  Status Close() override {
    std::lock_guard<std::mutex> lock(env_.mu_);
    return env_.Powered("close " + path_, boot_);
  }

 private:
  // REQUIRES: env_.mu_ held.
  Status Check(const std::string& what) {
    ONCOATLAS_RETURN_IF_ERROR(env_.Powered(what, boot_));
    return env_.Begin(what);
  }
  // REQUIRES: env_.mu_ held.
  Status AppendLocked(std::string_view data) {
    if (env_.capacity_) {
      const std::uint64_t used = env_.UsedBytesLocked();
      const std::uint64_t room = *env_.capacity_ > used ? *env_.capacity_ - used : 0;
      if (data.size() > room) {
        inode_->data.append(data.substr(0, static_cast<std::size_t>(room)));
        return ErrnoStatus("write " + path_, ENOSPC);
      }
    }
    inode_->data.append(data);
    return Status::Ok();
  }

  FaultInjectionEnv& env_;
  std::string path_;
  std::shared_ptr<Inode> inode_;
  std::uint64_t boot_;
};

class FaultInjectionEnv::Reader final : public RandomAccessFile {
 public:
  Reader(FaultInjectionEnv& env, std::string path, std::shared_ptr<Inode> inode, std::uint64_t boot)
      : env_(env), path_(std::move(path)), inode_(std::move(inode)), boot_(boot), size_(inode_->data.size()) {}

  std::uint64_t Size() const override { return size_; }

  Result<std::size_t> Read(std::uint64_t offset, std::size_t n, char* scratch) override {
    std::lock_guard<std::mutex> lock(env_.mu_);
    ONCOATLAS_RETURN_IF_ERROR(env_.Powered("read " + path_, boot_));
    return ReadLocked(offset, n, scratch);
  }

  bool Of(const FaultInjectionEnv& env) const { return &env_ == &env; }
  // REQUIRES: env_.mu_ held.
  std::size_t ReadLocked(std::uint64_t offset, std::size_t n, char* scratch) const {
    if (offset >= inode_->data.size()) return 0;
    return inode_->data.copy(scratch, n, static_cast<std::size_t>(offset));
  }

 private:
  FaultInjectionEnv& env_;
  std::string path_;
  std::shared_ptr<Inode> inode_;
  std::uint64_t boot_;
  std::uint64_t size_;
};

Status FaultInjectionEnv::File::AppendFrom(RandomAccessFile& source, std::uint64_t offset, std::uint64_t length) {
  auto* reader = dynamic_cast<Reader*>(&source);
  if (reader != nullptr && !reader->Of(env_)) reader = nullptr;
  std::string bytes(static_cast<std::size_t>(length), '\0');
  std::size_t got = 0;
  if (reader == nullptr) {  // not a file of this Env: read it before taking the lock
    while (got < bytes.size()) {
      auto n = source.Read(offset + got, bytes.size() - got, bytes.data() + got);
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      got += *n;
    }
  }
  std::lock_guard<std::mutex> lock(env_.mu_);
  ONCOATLAS_RETURN_IF_ERROR(Check("copy into " + path_));
  if (reader != nullptr) got = reader->ReadLocked(offset, bytes.size(), bytes.data());
  if (got < bytes.size()) return FailedPreconditionError("the input ended before the bytes to copy into " + path_);
  return AppendLocked(bytes);
}

void FaultInjectionEnv::FailOperation(std::uint64_t n, int error_number) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_at_ = n == 0 ? 0 : operations_ + n;
  fail_errno_ = error_number;
}

void FaultInjectionEnv::CutPowerAt(std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  cut_at_ = n == 0 ? 0 : operations_ + n;
}

void FaultInjectionEnv::CutPower() {
  std::lock_guard<std::mutex> lock(mu_);
  CutPowerLocked();
}

bool FaultInjectionEnv::PowerIsOn() const {
  std::lock_guard<std::mutex> lock(mu_);
  return powered_;
}

void FaultInjectionEnv::Restart() {
  std::lock_guard<std::mutex> lock(mu_);
  powered_ = true;
}

void FaultInjectionEnv::SetCapacity(std::optional<std::uint64_t> bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = bytes;
}

std::uint64_t FaultInjectionEnv::operations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return operations_;
}

std::uint64_t FaultInjectionEnv::UsedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return UsedBytesLocked();
}

std::uint64_t FaultInjectionEnv::UsedBytesLocked() const {
  std::set<const Inode*> seen;
  std::uint64_t used = 0;
  for (const auto& [path, inode] : live_) {
    if (seen.insert(inode.get()).second) used += inode->data.size();
  }
  return used;
}

Status FaultInjectionEnv::Powered(const std::string& what, std::uint64_t boot) const {
  if (!powered_) return UnavailableError(what + ": the power is off (simulated power cut)");
  if (boot != boot_) return UnavailableError(what + ": opened before a simulated power cut");
  return Status::Ok();
}

Status FaultInjectionEnv::Begin(const std::string& what) {
  ONCOATLAS_RETURN_IF_ERROR(Powered(what, boot_));
  ++operations_;
  if (operations_ == cut_at_) {
    CutPowerLocked();
    return Powered(what, boot_);
  }
  if (operations_ == fail_at_) return ErrnoStatus(what, fail_errno_);
  return Status::Ok();
}

void FaultInjectionEnv::CutPowerLocked() {
  powered_ = false;
  ++boot_;
  cut_at_ = 0;
  fail_at_ = 0;
  Tree survivors;
  for (const auto& [path, inode] : durable_) {  // a parent sorts before its children
    if (ParentOf(path) == "/" || survivors.count(ParentOf(path)) != 0) survivors.emplace(path, inode);
  }
  for (const auto& [path, inode] : survivors) inode->data = inode->synced;
  live_ = survivors;
  durable_ = std::move(survivors);
}

std::shared_ptr<FaultInjectionEnv::Inode> FaultInjectionEnv::Find(const std::string& path) const {
  if (path == "/") {
    static const auto root = std::make_shared<Inode>(Inode{true, 0755, {}, {}});
    return root;
  }
  auto it = live_.find(path);
  return it == live_.end() ? nullptr : it->second;
}

Status FaultInjectionEnv::ParentIsFolder(const std::string& what, const std::string& path) const {
  auto parent = Find(ParentOf(path));
  if (parent == nullptr) return ErrnoStatus(what, ENOENT);
  if (!parent->folder) return ErrnoStatus(what, ENOTDIR);
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path, unsigned mode) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "create " + path;
  ONCOATLAS_RETURN_IF_ERROR(Begin(what));
  ONCOATLAS_RETURN_IF_ERROR(ParentIsFolder(what, p));
  auto inode = Find(p);
  if (inode != nullptr && inode->folder) return ErrnoStatus(what, EISDIR);
  if (inode == nullptr) {
    inode = std::make_shared<Inode>();
    inode->mode = mode;
    live_[p] = inode;
  }
  inode->data.clear();
  return std::unique_ptr<WritableFile>(new File(*this, path, inode, boot_));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(const std::string& path) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "open " + path;
  ONCOATLAS_RETURN_IF_ERROR(Powered(what, boot_));
  auto inode = Find(p);
  if (inode == nullptr) return ErrnoStatus(what, ENOENT);
  if (inode->folder) return ErrnoStatus(what, EISDIR);
  return std::unique_ptr<RandomAccessFile>(new Reader(*this, path, inode, boot_));
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  const std::string f = Normalize(from), t = Normalize(to);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "rename " + from + " to " + to;
  ONCOATLAS_RETURN_IF_ERROR(Begin(what));
  auto inode = Find(f);
  if (inode == nullptr) return ErrnoStatus(what, ENOENT);
  if (inode->folder) return ErrnoStatus(what, EINVAL);  // folders are not renamed here
  ONCOATLAS_RETURN_IF_ERROR(ParentIsFolder(what, t));
  if (auto target = Find(t); target != nullptr && target->folder) return ErrnoStatus(what, EISDIR);
  live_.erase(f);
  live_[t] = inode;
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "unlink " + path;
  ONCOATLAS_RETURN_IF_ERROR(Begin(what));
  auto inode = Find(p);
  if (inode == nullptr) return ErrnoStatus(what, ENOENT);
  if (inode->folder) return ErrnoStatus(what, EISDIR);
  live_.erase(p);
  return Status::Ok();
}

Status FaultInjectionEnv::CreateDir(const std::string& path, unsigned mode) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "mkdir " + path;
  ONCOATLAS_RETURN_IF_ERROR(Begin(what));
  if (Find(p) != nullptr) return ErrnoStatus(what, EEXIST);
  ONCOATLAS_RETURN_IF_ERROR(ParentIsFolder(what, p));
  live_[p] = std::make_shared<Inode>(Inode{true, mode, {}, {}});
  return Status::Ok();
}

Status FaultInjectionEnv::SetPermissions(const std::string& path, unsigned mode) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "chmod " + path;
  ONCOATLAS_RETURN_IF_ERROR(Begin(what));
  auto inode = Find(p);
  if (inode == nullptr) return ErrnoStatus(what, ENOENT);
  inode->mode = mode;
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& path) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "fsync " + path;
  ONCOATLAS_RETURN_IF_ERROR(Begin(what));
  auto inode = Find(p);
  if (inode == nullptr) return ErrnoStatus(what, ENOENT);
  if (!inode->folder) return ErrnoStatus(what, ENOTDIR);
  for (auto it = durable_.begin(); it != durable_.end();) {
    it = DirectlyIn(it->first, p) && live_.count(it->first) == 0 ? durable_.erase(it) : std::next(it);
  }
  for (const auto& [entry, node] : live_) {
    if (DirectlyIn(entry, p)) durable_[entry] = node;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::SyncFileSystem(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  ONCOATLAS_RETURN_IF_ERROR(Begin("syncfs " + path));
  durable_ = live_;
  for (const auto& [entry, inode] : live_) inode->synced = inode->data;
  return Status::Ok();
}

Result<std::vector<DirEntry>> FaultInjectionEnv::ListDir(const std::string& path) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "list " + path;
  ONCOATLAS_RETURN_IF_ERROR(Powered(what, boot_));
  auto inode = Find(p);
  if (inode == nullptr) return ErrnoStatus(what, ENOENT);
  if (!inode->folder) return ErrnoStatus(what, ENOTDIR);
  std::vector<DirEntry> out;
  for (const auto& [entry, node] : live_) {
    if (DirectlyIn(entry, p)) {
      out.push_back(
          DirEntry{entry.substr(entry.rfind('/') + 1), node->folder ? FileType::kDirectory : FileType::kRegular});
    }
  }
  return out;
}

Result<FileInfo> FaultInjectionEnv::Stat(const std::string& path) {
  const std::string p = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "stat " + path;
  ONCOATLAS_RETURN_IF_ERROR(Powered(what, boot_));
  auto inode = Find(p);
  if (inode == nullptr) return ErrnoStatus(what, ENOENT);
  return FileInfo{inode->folder ? FileType::kDirectory : FileType::kRegular, inode->data.size(), inode->mode};
}

}  // namespace oncoatlas
