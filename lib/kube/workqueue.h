// WorkQueue<T>: the controllers' queue of keys, after client-go's workqueue.
// Rules, all guaranteed under one mutex (every method is thread-safe):
//  - An item added while it is queued is queued once (de-duplication).
//  - An item handed out by Get is "processing" until Done; adding it meanwhile
//    marks it dirty, and Done queues it again — so no two workers ever hold the
//    same item at once.
//  - AddAfter(item, d) queues the item once d has passed on the queue's Clock;
//    a second AddAfter keeps the earlier time. AddRateLimited asks the rate
//    limiter for the delay; Forget resets the item's backoff.
//  - After ShutDown, adds are ignored and Get returns std::nullopt at once (items
//    still queued or waiting are dropped: keys are level-triggered and the next
//    start re-lists). ShutDownWithDrain also blocks until every item handed out
//    is Done; it must not be called by a thread that holds an item.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "kube/clock.h"
#include "kube/workqueue_rate_limiter.h"

namespace oncoatlas::kube {

// Where a queue reports what it does (workqueue_* metrics). Called with the
// queue's mutex held: implementations must be quick and must not call back into
// the queue.
class WorkQueueMetrics {
 public:
  virtual ~WorkQueueMetrics() = default;
  virtual void Added() = 0;
  virtual void Depth(std::size_t depth) = 0;
  virtual void QueueDuration(double seconds) = 0;  // from first add to Get
  virtual void WorkDuration(double seconds) = 0;   // from Get to Done
  virtual void Retried() = 0;                      // one AddRateLimited
};

template <typename T, typename Hash = std::hash<T>>
class WorkQueue {
 public:
  // `clock` must outlive the queue. `rate_limiter` may be null (then the
  // controller default). `metrics` may be null; if set it must outlive the queue.
  WorkQueue(Clock& clock, std::unique_ptr<WorkQueueRateLimiter<T, Hash>> rate_limiter = nullptr,
            WorkQueueMetrics* metrics = nullptr)
      : clock_(clock),
        rate_limiter_(rate_limiter ? std::move(rate_limiter) : NewControllerRateLimiter<T, Hash>(clock)),
        metrics_(metrics) {}

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  ~WorkQueue() { ShutDown(); }

  void Add(const T& item) {
    std::lock_guard<std::mutex> l(mu_);
    AddLocked(item, clock_.Now());
  }

  void AddAfter(const T& item, Clock::Duration delay) {
    std::lock_guard<std::mutex> l(mu_);
    if (shutting_down_) return;
    const Clock::TimePoint now = clock_.Now();
    if (delay.count() <= 0) {
      AddLocked(item, now);
      return;
    }
    const Clock::TimePoint ready = now + delay;
    auto it = waiting_index_.find(item);
    if (it != waiting_index_.end()) {
      if (it->second->first <= ready) return;  // already due earlier
      waiting_.erase(it->second);
      waiting_index_.erase(it);
    }
    waiting_index_.emplace(item, waiting_.emplace(ready, item));
    cv_.notify_all();  // a Get may need to wait for an earlier deadline now
  }

  void AddRateLimited(const T& item) {
    const Clock::Duration delay = rate_limiter_->When(item);
    {
      std::lock_guard<std::mutex> l(mu_);
      if (shutting_down_) return;
      if (metrics_) metrics_->Retried();
    }
    AddAfter(item, delay);
  }

  void Forget(const T& item) { rate_limiter_->Forget(item); }
  int NumRequeues(const T& item) { return rate_limiter_->NumRequeues(item); }

  // Blocks until an item is ready or the queue shuts down (std::nullopt).
  // The caller must call Done(item) when finished with it.
  std::optional<T> Get() {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      if (shutting_down_) return std::nullopt;
      const Clock::TimePoint now = clock_.Now();
      PromoteReadyLocked(now);
      if (!queue_.empty()) break;
      const Clock::TimePoint deadline = waiting_.empty() ? Clock::TimePoint::max() : waiting_.begin()->first;
      clock_.WaitUntil(l, cv_, deadline);
    }
    T item = std::move(queue_.front());
    queue_.pop_front();
    dirty_.erase(item);
    processing_.insert(item);
    const Clock::TimePoint now = clock_.Now();
    if (metrics_) {
      metrics_->Depth(queue_.size());
      auto added = added_at_.find(item);
      if (added != added_at_.end()) metrics_->QueueDuration(Seconds(now - added->second));
    }
    added_at_.erase(item);
    started_at_[item] = now;
    return item;
  }

  void Done(const T& item) {
    std::lock_guard<std::mutex> l(mu_);
    if (processing_.erase(item) == 0) return;
    auto started = started_at_.find(item);
    if (started != started_at_.end()) {
      if (metrics_) metrics_->WorkDuration(Seconds(clock_.Now() - started->second));
      started_at_.erase(started);
    }
    if (!shutting_down_ && dirty_.count(item) != 0) {
      queue_.push_back(item);
      if (metrics_) metrics_->Depth(queue_.size());
      cv_.notify_all();
    }
    if (processing_.empty()) drained_.notify_all();
  }

  // Items ready to be handed out (delayed items whose time has come included).
  std::size_t Len() {
    std::lock_guard<std::mutex> l(mu_);
    PromoteReadyLocked(clock_.Now());
    return queue_.size();
  }

  // Items scheduled by AddAfter whose time has not come.
  std::size_t WaitingLen() {
    std::lock_guard<std::mutex> l(mu_);
    PromoteReadyLocked(clock_.Now());
    return waiting_.size();
  }

  void ShutDown() {
    std::lock_guard<std::mutex> l(mu_);
    ShutDownLocked();
  }

  void ShutDownWithDrain() {
    std::unique_lock<std::mutex> l(mu_);
    ShutDownLocked();
    drained_.wait(l, [&] { return processing_.empty(); });
  }

  bool ShuttingDown() {
    std::lock_guard<std::mutex> l(mu_);
    return shutting_down_;
  }

 private:
  static double Seconds(Clock::Duration d) { return std::chrono::duration<double>(d).count(); }

  // REQUIRES: mu_ held.
  void AddLocked(const T& item, Clock::TimePoint now) {
    if (shutting_down_) return;
    if (!dirty_.insert(item).second) return;
    if (metrics_) metrics_->Added();
    added_at_.emplace(item, now);
    if (processing_.count(item) != 0) return;  // Done will queue it
    queue_.push_back(item);
    if (metrics_) metrics_->Depth(queue_.size());
    cv_.notify_all();
  }

  // REQUIRES: mu_ held.
  void PromoteReadyLocked(Clock::TimePoint now) {
    while (!waiting_.empty() && waiting_.begin()->first <= now) {
      auto first = waiting_.begin();
      T item = first->second;
      waiting_index_.erase(item);
      waiting_.erase(first);
      AddLocked(item, now);
    }
  }

  // REQUIRES: mu_ held.
  void ShutDownLocked() {
    if (shutting_down_) return;
    shutting_down_ = true;
    queue_.clear();
    waiting_.clear();
    waiting_index_.clear();
    if (metrics_) metrics_->Depth(0);
    cv_.notify_all();
  }

  Clock& clock_;
  const std::unique_ptr<WorkQueueRateLimiter<T, Hash>> rate_limiter_;
  WorkQueueMetrics* const metrics_;

  std::mutex mu_;
  std::condition_variable_any cv_;                            // items became ready, earlier deadline, or shutdown
  std::condition_variable_any drained_;                       // processing_ became empty
  bool shutting_down_ = false;                                // GUARDED_BY(mu_)
  std::deque<T> queue_;                                       // GUARDED_BY(mu_)
  std::unordered_set<T, Hash> dirty_;                         // GUARDED_BY(mu_)
  std::unordered_set<T, Hash> processing_;                    // GUARDED_BY(mu_)
  std::unordered_map<T, Clock::TimePoint, Hash> added_at_;    // GUARDED_BY(mu_)
  std::unordered_map<T, Clock::TimePoint, Hash> started_at_;  // GUARDED_BY(mu_)
  std::multimap<Clock::TimePoint, T> waiting_;                // GUARDED_BY(mu_)
  std::unordered_map<T, typename std::multimap<Clock::TimePoint, T>::iterator, Hash> waiting_index_;  // GUARDED_BY(mu_)
};

}  // namespace oncoatlas::kube
