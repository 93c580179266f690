#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

namespace oncoatlas::kube {
namespace {

using std::chrono::seconds;

constexpr std::chrono::milliseconds kTimeout(20000);

class LeaderElectionTest : public ::testing::Test {
 protected:
  struct Candidate {
    std::atomic<int> started{0};
    std::atomic<int> stopped{0};
    std::unique_ptr<LeaderElector> elector;
  };

  std::unique_ptr<Candidate> MakeCandidate(const std::string& id, bool release_on_stop = true) {
    auto c = std::make_unique<Candidate>();
    LeaderElectionConfig config;
    config.identity = id;
    config.clock = &clock_;
    config.release_on_stop = release_on_stop;
    Candidate* raw = c.get();
    config.on_started_leading = [raw] { ++raw->started; };
    config.on_stopped_leading = [raw] { ++raw->stopped; };
    c->elector = std::make_unique<LeaderElector>(config, store_);
    return c;
  }

  // Advances to the next wake-up of the running electors and waits until they
  // have acted on it and wait again.
  void Step(std::size_t running) {
    ASSERT_TRUE(clock_.AwaitSettled(running, kTimeout));
    clock_.Advance(clock_.NextDeadline() - clock_.Now());
    ASSERT_TRUE(clock_.AwaitSettled(running, kTimeout));
  }

  // Steps until `c` leads; returns the fake time that took.
  Clock::Duration StepUntilLeader(Candidate& c, std::size_t running) {
    const auto start = clock_.Now();
    for (int i = 0; i < 100 && !c.elector->IsLeader(); ++i) Step(running);
    EXPECT_TRUE(c.elector->IsLeader());
    return clock_.Now() - start;
  }

  FakeClock clock_;
  InMemoryLeaseStore store_;
};

TEST_F(LeaderElectionTest, FirstCandidateTakesTheLease) {
  auto a = MakeCandidate("a");
  ASSERT_TRUE(a->elector->Start().ok());
  ASSERT_TRUE(clock_.AwaitSettled(1, kTimeout));
  EXPECT_TRUE(a->elector->IsLeader());
  EXPECT_EQ(a->started, 1);
  auto record = store_.Get();
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->holder_identity, "a");
  EXPECT_EQ(record->lease_duration_seconds, 15);
  EXPECT_EQ(record->lease_transitions, 0);
  EXPECT_EQ(record->renew_time, clock_.WallNow());
}

TEST_F(LeaderElectionTest, TheLeaderRenewsAndKeepsTheLease) {
  auto a = MakeCandidate("a");
  auto b = MakeCandidate("b");
  ASSERT_TRUE(a->elector->Start().ok());
  ASSERT_TRUE(clock_.AwaitSettled(1, kTimeout));
  ASSERT_TRUE(b->elector->Start().ok());
  for (int i = 0; i < 30; ++i) {
    Step(2);
    ASSERT_TRUE(a->elector->IsLeader());
    ASSERT_FALSE(b->elector->IsLeader()) << "after " << i << " steps";
  }
  auto record = store_.Get();
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->holder_identity, "a");
  EXPECT_EQ(record->lease_transitions, 0);
  EXPECT_GE(clock_.WallNow() - *record->renew_time, std::chrono::seconds(0));
  EXPECT_LE(clock_.WallNow() - *record->renew_time, std::chrono::seconds(2));
  EXPECT_EQ(b->started, 0);
}

TEST_F(LeaderElectionTest, AFollowerTakesOverWithinLeaseDurationPlusRetryWhenTheLeaderDies) {
  auto a = MakeCandidate("a", /*release_on_stop=*/false);  // stopping without release is dying
  auto b = MakeCandidate("b");
  ASSERT_TRUE(a->elector->Start().ok());
  ASSERT_TRUE(clock_.AwaitSettled(1, kTimeout));
  ASSERT_TRUE(b->elector->Start().ok());
  // Let them run a while, so the follower has seen several renewals.
  for (int i = 0; i < 5; ++i) Step(2);
  ASSERT_TRUE(a->elector->IsLeader());

  a->elector->Stop();
  EXPECT_EQ(a->stopped, 1);
  ASSERT_EQ(store_.Get()->holder_identity, "a") << "a died: it did not release";

  const Clock::Duration took = StepUntilLeader(*b, 1);
  EXPECT_LE(took, seconds(15) + seconds(2));
  // a renewed at most one retry period before it died, and nobody may take a
  // lease that was renewed less than 15 s ago.
  EXPECT_GE(took, seconds(15) - seconds(2));
  EXPECT_EQ(b->started, 1);
  auto record = store_.Get();
  EXPECT_EQ(record->holder_identity, "b");
  EXPECT_EQ(record->lease_transitions, 1);
}

TEST_F(LeaderElectionTest, ACleanStopReleasesTheLeaseForAnImmediateHandOver) {
  auto a = MakeCandidate("a");
  auto b = MakeCandidate("b");
  ASSERT_TRUE(a->elector->Start().ok());
  ASSERT_TRUE(clock_.AwaitSettled(1, kTimeout));
  ASSERT_TRUE(b->elector->Start().ok());
  Step(2);
  a->elector->Stop();
  EXPECT_FALSE(a->elector->IsLeader());
  EXPECT_EQ(a->stopped, 1);
  ASSERT_EQ(store_.Get()->holder_identity, "") << "released";
  const Clock::Duration took = StepUntilLeader(*b, 1);
  EXPECT_LE(took, seconds(2)) << "the follower takes a released lease at its next try";
}

TEST_F(LeaderElectionTest, TheLeaderStepsDownWhenItCannotRenewAndComesBack) {
  auto a = MakeCandidate("a");
  ASSERT_TRUE(a->elector->Start().ok());
  ASSERT_TRUE(clock_.AwaitSettled(1, kTimeout));
  ASSERT_TRUE(a->elector->IsLeader());
  store_.SetUnavailable(true);
  const auto cut = clock_.Now();
  while (a->elector->IsLeader()) {
    Step(1);
    ASSERT_LE(clock_.Now() - cut, seconds(12)) << "still leading long after the renew deadline";
  }
  EXPECT_GE(clock_.Now() - cut, seconds(10)) << "stepped down before the renew deadline";
  EXPECT_EQ(a->stopped, 1);
  store_.SetUnavailable(false);
  StepUntilLeader(*a, 1);
  EXPECT_EQ(a->started, 2);
}

TEST_F(LeaderElectionTest, RejectsBadConfigs) {
  LeaderElectionConfig c;
  c.clock = &clock_;
  EXPECT_EQ(ValidateLeaderElectionConfig(c).code(), StatusCode::kInvalidArgument);  // no identity
  c.identity = "a";
  EXPECT_TRUE(ValidateLeaderElectionConfig(c).ok());
  c.renew_deadline = seconds(20);
  EXPECT_EQ(ValidateLeaderElectionConfig(c).code(), StatusCode::kInvalidArgument);
  c.renew_deadline = seconds(1);
  EXPECT_EQ(ValidateLeaderElectionConfig(c).code(), StatusCode::kInvalidArgument);
  LeaderElector e(c, store_);
  EXPECT_EQ(e.Start().code(), StatusCode::kInvalidArgument);
}

TEST(InMemoryLeaseStore, GuardsUpdatesWithTheResourceVersion) {
  InMemoryLeaseStore store;
  EXPECT_EQ(store.Get().status().code(), StatusCode::kNotFound);
  LeaseRecord r;
  r.holder_identity = "a";
  auto created = store.Create(r);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(store.Create(r).status().code(), StatusCode::kAlreadyExists);
  LeaseRecord stale = *created;
  auto updated = store.Update(*created);
  ASSERT_TRUE(updated.ok());
  EXPECT_NE(updated->resource_version, stale.resource_version);
  EXPECT_EQ(store.Update(stale).status().code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace oncoatlas::kube
