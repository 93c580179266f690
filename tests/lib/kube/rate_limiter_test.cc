#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

#include "fake_clock.h"

namespace oncoatlas::kube {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, AllowsTheBurstThenRefillsAtQps) {
  testing::FakeClock clock;
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
  testing::FakeClock clock;
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
  testing::FakeClock clock;
  TokenBucket bucket(0, 1, clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(bucket.TryAccept());
  bucket.Wait();
  EXPECT_EQ(clock.slept(), Clock::Duration::zero());
}

}  // namespace
}  // namespace oncoatlas::kube
