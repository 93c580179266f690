#include "kube/api_error.h"

#include <gtest/gtest.h>

namespace oncoatlas::kube {
namespace {

TEST(ApiError, NotFound) {
  const std::string body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"x\" not found",)"
      R"("reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404})";
  ApiError e = ApiError::FromResponse(404, body, "", "GET /api/v1/namespaces/d/configmaps/x");
  EXPECT_EQ(e.code(), StatusCode::kNotFound);
  EXPECT_EQ(e.http_code(), 404);
  EXPECT_EQ(e.reason(), "NotFound");
  EXPECT_EQ(e.message(), "configmaps \"x\" not found");
  EXPECT_NE(e.status().message().find("GET /api/v1/namespaces/d/configmaps/x"), std::string::npos);
  EXPECT_NE(e.status().message().find("not found"), std::string::npos);
  EXPECT_FALSE(e.IsGone());
}

TEST(ApiError, ConflictAndAlreadyExistsDiffer) {
  EXPECT_EQ(ApiError::FromResponse(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})", "", "").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(ApiError::FromResponse(409, R"({"kind":"Status","reason":"Conflict","code":409})", "", "").code(),
            StatusCode::kConflict);
}

TEST(ApiError, InvalidKeepsFieldCauses) {
  const std::string body = R"({"kind":"Status","status":"Failure","message":"Widget.test.oncoatlas.io \"w\" is invalid",
    "reason":"Invalid","details":{"causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 0",
    "field":"spec.size"},{"reason":"FieldValueRequired","message":"Required value","field":"spec.other"}]},"code":422})";
  ApiError e = ApiError::FromResponse(422, body, "", "");
  EXPECT_EQ(e.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(e.causes().size(), 2u);
  EXPECT_EQ(e.causes()[0].field, "spec.size");
  EXPECT_EQ(e.causes()[0].reason, "FieldValueInvalid");
  EXPECT_EQ(e.causes()[1].message, "Required value");
}

TEST(ApiError, ForbiddenAndUnauthorized) {
  ApiError f = ApiError::FromResponse(
      403,
      R"({"kind":"Status","message":"configmaps is forbidden: User \"bob\" cannot list resource \"configmaps\"","reason":"Forbidden","code":403})",
      "", "");
  EXPECT_EQ(f.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(f.status().message().find("User \"bob\" cannot list"), std::string::npos);
  EXPECT_EQ(ApiError::FromResponse(401, R"({"kind":"Status","reason":"Unauthorized","code":401})", "", "").code(),
            StatusCode::kUnauthenticated);
}

TEST(ApiError, TooManyRequestsKeepsRetryAfter) {
  ApiError e = ApiError::FromResponse(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})", "7", "");
  EXPECT_EQ(e.code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(e.retry_after().has_value());
  EXPECT_EQ(e.retry_after()->count(), 7);
  ApiError d = ApiError::FromResponse(
      429, R"({"kind":"Status","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429})", "", "");
  ASSERT_TRUE(d.retry_after().has_value());
  EXPECT_EQ(d.retry_after()->count(), 3);
}

TEST(ApiError, GoneFromStatusAndFromWatchErrorEvent) {
  EXPECT_TRUE(ApiError::FromResponse(410, R"({"kind":"Status","reason":"Expired","code":410})", "", "").IsGone());
  ApiError e = ApiErrorFromStatusObject(
      R"js({"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 5 (90)","reason":"Expired","code":410})js",
      0, "watch");
  EXPECT_TRUE(e.IsGone());
  EXPECT_EQ(e.http_code(), 410);
  EXPECT_EQ(e.code(), StatusCode::kFailedPrecondition);
}

TEST(ApiError, NonJsonBodyAndServerErrors) {
  ApiError e = ApiError::FromResponse(503, "upstream connect error", "", "GET /x");
  EXPECT_EQ(e.code(), StatusCode::kUnavailable);
  EXPECT_EQ(e.message(), "upstream connect error");
  EXPECT_EQ(ApiError::FromResponse(500, "", "", "").message(), "HTTP 500");
}

TEST(ApiResult, CarriesValueOrError) {
  ApiResult<int> ok = 3;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  EXPECT_TRUE(ok.status().ok());
  ApiResult<int> bad = NotFoundError("gone");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bad.error().http_code(), 0);
}

}  // namespace
}  // namespace oncoatlas::kube
