#include "kube/request_retry.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace oncoatlas::kube {
namespace {

// Retry-After in delay-seconds form (what the API server sends); nullopt for
// an absent or unparsable value (an HTTP-date is treated as absent).
std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& value) {
  std::size_t i = 0;
  while (i < value.size() && value[i] == ' ') ++i;
  if (i == value.size() || std::isdigit(static_cast<unsigned char>(value[i])) == 0) return std::nullopt;
  long long seconds = 0;
  for (; i < value.size() && std::isdigit(static_cast<unsigned char>(value[i])) != 0; ++i) {
    seconds = std::min<long long>(seconds * 10 + (value[i] - '0'), 1'000'000);
  }
  while (i < value.size() && value[i] == ' ') ++i;
  if (i != value.size()) return std::nullopt;
  return std::chrono::seconds(seconds);
}

}  // namespace

std::optional<Clock::Duration> RetryDelay(const HttpResponse& response, const RetryPolicy& policy) {
  const auto retry_after = ParseRetryAfter(response.Header("retry-after"));
  Clock::Duration wait;
  if (response.code == 429) {
    wait = retry_after ? Clock::Duration(*retry_after) : Clock::Duration(policy.default_wait);
  } else if (response.code >= 500 && response.code <= 599 && retry_after) {
    wait = *retry_after;
  } else {
    return std::nullopt;
  }
  return std::min<Clock::Duration>(wait, policy.max_wait);
}

Result<RetriedResponse> SendWithRetries(const std::function<Result<HttpResponse>()>& send, Clock& clock,
                                        const RetryPolicy& policy) {
  RetriedResponse out;
  for (;;) {
    auto response = send();
    if (!response.ok()) return response.status();
    out.response = std::move(*response);
    if (out.retries >= policy.max_retries) return out;
    const auto delay = RetryDelay(out.response, policy);
    if (!delay) return out;
    clock.SleepFor(*delay);
    ++out.retries;
  }
}

}  // namespace oncoatlas::kube
