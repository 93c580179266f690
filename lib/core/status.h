// Status and Result<T>: the one error type of OncoAtlas. Functions that can
// fail return a Status (or a Result<T> carrying a value or a Status) instead of
// throwing across module boundaries.
//
// A Status is a value; const methods may be called from several threads
// without external synchronization.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace oncoatlas {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong; retrying will not help
  kNotFound,
  kAlreadyExists,
  kConflict,  // lost an optimistic-concurrency race; re-read and retry
  kPermissionDenied,
  kUnauthenticated,
  kUnavailable,  // the other side is down or unreachable; retry with backoff
  kDeadlineExceeded,
  kResourceExhausted,
  kFailedPrecondition,
  kInternal,  // a bug or an impossible state
};

const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NotFound: configmap \"x\" not found" — for logs and error messages.
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context`, e.g.
  // status.WithContext("loading kubeconfig").
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }

// The text for an errno value (thread-safe, unlike strerror).
std::string ErrnoString(int error_number);

// ValueOr<T, E> holds either a T or an error E: the accessors Result<T> and
// kube::ApiResult<T> share. Only they derive from it.
template <typename T, typename E>
class ValueOr {
 public:
  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 protected:
  explicit ValueOr(T value) : v_(std::move(value)) {}
  explicit ValueOr(E error) : v_(std::move(error)) {}
  // REQUIRES: !ok()
  const E& error_value() const { return std::get<E>(v_); }
  E& error_value() { return std::get<E>(v_); }

 private:
  std::variant<T, E> v_;
};

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class Result : public ValueOr<T, Status> {
 public:
  Result(T value) : ValueOr<T, Status>(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : ValueOr<T, Status>(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (this->error_value().ok()) this->error_value() = Status(StatusCode::kInternal, "Result built from an OK status");
  }

  const Status& status() const {
    static const Status kOk;
    return this->ok() ? kOk : this->error_value();
  }
};

}  // namespace oncoatlas

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define ONCOATLAS_RETURN_IF_ERROR(expr)                    \
  do {                                                     \
    ::oncoatlas::Status _oncoatlas_status = (expr);        \
    if (!_oncoatlas_status.ok()) return _oncoatlas_status; \
  } while (0)
