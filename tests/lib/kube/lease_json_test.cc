#include "kube/lease_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace oncoatlas::kube {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

TEST(MicroTime, FormatsAndParsesUtcWithMicroseconds) {
  const system_clock::time_point t(seconds(1800000000) + microseconds(123456));
  EXPECT_EQ(FormatMicroTime(t), "2027-01-15T08:00:00.123456Z");
  auto back = ParseMicroTime("2027-01-15T08:00:00.123456Z");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, t);
  EXPECT_EQ(*ParseMicroTime("2027-01-15T08:00:00Z"), system_clock::time_point(seconds(1800000000)));
  EXPECT_EQ(*ParseMicroTime("2027-01-15T08:00:00.5Z"),
            system_clock::time_point(seconds(1800000000) + microseconds(500000)));
  for (const char* bad : {"", "2027-01-15", "2027-01-15T08:00:00", "2027-01-15T08:00:00+01:00", "2027-13-15T08:00:00Z",
                          "2027-01-15T08:00:00.Z", "yyyy-01-15T08:00:00Z", "2027-01-15T08:00:00Zjunk"}) {
    auto r = ParseMicroTime(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(LeaseJson, RoundTrips) {
  LeaseRecord r;
  r.holder_identity = "operator-7d9f";
  r.lease_duration_seconds = 15;
  r.lease_transitions = 3;
  r.acquire_time = system_clock::time_point(seconds(1800000000));
  r.renew_time = system_clock::time_point(seconds(1800000010) + microseconds(42));
  r.resource_version = "981";
  r.labels = {{"oncoatlas.io/node", "n1"}};
  r.annotations = {{"oncoatlas.io/pacs-reachable", "true"}, {"someone.else/note", "kept"}};
  const nlohmann::json j = LeaseToJson(r, "oncoatlas-operator", "oncoatlas-system");
  EXPECT_EQ(j["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ(j["kind"], "Lease");
  EXPECT_EQ(j["metadata"]["name"], "oncoatlas-operator");
  EXPECT_EQ(j["metadata"]["resourceVersion"], "981");
  EXPECT_EQ(j["spec"]["renewTime"], "2027-01-15T08:00:10.000042Z");
  EXPECT_EQ(j["metadata"]["labels"]["oncoatlas.io/node"], "n1");
  EXPECT_EQ(j["metadata"]["annotations"]["someone.else/note"], "kept");
  auto back = LeaseFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
}

TEST(LeaseJson, EmptySpecMeansNobodyHoldsIt) {
  auto r = LeaseFromJson(nlohmann::json{{"metadata", {{"resourceVersion", "5"}}}, {"spec", nlohmann::json::object()}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->holder_identity, "");
  EXPECT_EQ(r->resource_version, "5");
  EXPECT_FALSE(r->renew_time.has_value());
}

TEST(LeaseJson, MalformedLeasesAreClearErrors) {
  EXPECT_FALSE(LeaseFromJson(nlohmann::json(3)).ok());
  EXPECT_FALSE(LeaseFromJson(nlohmann::json{{"spec", 1}}).ok());
  EXPECT_FALSE(LeaseFromJson(nlohmann::json{{"spec", {{"holderIdentity", 1}}}}).ok());
  EXPECT_FALSE(LeaseFromJson(nlohmann::json{{"spec", {{"leaseDurationSeconds", "15"}}}}).ok());
  EXPECT_FALSE(LeaseFromJson(nlohmann::json{{"metadata", {{"labels", 1}}}}).ok());
  EXPECT_FALSE(LeaseFromJson(nlohmann::json{{"metadata", {{"annotations", {{"a", 1}}}}}}).ok());
  auto bad_time = LeaseFromJson(nlohmann::json{{"spec", {{"renewTime", "yesterday"}}}});
  ASSERT_FALSE(bad_time.ok());
  EXPECT_NE(bad_time.status().message().find("spec.renewTime"), std::string::npos) << bad_time.status().message();
}

}  // namespace
}  // namespace oncoatlas::kube
