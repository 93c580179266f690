#include "node/heartbeat.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/lease_json.h"

namespace oncoatlas::agent {
namespace {

using nlohmann::json;

// A Lease store with resourceVersion semantics, and errors on demand.
class FakeLeaseApi : public LeaseApi {
 public:
  kube::ApiResult<json> Get() override {
    ++gets;
    if (fail) return *fail;
    if (!stored) return kube::ApiError(NotFoundError("leases \"oncoatlas-agent\" not found"));
    return *stored;
  }
  kube::ApiResult<json> Create(const json& lease) override {
    ++creates;
    if (fail) return *fail;
    if (stored) return kube::ApiError(Status(StatusCode::kAlreadyExists, "exists"));
    return Store(lease);
  }
  kube::ApiResult<json> Update(const json& lease) override {
    ++updates;
    if (fail) return *fail;
    if (!stored) return kube::ApiError(NotFoundError("gone"));
    if (lease["metadata"].value("resourceVersion", "") != (*stored)["metadata"]["resourceVersion"]) {
      return kube::ApiError(Status(StatusCode::kConflict, "the object has been modified"));
    }
    return Store(lease);
  }
  json Store(json lease) {
    lease["metadata"]["resourceVersion"] = std::to_string(++version);
    stored = lease;
    return lease;
  }

  std::optional<json> stored;
  std::optional<kube::ApiError> fail;
  int version = 0, gets = 0, creates = 0, updates = 0;
};

HeartbeatIdentity Id(const std::string& holder = "n1/host-1") {
  return {"n1", holder, "oncoatlas-agent", "oncoatlas-node-n1", 40};
}

const auto kT0 = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));

TEST(HeartbeatTest, CreatesThenRenewsWithAnnotations) {
  FakeLeaseApi api;
  Heartbeat hb(api, Id());
  PacsStatus pacs{true, "C-ECHO to P@h:1 succeeded", kT0};
  auto r = hb.Renew(pacs, kT0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(api.creates, 1);
  const json& lease = *api.stored;
  EXPECT_EQ(lease["kind"], "Lease");
  EXPECT_EQ(lease["metadata"]["namespace"], "oncoatlas-node-n1");
  EXPECT_EQ(lease["metadata"]["labels"]["oncoatlas.io/node"], "n1");
  const json& a = lease["metadata"]["annotations"];
  EXPECT_EQ(a["oncoatlas.io/agent-version"], kAgentVersion);
  EXPECT_EQ(a["oncoatlas.io/capabilities"], kAgentCapabilities);
  EXPECT_EQ(a["oncoatlas.io/pacs-reachable"], "true");
  EXPECT_EQ(a["oncoatlas.io/pacs-message"], "C-ECHO to P@h:1 succeeded");
  EXPECT_EQ(a["oncoatlas.io/pacs-checked-at"], "2027-01-15T08:00:00Z");
  auto rec = kube::LeaseFromJson(lease);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->holder_identity, "n1/host-1");
  EXPECT_EQ(rec->lease_duration_seconds, 40);
  EXPECT_EQ(rec->renew_time, kT0);
  EXPECT_EQ(rec->acquire_time, kT0);

  pacs = {false, "C-ECHO to P@h:1 failed: connection refused", kT0 + std::chrono::seconds(10)};
  r = hb.Renew(pacs, kT0 + std::chrono::seconds(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(api.updates, 1);
  EXPECT_EQ(api.gets, 1);  // the written Lease is reused, not read again
  rec = kube::LeaseFromJson(*api.stored);
  EXPECT_EQ(rec->renew_time, kT0 + std::chrono::seconds(10));
  EXPECT_EQ(rec->acquire_time, kT0);
  EXPECT_EQ(rec->lease_transitions, 0);
  EXPECT_EQ((*api.stored)["metadata"]["annotations"]["oncoatlas.io/pacs-reachable"], "false");
}

TEST(HeartbeatTest, ARestartedAgentTakesOverAndKeepsForeignMetadata) {
  FakeLeaseApi api;
  Heartbeat old(api, Id("n1/host-1"));
  ASSERT_TRUE(old.Renew({}, kT0).ok());
  (*api.stored)["metadata"]["annotations"]["someone.else/note"] = "kept";
  api.Store(*api.stored);
  Heartbeat fresh(api, Id("n1/host-2"));
  ASSERT_TRUE(fresh.Renew({}, kT0 + std::chrono::seconds(5)).ok());
  auto rec = kube::LeaseFromJson(*api.stored);
  EXPECT_EQ(rec->holder_identity, "n1/host-2");
  EXPECT_EQ(rec->lease_transitions, 1);
  EXPECT_EQ(rec->acquire_time, kT0 + std::chrono::seconds(5));
  EXPECT_EQ((*api.stored)["metadata"]["annotations"]["someone.else/note"], "kept");
  EXPECT_FALSE((*api.stored)["metadata"]["annotations"].contains("oncoatlas.io/pacs-checked-at"));
}

TEST(HeartbeatTest, ConflictIsRetriedFromAFreshRead) {
  FakeLeaseApi api;
  Heartbeat hb(api, Id());
  ASSERT_TRUE(hb.Renew({}, kT0).ok());
  api.Store(*api.stored);  // someone else wrote in between
  auto r = hb.Renew({}, kT0 + std::chrono::seconds(1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(api.updates, 2);
  EXPECT_EQ(api.gets, 2);
}

TEST(HeartbeatTest, ErrorsKeepTheServersCodeAndRecover) {
  FakeLeaseApi api;
  Heartbeat hb(api, Id());
  api.fail = kube::ApiError::FromResponse(
      403, R"({"kind":"Status","reason":"Forbidden","message":"leases is forbidden","code":403})", "", "GET lease");
  auto r = hb.Renew({}, kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_code(), 403);
  api.fail.reset();
  EXPECT_TRUE(hb.Renew({}, kT0).ok());
}

}  // namespace
}  // namespace oncoatlas::agent
