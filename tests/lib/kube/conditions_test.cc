// SetConditions: observedGeneration on each condition, transition times kept
// while a status holds, other writers' conditions and fields kept, changes
// reported; FindCondition / IsConditionTrue.
#include "kube/conditions.h"

#include <gtest/gtest.h>

#include "kube/rfc3339.h"

namespace oncoatlas::kube {
namespace {

using std::chrono::seconds;
using Time = std::chrono::system_clock::time_point;

const Time kT0 = std::chrono::system_clock::from_time_t(1'800'000'000);

TEST(SetConditions, AddsConditionsWithGenerationAndReportsThemAsChanges) {
  nlohmann::json status = nlohmann::json::object();
  auto changes = SetConditions(status, {{kConditionReady, kConditionFalse, "DataNodeNotFound", "create it"}}, 3, kT0);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].previous_status, "");
  EXPECT_TRUE(changes[0].StatusChanged());
  EXPECT_FALSE(status.contains("observedGeneration")) << "the caller's to set";
  ASSERT_EQ(status["conditions"].size(), 1u);
  const auto& c = status["conditions"][0];
  EXPECT_EQ(c["type"], "Ready");
  EXPECT_EQ(c["status"], "False");
  EXPECT_EQ(c["reason"], "DataNodeNotFound");
  EXPECT_EQ(c["message"], "create it");
  EXPECT_EQ(c["observedGeneration"], 3);
  EXPECT_EQ(c["lastTransitionTime"], FormatTime(kT0));
}

TEST(SetConditions, KeepsTransitionTimeWhileStatusHoldsAndChangesItOnFlip) {
  nlohmann::json status = nlohmann::json::object();
  SetConditions(status, {{kConditionReady, kConditionFalse, "A", "a"}}, 1, kT0);
  auto same = SetConditions(status, {{kConditionReady, kConditionFalse, "B", "b"}}, 2, kT0 + seconds(60));
  ASSERT_EQ(same.size(), 1u) << "a new reason is a change";
  EXPECT_FALSE(same[0].StatusChanged()) << "but no transition";
  EXPECT_EQ(same[0].previous_reason, "A");
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], FormatTime(kT0));
  EXPECT_EQ(status["conditions"][0]["reason"], "B");
  EXPECT_EQ(status["conditions"][0]["observedGeneration"], 2);

  auto flipped = SetConditions(status, {{kConditionReady, kConditionTrue, "C", "c"}}, 2, kT0 + seconds(120));
  ASSERT_EQ(flipped.size(), 1u);
  EXPECT_EQ(flipped[0].previous_status, "False");
  EXPECT_TRUE(flipped[0].now.IsTrue());
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], FormatTime(kT0 + seconds(120)));

  auto unknown = SetConditions(status, {{kConditionReady, kConditionUnknown, "C", "c"}}, 2, kT0 + seconds(180));
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(status["conditions"][0]["status"], "Unknown");
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], FormatTime(kT0 + seconds(180)));
}

TEST(SetConditions, KeepsOtherConditionsAndStatusFields) {
  nlohmann::json status = {{"counts", {{"studies", 4}}},
                           {"observedGeneration", 7},
                           {"conditions", {{{"type", "Ingested"}, {"status", "True"}, {"reason", "Done"}}}}};
  SetConditions(status, {{kConditionReady, kConditionTrue, "Ok", "fine"}}, 1, kT0);
  EXPECT_EQ(status["counts"]["studies"], 4);
  EXPECT_EQ(status["observedGeneration"], 7);
  ASSERT_EQ(status["conditions"].size(), 2u);
  EXPECT_EQ(status["conditions"][0]["type"], "Ingested");
  EXPECT_EQ(status["conditions"][1]["type"], "Ready");
}

TEST(SetConditions, SameDecisionTwiceGivesTheSameStatusAndNoChange) {
  nlohmann::json status = nlohmann::json::object();
  SetConditions(status, {{kConditionReady, kConditionTrue, "Ok", "fine"}}, 1, kT0);
  nlohmann::json again = status;
  EXPECT_TRUE(SetConditions(again, {{kConditionReady, kConditionTrue, "Ok", "fine"}}, 1, kT0 + seconds(30)).empty());
  EXPECT_EQ(again, status);
}

TEST(SetConditions, RepairsMalformedInput) {
  nlohmann::json status = {{"conditions", {"not an object", {{"type", "Ready"}, {"lastTransitionTime", 5}}}}};
  SetConditions(status, {{kConditionReady, kConditionTrue, "Ok", "fine"}}, 1, kT0);
  EXPECT_EQ(status["conditions"][1]["lastTransitionTime"], FormatTime(kT0));
  nlohmann::json not_an_object = "x";
  SetConditions(not_an_object, {{kConditionReady, kConditionTrue, "Ok", "fine"}}, 1, kT0);
  EXPECT_EQ(not_an_object["conditions"].size(), 1u);
}

TEST(SetConditions, CutsAMessageOverTheApiLimitWithoutSplittingACharacter) {
  nlohmann::json status;
  std::string message(4095, 'a');
  message += "\xc3\xa9";  // é across the limit
  SetConditions(status, {{kConditionReady, kConditionFalse, "Long", message}}, 1, kT0);
  EXPECT_EQ(status["conditions"][0]["message"].get<std::string>(), std::string(4095, 'a'));
}

TEST(FindCondition, FindsByTypeInTheObjectsStatus) {
  const nlohmann::json object = {
      {"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}, {{"type", "X"}, {"status", "False"}}}}}}};
  EXPECT_EQ(FindCondition(object, "X")["status"], "False");
  EXPECT_TRUE(FindCondition(object, "Y").is_null());
  EXPECT_TRUE(IsConditionTrue(object, "Ready"));
  EXPECT_FALSE(IsConditionTrue(object, "X"));
  EXPECT_FALSE(IsConditionTrue(nlohmann::json("x"), "Ready"));
}

}  // namespace
}  // namespace oncoatlas::kube
