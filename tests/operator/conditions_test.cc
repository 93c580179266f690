// SetConditions and WriteStatusIfChanged: observedGeneration, transition
// times kept while a status holds, transitions reported, no write without change.
#include <gtest/gtest.h>

#include "conditions.h"
#include "resources.h"
#include "status_writer.h"

namespace oncoatlas::op {
namespace {

using std::chrono::seconds;
using Time = std::chrono::system_clock::time_point;

const Time kT0 = std::chrono::system_clock::from_time_t(1'800'000'000);

TEST(SetConditions, AddsConditionsWithGenerationAndReportsThemAsTransitions) {
  nlohmann::json status = nlohmann::json::object();
  auto transitions = SetConditions(status, {{kReady, false, "DataNodeNotFound", "create it"}}, 3, kT0);
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].previous_status, "");
  EXPECT_EQ(status["observedGeneration"], 3);
  ASSERT_EQ(status["conditions"].size(), 1u);
  const auto& c = status["conditions"][0];
  EXPECT_EQ(c["type"], "Ready");
  EXPECT_EQ(c["status"], "False");
  EXPECT_EQ(c["reason"], "DataNodeNotFound");
  EXPECT_EQ(c["message"], "create it");
  EXPECT_EQ(c["observedGeneration"], 3);
  EXPECT_EQ(c["lastTransitionTime"], kube::FormatTime(kT0));
}

TEST(SetConditions, KeepsTransitionTimeWhileStatusHoldsAndChangesItOnFlip) {
  nlohmann::json status = nlohmann::json::object();
  SetConditions(status, {{kReady, false, "A", "a"}}, 1, kT0);
  auto same = SetConditions(status, {{kReady, false, "B", "b"}}, 2, kT0 + seconds(60));
  EXPECT_TRUE(same.empty());
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], kube::FormatTime(kT0));
  EXPECT_EQ(status["conditions"][0]["reason"], "B");
  EXPECT_EQ(status["conditions"][0]["observedGeneration"], 2);

  auto flipped = SetConditions(status, {{kReady, true, "C", "c"}}, 2, kT0 + seconds(120));
  ASSERT_EQ(flipped.size(), 1u);
  EXPECT_EQ(flipped[0].previous_status, "False");
  EXPECT_TRUE(flipped[0].now.status);
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], kube::FormatTime(kT0 + seconds(120)));
}

TEST(SetConditions, KeepsOtherConditionsAndStatusFields) {
  nlohmann::json status = {{"counts", {{"studies", 4}}},
                           {"conditions", {{{"type", "Ingested"}, {"status", "True"}, {"reason", "Done"}}}}};
  SetConditions(status, {{kReady, true, "Ok", "fine"}}, 1, kT0);
  EXPECT_EQ(status["counts"]["studies"], 4);
  ASSERT_EQ(status["conditions"].size(), 2u);
  EXPECT_EQ(status["conditions"][0]["type"], "Ingested");
}

TEST(SetConditions, SameDecisionTwiceGivesTheSameStatus) {
  nlohmann::json status = nlohmann::json::object();
  SetConditions(status, {{kReady, true, "Ok", "fine"}}, 1, kT0);
  nlohmann::json again = status;
  SetConditions(again, {{kReady, true, "Ok", "fine"}}, 1, kT0 + seconds(30));
  EXPECT_EQ(again, status);
}

TEST(WriteStatusIfChanged, WritesOnlyWhenTheStatusDiffers) {
  FakeStatusWriter writer;
  nlohmann::json object = {{"metadata", {{"name", "x"}, {"namespace", "n"}}}, {"status", {{"a", 1}}}};
  auto unchanged = WriteStatusIfChanged(writer, kDatasets, object, {{"a", 1}});
  ASSERT_TRUE(unchanged.ok());
  EXPECT_FALSE(*unchanged);
  EXPECT_TRUE(writer.writes().empty());

  auto changed = WriteStatusIfChanged(writer, kDatasets, object, {{"a", 2}});
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  ASSERT_EQ(writer.writes().size(), 1u);
  EXPECT_EQ(writer.writes()[0].name, "x");
  EXPECT_EQ(writer.writes()[0].status["a"], 2);

  writer.FailNextWith(Status(StatusCode::kConflict, "stale"));
  auto failed = WriteStatusIfChanged(writer, kDatasets, object, {{"a", 3}});
  EXPECT_EQ(failed.status().code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace oncoatlas::op
