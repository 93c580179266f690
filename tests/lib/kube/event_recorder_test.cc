#include "kube/event_recorder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace oncoatlas::kube {
namespace {

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderOptions Options() {
    EventRecorderOptions o;
    o.component = "oncoatlas-operator";
    o.clock = &clock_;
    return o;
  }
  FakeClock clock_;
  FakeEventSink sink_;
  const ObjectReference node_{"oncoatlas.io/v1alpha1", "DataNode", "", "site-a", "uid-1"};
  const ObjectReference other_{"oncoatlas.io/v1alpha1", "DataNode", "", "site-b", "uid-2"};
};

TEST_F(EventRecorderTest, PassesEventsToTheSink) {
  EventRecorder r(Options(), sink_);
  ASSERT_TRUE(r.Record(node_, EventType::kWarning, "AgentUnreachable", "no heartbeat for 5m").ok());
  ASSERT_EQ(sink_.events.size(), 1u);
  const Event& e = sink_.events[0];
  EXPECT_EQ(e.involved_object.name, "site-a");
  EXPECT_EQ(e.type, EventType::kWarning);
  EXPECT_EQ(e.reason, "AgentUnreachable");
  EXPECT_EQ(e.message, "no heartbeat for 5m");
  EXPECT_EQ(e.source_component, "oncoatlas-operator");
  EXPECT_EQ(e.timestamp, clock_.WallNow());
}

TEST_F(EventRecorderTest, RateLimitsEachObjectSeparately) {
  EventRecorder r(Options(), sink_);
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(r.Record(node_, EventType::kNormal, "Synced", "ok").ok()) << i;
  EXPECT_EQ(r.Record(node_, EventType::kNormal, "Synced", "ok").code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(r.Record(other_, EventType::kNormal, "Synced", "ok").ok()) << "another object has its own bucket";
  EXPECT_EQ(sink_.events.size(), 26u);
  // One token every five minutes.
  clock_.Advance(std::chrono::minutes(5) - std::chrono::seconds(1));
  EXPECT_EQ(r.Record(node_, EventType::kNormal, "Synced", "ok").code(), StatusCode::kResourceExhausted);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(r.Record(node_, EventType::kNormal, "Synced", "ok").ok());
  EXPECT_EQ(r.Record(node_, EventType::kNormal, "Synced", "ok").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(sink_.events.size(), 27u);
}

TEST_F(EventRecorderTest, ForgetsTheLeastRecentlyUsedObjectsBeyondTheCap) {
  EventRecorderOptions o = Options();
  o.burst = 1;
  o.max_tracked_objects = 2;
  EventRecorder r(o, sink_);
  ObjectReference c = node_;
  c.name = "site-c";
  ASSERT_TRUE(r.Record(node_, EventType::kNormal, "R", "m").ok());
  ASSERT_FALSE(r.Record(node_, EventType::kNormal, "R", "m").ok());
  ASSERT_TRUE(r.Record(other_, EventType::kNormal, "R", "m").ok());
  ASSERT_TRUE(r.Record(c, EventType::kNormal, "R", "m").ok());  // evicts site-a's bucket
  EXPECT_TRUE(r.Record(node_, EventType::kNormal, "R", "m").ok()) << "a fresh bucket after eviction";
}

TEST_F(EventRecorderTest, RejectsIncompleteEventsAndRedactsMessages) {
  EventRecorder r(Options(), sink_);
  EXPECT_EQ(r.Record(ObjectReference{}, EventType::kNormal, "R", "m").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.Record(node_, EventType::kNormal, "", "m").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(r.Record(node_, EventType::kNormal, "Rotated", "new token=abc123 issued " + std::string(3000, 'x')).ok());
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].message.find("abc123"), std::string::npos);
  EXPECT_EQ(sink_.events[0].message.size(), 1024u);
}

TEST_F(EventRecorderTest, ReturnsTheSinksError) {
  EventRecorder r(Options(), sink_);
  sink_.next = UnavailableError("api server down");
  EXPECT_EQ(r.Record(node_, EventType::kNormal, "R", "m").code(), StatusCode::kUnavailable);
}

TEST(EventToJson, BuildsACoreV1Event) {
  Event e;
  e.involved_object = {"oncoatlas.io/v1alpha1", "Dataset", "oncoatlas-node-a", "lung-ct", "u1"};
  e.type = EventType::kWarning;
  e.reason = "IngestFailed";
  e.message = "PACS refused C-MOVE";
  e.source_component = "oncoatlas-agent";
  e.timestamp = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
  const nlohmann::json j = EventToJson(e);
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["kind"], "Event");
  EXPECT_EQ(j["metadata"]["namespace"], "oncoatlas-node-a");
  EXPECT_EQ(j["metadata"]["name"], "lung-ct.18fae27693b40000");
  EXPECT_EQ(j["involvedObject"]["uid"], "u1");
  EXPECT_EQ(j["type"], "Warning");
  EXPECT_EQ(j["firstTimestamp"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(j["source"]["component"], "oncoatlas-agent");
  e.involved_object.ns = "";
  EXPECT_EQ(EventToJson(e)["metadata"]["namespace"], "default");
}

}  // namespace
}  // namespace oncoatlas::kube
