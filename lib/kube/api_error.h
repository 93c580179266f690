// ApiError: the one error type of lib/kube. It keeps what the API server said
// (its Status object's reason, message, code and field causes, and Retry-After
// for 429) next to the oncoatlas::Status it maps to. ApiResult<T> carries a
// value or an ApiError. Both are values; const methods are thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.h"

namespace oncoatlas::kube {

// One entry of Status.details.causes: which field was wrong and why.
struct StatusCause {
  std::string reason;  // e.g. "FieldValueInvalid", "FieldManagerConflict"
  std::string message;
  std::string field;
};

class ApiError {
 public:
  ApiError() = default;
  // An error that did not come from the API server (network, TLS, parsing).
  explicit ApiError(Status status) : status_(std::move(status)), message_(status_.message()) {}

  // Builds the error for a non-2xx response. `body` is the response body (an
  // API Status object when the server sent one); `retry_after` is the value
  // of the Retry-After header, if any. `what` names the request for context
  // ("GET /api/v1/namespaces/x/configmaps/y").
  static ApiError FromResponse(int http_code, const std::string& body, const std::string& retry_after,
                               const std::string& what);

  // The mapped oncoatlas::Status (404 NotFound, 409 Conflict or AlreadyExists,
  // 422 InvalidArgument, 403 PermissionDenied, 401 Unauthenticated, 410
  // FailedPrecondition (reason Gone/Expired), 429 ResourceExhausted, 5xx
  // Unavailable). Its message is the API server's message with context.
  const Status& status() const { return status_; }
  StatusCode code() const { return status_.code(); }
  // 0 when the error did not come from an HTTP response.
  int http_code() const { return http_code_; }
  // Status.reason, e.g. "NotFound", "AlreadyExists", "Conflict", "Invalid",
  // "Forbidden", "Expired", "Gone", "TooManyRequests".
  const std::string& reason() const { return reason_; }
  // The API server's message, unchanged (for errors that did not come from
  // the API server: the Status message).
  const std::string& message() const { return message_; }
  const std::vector<StatusCause>& causes() const { return causes_; }
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }

  // 410 Gone or reason Expired: the resourceVersion is too old; relist.
  bool IsGone() const { return http_code_ == 410 || reason_ == "Expired" || reason_ == "Gone"; }
  std::string ToString() const { return status_.ToString(); }

 private:
  Status status_;
  int http_code_ = 0;
  std::string reason_;
  std::string message_;
  std::vector<StatusCause> causes_;
  std::optional<std::chrono::seconds> retry_after_;
};

// Parses a metav1.Status JSON object (as found in a response body or in a
// watch ERROR event) into an ApiError. `what` gives context.
ApiError ApiErrorFromStatusObject(const std::string& status_json, int fallback_http_code, const std::string& what);

template <typename T>
class ApiResult : public ValueOr<T, ApiError> {
 public:
  ApiResult(T value) : ValueOr<T, ApiError>(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  ApiResult(ApiError error) : ValueOr<T, ApiError>(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  // NOLINTNEXTLINE(google-explicit-constructor)
  ApiResult(Status status) : ValueOr<T, ApiError>(ApiError(std::move(status))) {}

  // REQUIRES: !ok()
  const ApiError& error() const { return this->error_value(); }
  // OK when ok(); the mapped Status otherwise.
  Status status() const { return this->ok() ? Status::Ok() : error().status(); }
};

}  // namespace oncoatlas::kube
