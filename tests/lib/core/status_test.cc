#include "core/status.h"

#include <gtest/gtest.h>

namespace oncoatlas {
namespace {

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = NotFoundError("configmap \"x\" not found");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: configmap \"x\" not found");
  EXPECT_EQ(s.WithContext("loading").ToString(), "NotFound: loading: configmap \"x\" not found");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
}

Status FailIf(bool fail) {
  if (fail) return InvalidArgumentError("bad");
  return Status::Ok();
}

Status Chain(bool fail) {
  ONCOATLAS_RETURN_IF_ERROR(FailIf(fail));
  return InternalError("reached the end");
}

TEST(Status, ReturnIfErrorStopsAtTheFirstFailure) {
  EXPECT_EQ(Chain(true).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Chain(false).code(), StatusCode::kInternal);
}

TEST(Result, HoldsValueOrStatus) {
  Result<int> good(42);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  EXPECT_TRUE(good.status().ok());

  Result<int> bad(UnavailableError("down"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnavailable);
}

TEST(Result, OkStatusWithoutValueBecomesInternalError) {
  Result<std::string> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace oncoatlas
