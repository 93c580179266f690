#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

namespace oncoatlas::kube {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, AllowsTheBurstThenRefillsAtQps) {
  FakeClock clock(FakeClock::Waits::kJump);
  TokenBucket bucket(20, 30, clock);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(bucket.TryAccept()) << i;
  EXPECT_FALSE(bucket.TryAccept());
  clock.Advance(milliseconds(50));  // one token at 20 QPS
  EXPECT_TRUE(bucket.TryAccept());
  EXPECT_FALSE(bucket.TryAccept());
  clock.Advance(std::chrono::seconds(10));  // refills up to the burst only
  int accepted = 0;
  while (bucket.TryAccept()) ++accepted;
  EXPECT_EQ(accepted, 30);
}

TEST(TokenBucket, WaitSleepsForTheReservedTime) {
  FakeClock clock(FakeClock::Waits::kJump);
  TokenBucket bucket(10, 2, clock);
  bucket.Wait();
  bucket.Wait();
  EXPECT_EQ(clock.slept(), Clock::Duration::zero());
  bucket.Wait();  // third request: 100 ms at 10 QPS
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock.slept()).count(), 100);
  // Reservations queue up: the next one waits another 100 ms after the first.
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(bucket.Reserve()).count(), 100);
}

TEST(TokenBucket, ZeroQpsIsUnlimited) {
  FakeClock clock(FakeClock::Waits::kJump);
  TokenBucket bucket(0, 1, clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(bucket.TryAccept());
  bucket.Wait();
  EXPECT_EQ(clock.slept(), Clock::Duration::zero());
}

TEST(TokenBucket, ReservationsQueueAtOneTokenPerTick) {
  FakeClock clock;
  TokenBucket bucket(10, 100, clock);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(bucket.Reserve(), Clock::Duration(0)) << i;
  EXPECT_EQ(bucket.Reserve(), milliseconds(100));
  EXPECT_EQ(bucket.Reserve(), milliseconds(200));
  // One second refills ten tokens; the two reservations above owe two of them.
  clock.Advance(std::chrono::seconds(1));
  for (int i = 0; i < 8; ++i) ASSERT_EQ(bucket.Reserve(), Clock::Duration(0)) << i;
  EXPECT_EQ(bucket.Reserve(), milliseconds(100));
  clock.Advance(std::chrono::seconds(60));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(bucket.Reserve(), Clock::Duration(0)) << i;
  EXPECT_EQ(bucket.Reserve(), milliseconds(100));
}

}  // namespace
}  // namespace oncoatlas::kube
