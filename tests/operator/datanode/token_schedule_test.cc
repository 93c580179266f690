// TokenScheduleFor: the operator's lifetime renewed at 2/3, or the DataNode's
// credentialRotationInterval (rotate every interval, live two); Go durations.
#include "datanode/token_schedule.h"

#include <gtest/gtest.h>

#include "core/duration.h"

namespace oncoatlas::datanode {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

api::DataNode Node(std::optional<std::string> interval) {
  api::DataNode node;
  node.metadata = {{"name", "se"}};
  if (interval) {
    node.spec.agent.emplace();
    node.spec.agent->credential_rotation_interval = *interval;
  }
  return node;
}

TEST(TokenSchedule, OperatorLifetimeRenewedAtTwoThirds) {
  auto s = TokenScheduleFor(Node(std::nullopt), hours(1));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->lifetime, hours(1));
  EXPECT_EQ(s->renew_after, minutes(40));
}

TEST(TokenSchedule, RotationIntervalFromTheSpecOverridesTheFlag) {
  auto s = TokenScheduleFor(Node("24h"), hours(1));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->renew_after, hours(24));
  EXPECT_EQ(s->lifetime, hours(48)) << "the previous token stays valid one more interval";
  s = TokenScheduleFor(Node("1h30m"), hours(1));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->renew_after, minutes(90));
  EXPECT_EQ(s->lifetime, minutes(180));
  // spec.agent without the field (the CRD defaults it; a client-built object may not).
  api::DataNode bare = Node(std::nullopt);
  bare.spec.agent.emplace();
  s = TokenScheduleFor(bare, minutes(30));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->lifetime, minutes(30));
  EXPECT_EQ(s->renew_after, minutes(20));
}

TEST(TokenSchedule, TestOverrideOfTheRenewalIsCappedByTheLifetime) {
  auto s = TokenScheduleFor(Node("2h"), hours(1), seconds(20));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->lifetime, hours(4));
  EXPECT_EQ(s->renew_after, seconds(20));
  s = TokenScheduleFor(Node(std::nullopt), minutes(10), hours(1));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->renew_after, minutes(10));
}

TEST(TokenSchedule, MalformedIntervalNamesTheField) {
  auto s = TokenScheduleFor(Node("a day"), hours(1));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("spec.agent.credentialRotationInterval"), std::string::npos);
}

TEST(ParseGoDuration, Forms) {
  EXPECT_EQ(ParseGoDuration("24h"), hours(24));
  EXPECT_EQ(ParseGoDuration("1h30m"), minutes(90));
  EXPECT_EQ(ParseGoDuration("1.5h"), minutes(90));
  EXPECT_EQ(ParseGoDuration("90s"), seconds(90));
  EXPECT_EQ(ParseGoDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_FALSE(ParseGoDuration(""));
  EXPECT_FALSE(ParseGoDuration("24"));
  EXPECT_FALSE(ParseGoDuration("h"));
  EXPECT_FALSE(ParseGoDuration("1..5h"));
  EXPECT_FALSE(ParseGoDuration(".5h"));
  EXPECT_FALSE(ParseGoDuration("3d"));
  EXPECT_FALSE(ParseGoDuration("99999999999999999h"));
}

}  // namespace
}  // namespace oncoatlas::datanode
