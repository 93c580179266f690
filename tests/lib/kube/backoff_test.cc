#include "kube/backoff.h"

#include <gtest/gtest.h>

namespace oncoatlas::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ExponentialBackoff, DoublesFromBaseAndStopsAtTheCap) {
  const auto base = milliseconds(5);
  const auto cap = seconds(1000);
  EXPECT_EQ(ExponentialBackoffDelay(base, cap, 0), milliseconds(5));
  EXPECT_EQ(ExponentialBackoffDelay(base, cap, 1), milliseconds(10));
  EXPECT_EQ(ExponentialBackoffDelay(base, cap, 10), milliseconds(5120));
  // 5 ms * 2^17 = 655.36 s; 2^18 would pass 1000 s.
  EXPECT_EQ(ExponentialBackoffDelay(base, cap, 17), milliseconds(655360));
  EXPECT_EQ(ExponentialBackoffDelay(base, cap, 18), cap);
  EXPECT_EQ(ExponentialBackoffDelay(base, cap, 5000), cap);
  EXPECT_EQ(ExponentialBackoffDelay(base, cap, -3), base);
}

TEST(Backoff, DoublesUpToTheCapAndStartsOverAfterReset) {
  Backoff b(seconds(1), seconds(5));
  EXPECT_EQ(b.Next(), seconds(1));
  EXPECT_EQ(b.Next(), seconds(2));
  EXPECT_EQ(b.Next(), seconds(4));
  EXPECT_EQ(b.Next(), seconds(5));
  EXPECT_EQ(b.Next(), seconds(5));
  b.Reset();
  EXPECT_EQ(b.Next(), seconds(1));
}

TEST(Backoff, JitterStretchesEachWaitWithinItsBoundsAndTheCap) {
  Backoff b(milliseconds(100), milliseconds(1000), 1.0);
  for (int n = 0; n < 20; ++n) {
    const Clock::Duration base = ExponentialBackoffDelay(milliseconds(100), milliseconds(1000), n);
    const Clock::Duration wait = b.Next();
    EXPECT_GE(wait, base) << n;
    EXPECT_LE(wait, std::min<Clock::Duration>(2 * base, milliseconds(1000))) << n;
  }
}

}  // namespace
}  // namespace oncoatlas::kube
