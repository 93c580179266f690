#include "kube/api_error.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace oncoatlas::kube {
namespace {

StatusCode MapCode(int http_code, const std::string& reason) {
  if (reason == "AlreadyExists") return StatusCode::kAlreadyExists;
  if (reason == "Conflict") return StatusCode::kConflict;
  if (reason == "Invalid" || reason == "BadRequest") return StatusCode::kInvalidArgument;
  switch (http_code) {
    case 400:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 405:
      return StatusCode::kInvalidArgument;
    case 409:
      return StatusCode::kConflict;
    case 410:
      return StatusCode::kFailedPrecondition;
    case 415:
      return StatusCode::kInvalidArgument;
    case 422:
      return StatusCode::kInvalidArgument;
    case 429:
      return StatusCode::kResourceExhausted;
    case 504:
      return StatusCode::kDeadlineExceeded;
    default:
      break;
  }
  if (http_code >= 500) return StatusCode::kUnavailable;
  if (reason == "Expired" || reason == "Gone") return StatusCode::kFailedPrecondition;
  return StatusCode::kInternal;
}

}  // namespace

ApiError ApiErrorFromStatusObject(const std::string& status_json, int fallback_http_code, const std::string& what) {
  ApiError e = ApiError::FromResponse(fallback_http_code, status_json, "", what);
  return e;
}

ApiError ApiError::FromResponse(int http_code, const std::string& body, const std::string& retry_after,
                                const std::string& what) {
  ApiError e;
  e.http_code_ = http_code;
  try {
    const nlohmann::json j = nlohmann::json::parse(body);
    if (j.is_object() && j.value("kind", "") == "Status") {
      e.reason_ = j.value("reason", "");
      e.message_ = j.value("message", "");
      if (j.contains("code") && j["code"].is_number_integer()) {
        const int c = j["code"].get<int>();
        if (c != 0) e.http_code_ = c;
      }
      if (j.contains("details") && j["details"].is_object() && j["details"].contains("causes") &&
          j["details"]["causes"].is_array()) {
        for (const auto& c : j["details"]["causes"]) {
          if (!c.is_object()) continue;
          e.causes_.push_back({c.value("reason", ""), c.value("message", ""), c.value("field", "")});
        }
      }
      if (!e.retry_after_ && j.contains("details") && j["details"].is_object() &&
          j["details"].contains("retryAfterSeconds") && j["details"]["retryAfterSeconds"].is_number_integer()) {
        e.retry_after_ = std::chrono::seconds(j["details"]["retryAfterSeconds"].get<int>());
      }
    }
  } catch (const nlohmann::json::exception&) {
    // Not a Status object: keep the body (shortened) as the message below.
  }
  if (e.message_.empty()) {
    e.message_ = body.size() > 512 ? body.substr(0, 512) + "..." : body;
    if (e.message_.empty()) e.message_ = "HTTP " + std::to_string(e.http_code_);
  }
  if (!retry_after.empty()) {
    char* end = nullptr;
    const long s = std::strtol(retry_after.c_str(), &end, 10);
    if (end != retry_after.c_str() && s >= 0) e.retry_after_ = std::chrono::seconds(s);
  }
  std::string text = e.message_;
  if (!what.empty()) text = what + ": " + text;
  text += " (HTTP " + std::to_string(e.http_code_);
  if (!e.reason_.empty()) text += ", reason " + e.reason_;
  text += ")";
  e.status_ = Status(MapCode(e.http_code_, e.reason_), text);
  return e;
}

}  // namespace oncoatlas::kube
