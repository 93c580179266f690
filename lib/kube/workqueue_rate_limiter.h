// Rate limiters for the work queue: how long to wait before an item may be
// processed again. The controller default is the larger of a per-item
// exponential backoff (5 ms doubling to 1000 s, reset by Forget) and an overall
// token bucket (10 per second, burst 100), as in client-go.
//
// Threading: every limiter here is safe to call from several threads.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/thread_annotations.h"
#include "kube/backoff.h"
#include "kube/clock.h"
#include "kube/rate_limiter.h"

namespace oncoatlas::kube {

// Decides how long an item waits before it is queued again.
template <typename T, typename Hash = std::hash<T>>
class WorkQueueRateLimiter {
 public:
  virtual ~WorkQueueRateLimiter() = default;
  // The delay before `item` may be retried; counts one more requeue of it.
  virtual Clock::Duration When(const T& item) = 0;
  // Stops tracking `item`: its next failure starts from the base delay again.
  virtual void Forget(const T& item) = 0;
  // How many times When was called for `item` since it was last forgotten.
  virtual int NumRequeues(const T& item) = 0;
};

template <typename T, typename Hash = std::hash<T>>
class ItemExponentialFailureRateLimiter final : public WorkQueueRateLimiter<T, Hash> {
 public:
  ItemExponentialFailureRateLimiter(Clock::Duration base, Clock::Duration max_delay)
      : base_(base), max_delay_(max_delay) {}

  Clock::Duration When(const T& item) override {
    MutexLock l(mu_);
    int& failures = failures_[item];
    Clock::Duration d = ExponentialBackoffDelay(base_, max_delay_, failures);
    if (failures < 1'000'000) ++failures;
    return d;
  }
  void Forget(const T& item) override {
    MutexLock l(mu_);
    failures_.erase(item);
  }
  int NumRequeues(const T& item) override {
    MutexLock l(mu_);
    auto it = failures_.find(item);
    return it == failures_.end() ? 0 : it->second;
  }

 private:
  const Clock::Duration base_;
  const Clock::Duration max_delay_;
  Mutex mu_;
  std::unordered_map<T, int, Hash> failures_ GUARDED_BY(mu_);
};

template <typename T, typename Hash = std::hash<T>>
class BucketRateLimiter final : public WorkQueueRateLimiter<T, Hash> {
 public:
  // REQUIRES: qps > 0; `clock` outlives the limiter.
  BucketRateLimiter(Clock& clock, double qps, int burst) : bucket_(qps, burst, clock) {}
  Clock::Duration When(const T&) override { return bucket_.Reserve(); }
  void Forget(const T&) override {}
  int NumRequeues(const T&) override { return 0; }

 private:
  TokenBucket bucket_;
};

// The longest delay of several limiters; NumRequeues is the largest count.
template <typename T, typename Hash = std::hash<T>>
class MaxOfRateLimiter final : public WorkQueueRateLimiter<T, Hash> {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<WorkQueueRateLimiter<T, Hash>>> limiters)
      : limiters_(std::move(limiters)) {}

  Clock::Duration When(const T& item) override {
    Clock::Duration longest{0};
    for (auto& l : limiters_) longest = std::max(longest, l->When(item));
    return longest;
  }
  void Forget(const T& item) override {
    for (auto& l : limiters_) l->Forget(item);
  }
  int NumRequeues(const T& item) override {
    int most = 0;
    for (auto& l : limiters_) most = std::max(most, l->NumRequeues(item));
    return most;
  }

 private:
  std::vector<std::unique_ptr<WorkQueueRateLimiter<T, Hash>>> limiters_;
};

struct ControllerRateLimiterOptions {
  Clock::Duration base_delay = std::chrono::milliseconds(5);
  Clock::Duration max_delay = std::chrono::seconds(1000);
  double qps = 10;
  int burst = 100;
};

// The controllers' default: max(per-item exponential backoff, overall bucket).
template <typename T, typename Hash = std::hash<T>>
std::unique_ptr<WorkQueueRateLimiter<T, Hash>> NewControllerRateLimiter(Clock& clock,
                                                                        const ControllerRateLimiterOptions& o = {}) {
  std::vector<std::unique_ptr<WorkQueueRateLimiter<T, Hash>>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialFailureRateLimiter<T, Hash>>(o.base_delay, o.max_delay));
  limiters.push_back(std::make_unique<BucketRateLimiter<T, Hash>>(clock, o.qps, o.burst));
  return std::make_unique<MaxOfRateLimiter<T, Hash>>(std::move(limiters));
}

}  // namespace oncoatlas::kube
