#include "kube/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace oncoatlas::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  const auto t0 = clock.Now();
  const auto w0 = clock.WallNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(seconds(3));
  EXPECT_EQ(clock.Now() - t0, seconds(3));
  EXPECT_EQ(clock.WallNow() - w0, seconds(3));
  clock.Advance(seconds(-5));
  EXPECT_EQ(clock.Now() - t0, seconds(3));
}

TEST(FakeClock, WaiterWakesOnlyWhenItsDeadlinePasses) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable_any cv;
  std::atomic<bool> woke{false};
  const auto deadline = clock.Now() + seconds(10);
  std::thread waiter([&] {
    std::unique_lock<std::mutex> l(mu);
    while (clock.Now() < deadline) clock.WaitUntil(l, cv, deadline);
    woke = true;
  });
  ASSERT_TRUE(clock.AwaitWaiters(1, seconds(10)));
  EXPECT_EQ(clock.NextDeadline(), deadline);
  clock.Advance(seconds(9));
  // Not due: the waiter stays registered and is not woken.
  EXPECT_EQ(clock.Waiters(), 1u);
  EXPECT_FALSE(woke);
  clock.Advance(seconds(1));
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_EQ(clock.Waiters(), 0u);
}

TEST(FakeClock, PastDeadlineReturnsAtOnce) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> l(mu);
  clock.WaitUntil(l, cv, clock.Now());
  EXPECT_TRUE(l.owns_lock());
  EXPECT_EQ(clock.Waiters(), 0u);
}

TEST(FakeClock, NotifyWakesAWaiterBeforeItsDeadline) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable_any cv;
  bool ready = false;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> l(mu);
    while (!ready) clock.WaitUntil(l, cv, Clock::TimePoint::max());
  });
  ASSERT_TRUE(clock.AwaitWaiters(1, seconds(10)));
  {
    std::lock_guard<std::mutex> l(mu);
    ready = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_EQ(clock.Waiters(), 0u);
}

TEST(FakeClock, ManyWaitersWithDifferentDeadlinesWakeInTurn) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable_any cv;
  const auto start = clock.Now();
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int i = 1; i <= 4; ++i) {
    threads.emplace_back([&, i] {
      const auto deadline = start + seconds(i);
      std::unique_lock<std::mutex> l(mu);
      while (clock.Now() < deadline) clock.WaitUntil(l, cv, deadline);
      ++done;
    });
  }
  ASSERT_TRUE(clock.AwaitWaiters(4, seconds(10)));
  for (int i = 1; i <= 4; ++i) {
    clock.Advance(seconds(1));
    ASSERT_TRUE(clock.AwaitWaiters(static_cast<std::size_t>(4 - i), seconds(10)));
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done, 4);
}

TEST(RealClock, WaitUntilReturnsForPastDeadlineAndOnNotify) {
  RealClock& clock = static_cast<RealClock&>(DefaultClock());
  std::mutex mu;
  std::condition_variable_any cv;
  {
    std::unique_lock<std::mutex> l(mu);
    clock.WaitUntil(l, cv, clock.Now() - milliseconds(1));
  }
  bool ready = false;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> l(mu);
    while (!ready) clock.WaitUntil(l, cv, Clock::TimePoint::max());
  });
  {
    std::lock_guard<std::mutex> l(mu);
    ready = true;
  }
  cv.notify_all();
  waiter.join();
  const auto earlier = clock.Now();
  EXPECT_LE(earlier, clock.Now());
}

}  // namespace
}  // namespace oncoatlas::kube
