#include "kube/request_retry.h"

#include <vector>

#include <gtest/gtest.h>

#include "kube/api_error.h"

namespace oncoatlas::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

HttpResponse Response(int code, const std::string& retry_after = "") {
  HttpResponse r;
  r.code = code;
  if (!retry_after.empty()) r.headers["retry-after"] = retry_after;
  r.body = R"({"kind":"Status","reason":"TooManyRequests","message":"slow down","code":)" + std::to_string(code) + "}";
  return r;
}

// Answers with the scripted responses in order and records when each request
// was sent on the clock.
struct ScriptedServer {
  FakeClock& clock;
  std::vector<HttpResponse> script;
  std::vector<Clock::TimePoint> sent_at;
  Result<HttpResponse> operator()() {
    sent_at.push_back(clock.Now());
    const std::size_t i = std::min(sent_at.size() - 1, script.size() - 1);
    return script[i];
  }
};

TEST(RetryDelay, HonoursRetryAfterOn429And5xxOnly) {
  RetryPolicy p;
  EXPECT_EQ(RetryDelay(Response(429, "3"), p), Clock::Duration(seconds(3)));
  EXPECT_EQ(RetryDelay(Response(429), p), Clock::Duration(p.default_wait));
  EXPECT_EQ(RetryDelay(Response(429, "not-a-number"), p), Clock::Duration(p.default_wait));
  EXPECT_EQ(RetryDelay(Response(503, "2"), p), Clock::Duration(seconds(2)));
  EXPECT_FALSE(RetryDelay(Response(503), p).has_value());
  EXPECT_FALSE(RetryDelay(Response(500), p).has_value());
  EXPECT_FALSE(RetryDelay(Response(409, "1"), p).has_value());
  EXPECT_FALSE(RetryDelay(Response(200), p).has_value());
  EXPECT_EQ(RetryDelay(Response(429, "86400"), p), Clock::Duration(p.max_wait));
}

TEST(SendWithRetries, WaitsRetryAfterOnTheClockThenReturnsTheSuccess) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedServer server{clock, {Response(429, "2"), Response(503, "5"), Response(201)}, {}};
  auto r = SendWithRetries([&] { return server(); }, clock, RetryPolicy{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->response.code, 201);
  EXPECT_EQ(r->retries, 2);
  ASSERT_EQ(server.sent_at.size(), 3u);
  EXPECT_EQ(server.sent_at[1] - server.sent_at[0], Clock::Duration(seconds(2)));
  EXPECT_EQ(server.sent_at[2] - server.sent_at[1], Clock::Duration(seconds(5)));
  EXPECT_EQ(clock.slept(), Clock::Duration(seconds(7)));
}

TEST(SendWithRetries, GivesUpAfterMaxRetriesAndTheErrorKeepsRetryAfter) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedServer server{clock, {Response(429, "4")}, {}};
  RetryPolicy p;
  p.max_retries = 3;
  auto r = SendWithRetries([&] { return server(); }, clock, p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(server.sent_at.size(), 4u);  // the first send and three retries
  EXPECT_EQ(r->retries, 3);
  EXPECT_EQ(clock.slept(), Clock::Duration(seconds(12)));
  const ApiError e =
      ApiError::FromResponse(r->response.code, r->response.body, r->response.Header("retry-after"), "POST /x");
  EXPECT_EQ(e.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(e.reason(), "TooManyRequests");
  ASSERT_TRUE(e.retry_after().has_value());
  EXPECT_EQ(*e.retry_after(), seconds(4));
}

TEST(SendWithRetries, DoesNotRetryOtherResponsesOrTransportErrors) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedServer server{clock, {Response(409)}, {}};
  auto r = SendWithRetries([&] { return server(); }, clock, RetryPolicy{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->retries, 0);
  EXPECT_EQ(server.sent_at.size(), 1u);

  int calls = 0;
  auto failed = SendWithRetries(
      [&]() -> Result<HttpResponse> {
        ++calls;
        return UnavailableError("connection refused");
      },
      clock, RetryPolicy{});
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(clock.slept(), Clock::Duration::zero());
}

TEST(SendWithRetries, ZeroMaxRetriesSendsOnce) {
  FakeClock clock(FakeClock::Waits::kJump);
  ScriptedServer server{clock, {Response(429, "1")}, {}};
  RetryPolicy p;
  p.max_retries = 0;
  auto r = SendWithRetries([&] { return server(); }, clock, p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->response.code, 429);
  EXPECT_EQ(server.sent_at.size(), 1u);
}

}  // namespace
}  // namespace oncoatlas::kube
