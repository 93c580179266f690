// FakeClock: a Clock for unit tests whose time moves only when told to (or
// when SleepFor is called, which advances it instead of sleeping).
// Thread-safe.
#pragma once

#include <mutex>

#include "kube/clock.h"

namespace oncoatlas::kube::testing {

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return now_;
  }
  void SleepFor(Duration d) override {
    std::lock_guard<std::mutex> lock(mutex_);
    slept_ += d;
    now_ += d;
  }
  std::chrono::system_clock::time_point WallNow() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(now_.time_since_epoch()));
  }
  // Waiting jumps straight to the deadline, like SleepFor.
  void WaitUntil(std::unique_lock<std::mutex>& /*lock*/, std::condition_variable_any& /*cv*/,
                 TimePoint deadline) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (deadline != TimePoint::max() && deadline > now_) {
      slept_ += deadline - now_;
      now_ = deadline;
    }
  }
  void Advance(Duration d) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ += d;
  }
  Duration slept() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slept_;
  }

 private:
  mutable std::mutex mutex_;
  TimePoint now_{std::chrono::hours(1)};
  Duration slept_{};
};

}  // namespace oncoatlas::kube::testing
