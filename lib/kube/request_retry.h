// Request retries: a response that says "not now" (429 Too Many Requests, or a
// 5xx with Retry-After) is sent again after the wait the server asked for, on
// the injected Clock, a bounded number of times; the last response is returned
// when the retries are exhausted, so its ApiError keeps Retry-After.
//
// Pure functions of their arguments; thread-safe as long as `send` and the
// clock are.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "core/status.h"
#include "kube/clock.h"
#include "kube/transport.h"

namespace oncoatlas::kube {

struct RetryPolicy {
  int max_retries = 10;  // as client-go; 0 disables retrying
  // The wait for a 429 that names no Retry-After.
  std::chrono::milliseconds default_wait{1000};
  // No single wait is longer, whatever the server asks.
  std::chrono::milliseconds max_wait{60000};
};

// How long to wait before sending again after `response`, or nullopt when it
// is not a response to retry (anything but 429, or a 5xx without Retry-After).
std::optional<Clock::Duration> RetryDelay(const HttpResponse& response, const RetryPolicy& policy);

struct RetriedResponse {
  HttpResponse response;
  int retries = 0;  // how many times the request was sent again
};

// Sends with `send` until a response is not retryable or max_retries resends
// were made; waits between them with clock.SleepFor. A transport error (no
// response) is returned at once: the transport already retried stale pooled
// connections, and whether a non-idempotent request reached the server is
// unknown.
Result<RetriedResponse> SendWithRetries(const std::function<Result<HttpResponse>()>& send, Clock& clock,
                                        const RetryPolicy& policy);

}  // namespace oncoatlas::kube
