#include "kube/token_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace oncoatlas::kube {

FileTokenSource::FileTokenSource(std::string path, Clock& clock, Clock::Duration max_age)
    : path_(std::move(path)), clock_(clock), max_age_(max_age) {}

Result<std::string> FileTokenSource::Token() {
  MutexLock lock(mutex_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (have_token_) return token_;  // a rotation in progress; keep the last good token
    return Status(StatusCode::kUnauthenticated, "token file " + path_ + ": cannot stat: " + std::strerror(errno) +
                                                    " (mount the service-account token or fix tokenFile)");
  }
  FileIdentity now_identity{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                            static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
  const Clock::TimePoint now = clock_.Now();
  if (have_token_ && now_identity == identity_ && now - read_at_ < max_age_) return token_;

  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (have_token_) return token_;
    return Status(StatusCode::kUnauthenticated, "token file " + path_ + ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) {
    if (have_token_) return token_;
    return Status(StatusCode::kUnauthenticated, "token file " + path_ + " is empty");
  }
  token_ = std::move(token);
  identity_ = now_identity;
  read_at_ = now;
  have_token_ = true;
  return token_;
}

}  // namespace oncoatlas::kube
