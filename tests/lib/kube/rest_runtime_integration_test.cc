// The runtime's REST-backed interfaces against a real kube-apiserver:
// RestLeaseStore (create, optimistic updates, 409 on a stale resourceVersion,
// leader election between two electors over it) and RestEventSink (Events
// created, repeats aggregated into count, a vanished Event recreated).
#include <gtest/gtest.h>

#include "kube/leader_election.h"
#include "kube/rest_event_sink.h"
#include "kube/rest_lease_store.h"
#include "kube_test_util.h"

namespace oncoatlas::kube {
namespace {

using std::chrono::seconds;
using testing::ClientFor;
using testing::CreateNamespace;

TEST(RestLeaseStore, CreateUpdateAndLostRaces) {
  auto client = ClientFor();
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "lease-store");
  RestLeaseStore store(*client, "lease-store", "lock", "kube-test");

  auto missing = store.Get();
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  LeaseRecord record;
  record.holder_identity = "a";
  record.lease_duration_seconds = 15;
  record.acquire_time = record.renew_time = std::chrono::system_clock::now();
  auto created = store.Create(record);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_FALSE(created->resource_version.empty());
  EXPECT_EQ(created->holder_identity, "a");

  auto again = store.Create(record);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);

  LeaseRecord renewed = *created;
  renewed.renew_time = std::chrono::system_clock::now();
  auto updated = store.Update(renewed);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_NE(updated->resource_version, created->resource_version);

  // A candidate that read the Lease before that update loses the race.
  LeaseRecord stale = *created;
  stale.holder_identity = "b";
  auto lost = store.Update(stale);
  EXPECT_EQ(lost.status().code(), StatusCode::kConflict) << lost.status().ToString();
  auto got = store.Get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->holder_identity, "a");
  EXPECT_EQ(got->resource_version, updated->resource_version);

  LeaseRecord unversioned = *got;
  unversioned.resource_version.clear();
  EXPECT_EQ(store.Update(unversioned).status().code(), StatusCode::kInvalidArgument);
}

TEST(RestLeaseStore, TwoElectorsOneLeaderAndHandOverOnRelease) {
  auto client = ClientFor();
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "lease-elect");
  RestLeaseStore store_a(*client, "lease-elect", "lock");
  RestLeaseStore store_b(*client, "lease-elect", "lock");
  auto config = [](const std::string& id) {
    LeaderElectionConfig c;
    c.identity = id;
    c.lease_duration = seconds(3);
    c.renew_deadline = seconds(2);
    c.retry_period = std::chrono::milliseconds(250);
    return c;
  };
  LeaderElector a(config("a"), store_a);
  LeaderElector b(config("b"), store_b);
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(oncoatlas::testing::WaitFor([&] { return a.IsLeader(); }, seconds(10)));
  ASSERT_TRUE(b.Start().ok());
  // b campaigns against a held, renewed Lease: a stays the only leader.
  ASSERT_TRUE(oncoatlas::testing::WaitFor(
      [&] {
        auto lease = store_b.Get();
        return lease.ok() && lease->renew_time && lease->acquire_time &&
               *lease->renew_time > *lease->acquire_time + seconds(1);
      },
      seconds(10)));
  EXPECT_TRUE(a.IsLeader());
  EXPECT_FALSE(b.IsLeader());

  a.Stop();  // releases the Lease
  auto released = store_a.Get();
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(released->holder_identity.empty() || released->holder_identity == "b");
  ASSERT_TRUE(oncoatlas::testing::WaitFor([&] { return b.IsLeader(); }, seconds(10)));
  auto taken = store_b.Get();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->holder_identity, "b");
  EXPECT_GE(taken->lease_transitions, 1);
  b.Stop();
}

Json EventsFor(RestClient& client, const std::string& ns, const std::string& name) {
  auto list = client.List(core::kEvents, ns, {.field_selector = "involvedObject.name=" + name});
  EXPECT_TRUE(list.ok()) << list.error().ToString();
  return list.ok() ? (*list)["items"] : Json::array();
}

TEST(RestEventSink, CreatesAggregatesAndRecreates) {
  auto client = ClientFor();
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "events");
  auto cm = client->Create(core::kConfigMaps, "events", testing::ConfigMap("events", "subject"));
  ASSERT_TRUE(cm.ok());
  RestEventSink sink(*client, {.field_manager = "kube-test"});
  Event e;
  e.involved_object = {"v1", "ConfigMap", "events", "subject", (*cm)["metadata"]["uid"].get<std::string>()};
  e.type = EventType::kWarning;
  e.reason = "SomethingWrong";
  e.message = "fix it";
  e.source_component = "kube-test";
  e.timestamp = std::chrono::system_clock::now();

  ASSERT_TRUE(sink.Create(e).ok());
  e.timestamp += seconds(2);
  ASSERT_TRUE(sink.Create(e).ok());
  Json events = EventsFor(*client, "events", "subject");
  ASSERT_EQ(events.size(), 1u) << events.dump();
  EXPECT_EQ(events[0]["count"], 2);
  EXPECT_EQ(events[0]["reason"], "SomethingWrong");
  EXPECT_EQ(events[0]["type"], "Warning");
  EXPECT_EQ(events[0]["involvedObject"]["uid"], (*cm)["metadata"]["uid"]);
  EXPECT_NE(events[0]["firstTimestamp"], events[0]["lastTimestamp"]);
  EXPECT_EQ(sink.created(), 1);
  EXPECT_EQ(sink.patched(), 1);

  Event other = e;
  other.message = "another thing";
  ASSERT_TRUE(sink.Create(other).ok());
  EXPECT_EQ(EventsFor(*client, "events", "subject").size(), 2u);

  // The aggregated Event is deleted (as Event TTL does): the next repeat
  // creates a new one (its timestamp-derived name is taken by `other`'s Event,
  // so the API server names it).
  auto deleted = client->Delete(core::kEvents, "events", events[0]["metadata"]["name"]);
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  ASSERT_TRUE(sink.Create(e).ok());
  Json after = EventsFor(*client, "events", "subject");
  ASSERT_EQ(after.size(), 2u);
  for (const Json& ev : after) EXPECT_EQ(ev["count"], 1);
  EXPECT_EQ(sink.created(), 3);
}

}  // namespace
}  // namespace oncoatlas::kube
