#include "kube/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "kube/workqueue_rate_limiter.h"

namespace oncoatlas::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RecordingMetrics : public WorkQueueMetrics {
 public:
  void Added() override { ++adds; }
  void Depth(std::size_t d) override { depth = d; }
  void QueueDuration(double s) override { queue_durations.push_back(s); }
  void WorkDuration(double s) override { work_durations.push_back(s); }
  void Retried() override { ++retries; }

  int adds = 0;
  std::size_t depth = 0;
  std::vector<double> queue_durations;
  std::vector<double> work_durations;
  int retries = 0;
};

TEST(WorkQueue, AnItemQueuedTwiceIsHandedOutOnce) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueue, AnItemAddedWhileProcessingIsRequeuedAfterDone) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");
  q.Add("a");
  EXPECT_EQ(q.Len(), 0u) << "must not be handed to a second worker while processing";
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  ASSERT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueue, AddAfterQueuesOnlyOnceTheDelayHasPassed) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.AddAfter("a", seconds(1));
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.WaitingLen(), 1u);
  clock.Advance(milliseconds(999));
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(milliseconds(1));
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.WaitingLen(), 0u);
}

TEST(WorkQueue, AddAfterKeepsTheEarlierTime) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.AddAfter("a", seconds(10));
  q.AddAfter("a", seconds(2));
  q.AddAfter("a", seconds(5));
  EXPECT_EQ(q.WaitingLen(), 1u);
  clock.Advance(seconds(2));
  EXPECT_EQ(q.Len(), 1u);
  ASSERT_EQ(q.Get(), "a");
  q.Done("a");
  clock.Advance(seconds(10));
  EXPECT_EQ(q.Len(), 0u) << "the later schedules were merged into the earlier one";
}

TEST(WorkQueue, ZeroDelayAddsAtOnce) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.AddAfter("a", seconds(0));
  EXPECT_EQ(q.Len(), 1u);
}

TEST(WorkQueue, BlockedGetWakesWhenTheClockReachesADelayedItem) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.AddAfter("late", seconds(30));
  std::optional<std::string> got;
  std::thread worker([&] { got = q.Get(); });
  ASSERT_TRUE(clock.AwaitWaiters(1, seconds(10)));
  clock.Advance(seconds(29));
  EXPECT_FALSE(got.has_value());
  clock.Advance(seconds(1));
  worker.join();
  EXPECT_EQ(got, "late");
}

TEST(WorkQueue, BlockedGetWakesOnAdd) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  std::optional<std::string> got;
  std::thread worker([&] { got = q.Get(); });
  ASSERT_TRUE(clock.AwaitWaiters(1, seconds(10)));
  q.Add("x");
  worker.join();
  EXPECT_EQ(got, "x");
}

TEST(WorkQueue, RateLimitedAddsBackOffPerItemAndForgetResets) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  const std::vector<milliseconds> expected = {milliseconds(5), milliseconds(10), milliseconds(20), milliseconds(40)};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    q.AddRateLimited("a");
    EXPECT_EQ(q.NumRequeues("a"), static_cast<int>(i + 1));
    clock.Advance(expected[i] - milliseconds(1));
    EXPECT_EQ(q.Len(), 0u) << "retry " << i << " came early";
    clock.Advance(milliseconds(1));
    ASSERT_EQ(q.Len(), 1u) << "retry " << i << " did not come after " << expected[i].count() << " ms";
    ASSERT_EQ(q.Get(), "a");
    q.Done("a");
  }
  q.Forget("a");
  EXPECT_EQ(q.NumRequeues("a"), 0);
  q.AddRateLimited("a");
  clock.Advance(milliseconds(5));
  EXPECT_EQ(q.Len(), 1u);
}

TEST(WorkQueue, ShutDownWakesGetAndIgnoresLaterAdds) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = q.Get(); });
  ASSERT_TRUE(clock.AwaitWaiters(1, seconds(10)));
  q.ShutDown();
  worker.join();
  EXPECT_FALSE(got.has_value());
  EXPECT_TRUE(q.ShuttingDown());
  q.Add("a");
  q.AddAfter("b", seconds(1));
  q.AddRateLimited("c");
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.WaitingLen(), 0u);
  EXPECT_FALSE(q.Get().has_value());
}

TEST(WorkQueue, ShutDownWithDrainWaitsForItemsInFlight) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  std::atomic<bool> returned{false};
  std::thread stopper([&] {
    q.ShutDownWithDrain();
    returned = true;
  });
  while (!q.ShuttingDown()) std::this_thread::yield();
  EXPECT_FALSE(returned) << "drain returned while 'a' was still being processed";
  q.Add("a");  // ignored: shutting down
  q.Done("a");
  stopper.join();
  EXPECT_TRUE(returned);
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueue, ReportsMetrics) {
  FakeClock clock;
  RecordingMetrics m;
  WorkQueue<std::string> q(clock, nullptr, &m);
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(m.adds, 2);
  EXPECT_EQ(m.depth, 2u);
  clock.Advance(seconds(2));
  ASSERT_EQ(q.Get(), "a");
  EXPECT_EQ(m.depth, 1u);
  ASSERT_EQ(m.queue_durations.size(), 1u);
  EXPECT_DOUBLE_EQ(m.queue_durations[0], 2.0);
  clock.Advance(milliseconds(500));
  q.Done("a");
  ASSERT_EQ(m.work_durations.size(), 1u);
  EXPECT_DOUBLE_EQ(m.work_durations[0], 0.5);
  q.AddRateLimited("a");
  EXPECT_EQ(m.retries, 1);
}

TEST(WorkQueue, ConcurrentWorkersNeverHoldTheSameItem) {
  WorkQueue<int> q(DefaultClock());
  std::mutex mu;
  std::unordered_set<int> held;
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto item = q.Get()) {
        {
          std::lock_guard<std::mutex> l(mu);
          if (!held.insert(*item).second) overlap = true;
        }
        std::this_thread::yield();
        {
          std::lock_guard<std::mutex> l(mu);
          held.erase(*item);
        }
        ++processed;
        q.Done(*item);
      }
    });
  }
  for (int round = 0; round < 2000; ++round) q.Add(round % 3);
  // Wait until everything added has been processed, then stop.
  while (q.Len() > 0) std::this_thread::yield();
  q.ShutDownWithDrain();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap);
  EXPECT_GT(processed, 0);
}

TEST(ItemExponentialFailureRateLimiter, CountsPerItem) {
  ItemExponentialFailureRateLimiter<std::string> l(milliseconds(5), seconds(1000));
  EXPECT_EQ(l.When("a"), milliseconds(5));
  EXPECT_EQ(l.When("a"), milliseconds(10));
  EXPECT_EQ(l.When("b"), milliseconds(5));
  EXPECT_EQ(l.NumRequeues("a"), 2);
  EXPECT_EQ(l.NumRequeues("b"), 1);
  l.Forget("a");
  EXPECT_EQ(l.NumRequeues("a"), 0);
  EXPECT_EQ(l.When("a"), milliseconds(5));
  for (int i = 0; i < 100; ++i) l.When("b");
  EXPECT_EQ(l.When("b"), seconds(1000));
}

TEST(ControllerRateLimiter, IsTheLongerOfBackoffAndBucket) {
  FakeClock clock;
  auto limiter = NewControllerRateLimiter<std::string>(clock);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(limiter->When("item-" + std::to_string(i)), milliseconds(5)) << i;
  }
  // The bucket is empty now: a fresh item waits for the bucket, not its backoff.
  EXPECT_EQ(limiter->When("fresh"), milliseconds(100));
  // An item that has failed many times waits for its backoff.
  for (int i = 0; i < 12; ++i) limiter->When("sick");
  EXPECT_EQ(limiter->When("sick"), milliseconds(5 << 12));
  EXPECT_EQ(limiter->NumRequeues("sick"), 13);
  limiter->Forget("sick");
  EXPECT_EQ(limiter->NumRequeues("sick"), 0);
}

}  // namespace
}  // namespace oncoatlas::kube
