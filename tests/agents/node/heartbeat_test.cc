#include "node/heartbeat.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "kube/api_error.h"

namespace oncoatlas::agent {
namespace {

// kube::InMemoryLeaseStore (resourceVersion semantics) that counts calls and
// fails on demand.
class FakeLeases : public kube::LeaseStore {
 public:
  Result<kube::LeaseRecord> Get() override {
    ++gets;
    if (fail) return *fail;
    return store.Get();
  }
  Result<kube::LeaseRecord> Create(const kube::LeaseRecord& r) override {
    ++creates;
    if (fail) return *fail;
    return store.Create(r);
  }
  Result<kube::LeaseRecord> Update(const kube::LeaseRecord& r) override {
    ++updates;
    if (fail) return *fail;
    return store.Update(r);
  }
  kube::LeaseRecord stored() { return *store.Get(); }
  // Someone else writes the Lease (a new resourceVersion).
  void WriteAsSomeoneElse(const std::function<void(kube::LeaseRecord&)>& change) {
    kube::LeaseRecord r = stored();
    change(r);
    ASSERT_TRUE(store.Update(r).ok());
  }

  kube::InMemoryLeaseStore store;
  std::optional<Status> fail;
  int gets = 0, creates = 0, updates = 0;
};

HeartbeatIdentity Id(const std::string& holder = "n1/host-1") {
  return {"n1", holder, "oncoatlas-agent", "oncoatlas-node-n1", 40};
}

const auto kT0 = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));

TEST(HeartbeatTest, CreatesThenRenewsWithAnnotations) {
  FakeLeases leases;
  Heartbeat hb(leases, Id());
  PacsStatus pacs{true, "C-ECHO to P@h:1 succeeded", kT0};
  auto r = hb.Renew(pacs, kT0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(leases.creates, 1);
  kube::LeaseRecord rec = leases.stored();
  EXPECT_EQ(rec.labels["oncoatlas.io/node"], "n1");
  EXPECT_EQ(rec.annotations["oncoatlas.io/agent-version"], kAgentVersion);
  EXPECT_EQ(rec.annotations["oncoatlas.io/capabilities"], kAgentCapabilities);
  EXPECT_EQ(rec.annotations["oncoatlas.io/pacs-reachable"], "true");
  EXPECT_EQ(rec.annotations["oncoatlas.io/pacs-message"], "C-ECHO to P@h:1 succeeded");
  EXPECT_EQ(rec.annotations["oncoatlas.io/pacs-checked-at"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(rec.holder_identity, "n1/host-1");
  EXPECT_EQ(rec.lease_duration_seconds, 40);
  EXPECT_EQ(rec.renew_time, kT0);
  EXPECT_EQ(rec.acquire_time, kT0);

  pacs = {false, "C-ECHO to P@h:1 failed: connection refused", kT0 + std::chrono::seconds(10)};
  r = hb.Renew(pacs, kT0 + std::chrono::seconds(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(leases.updates, 1);
  EXPECT_EQ(leases.gets, 1);  // the written Lease is reused, not read again
  rec = leases.stored();
  EXPECT_EQ(rec.renew_time, kT0 + std::chrono::seconds(10));
  EXPECT_EQ(rec.acquire_time, kT0);
  EXPECT_EQ(rec.lease_transitions, 0);
  EXPECT_EQ(rec.annotations["oncoatlas.io/pacs-reachable"], "false");
}

TEST(HeartbeatTest, ARestartedAgentTakesOverAndKeepsForeignMetadata) {
  FakeLeases leases;
  Heartbeat old(leases, Id("n1/host-1"));
  ASSERT_TRUE(old.Renew({true, "ok", kT0}, kT0).ok());
  leases.WriteAsSomeoneElse([](kube::LeaseRecord& r) { r.annotations["someone.else/note"] = "kept"; });
  Heartbeat fresh(leases, Id("n1/host-2"));
  ASSERT_TRUE(fresh.Renew({}, kT0 + std::chrono::seconds(5)).ok());
  kube::LeaseRecord rec = leases.stored();
  EXPECT_EQ(rec.holder_identity, "n1/host-2");
  EXPECT_EQ(rec.lease_transitions, 1);
  EXPECT_EQ(rec.acquire_time, kT0 + std::chrono::seconds(5));
  EXPECT_EQ(rec.annotations["someone.else/note"], "kept");
  EXPECT_FALSE(rec.annotations.contains("oncoatlas.io/pacs-checked-at"));
}

TEST(HeartbeatTest, ConflictIsRetriedFromAFreshRead) {
  FakeLeases leases;
  Heartbeat hb(leases, Id());
  ASSERT_TRUE(hb.Renew({}, kT0).ok());
  leases.WriteAsSomeoneElse([](kube::LeaseRecord&) {});  // someone else wrote in between
  auto r = hb.Renew({}, kT0 + std::chrono::seconds(1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(leases.updates, 2);
  EXPECT_EQ(leases.gets, 2);
}

TEST(HeartbeatTest, ErrorsKeepTheServersCodeAndRecover) {
  FakeLeases leases;
  Heartbeat hb(leases, Id());
  leases.fail =
      kube::ApiError::FromResponse(
          403, R"({"kind":"Status","reason":"Forbidden","message":"leases is forbidden","code":403})", "", "GET lease")
          .status();
  auto r = hb.Renew({}, kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  leases.fail.reset();
  EXPECT_TRUE(hb.Renew({}, kT0).ok());
}

}  // namespace
}  // namespace oncoatlas::agent
