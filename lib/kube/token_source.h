// TokenSource: where a bearer token comes from. FileTokenSource re-reads its
// file when the file changes (checked on every call by a cheap stat, and at
// least once a minute regardless), so tokens the kubelet rotates are picked up
// by the next request. All implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/status.h"
#include "core/thread_annotations.h"
#include "kube/clock.h"

namespace oncoatlas::kube {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The token to send now; an error names the file and the problem.
  virtual Result<std::string> Token() = 0;
};

class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  Result<std::string> Token() override { return token_; }

 private:
  const std::string token_;
};

class FileTokenSource final : public TokenSource {
 public:
  // `clock` must outlive the source.
  explicit FileTokenSource(std::string path, Clock& clock = RealClock::Instance(),
                           Clock::Duration max_age = std::chrono::minutes(1));
  Result<std::string> Token() override;
  const std::string& path() const { return path_; }

 private:
  struct FileIdentity {
    std::int64_t mtime_ns = -1;
    std::int64_t size = -1;
    std::uint64_t inode = 0;
    bool operator==(const FileIdentity&) const = default;
  };

  const std::string path_;
  Clock& clock_;
  const Clock::Duration max_age_;
  Mutex mutex_;
  std::string token_ GUARDED_BY(mutex_);
  FileIdentity identity_ GUARDED_BY(mutex_);
  Clock::TimePoint read_at_ GUARDED_BY(mutex_) = {};
  bool have_token_ GUARDED_BY(mutex_) = false;
};

}  // namespace oncoatlas::kube
