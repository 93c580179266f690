#include "kube/clock.h"

namespace oncoatlas::kube {

Clock::TimePoint RealClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

std::chrono::system_clock::time_point RealClock::WallNow() const { return std::chrono::system_clock::now(); }

void RealClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv, TimePoint deadline) {
  if (deadline == TimePoint::max()) {
    cv.wait(lock);
  } else {
    cv.wait_until(lock, deadline);
  }
}

RealClock& RealClock::Instance() {
  static RealClock clock;
  return clock;
}

Clock& DefaultClock() { return RealClock::Instance(); }

void Clock::SleepFor(Duration d) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  const TimePoint deadline = Now() + d;
  while (Now() < deadline) WaitUntil(lock, cv, deadline);
}

// The fake starts at an arbitrary, fixed point so that tests are reproducible.
FakeClock::FakeClock(Waits waits)
    : waits_(waits),
      now_(TimePoint(std::chrono::hours(1000))),
      wall_(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))) {}

Clock::TimePoint FakeClock::Now() const {
  std::lock_guard<std::mutex> l(mu_);
  return now_;
}

std::chrono::system_clock::time_point FakeClock::WallNow() const {
  std::lock_guard<std::mutex> l(mu_);
  return wall_;
}

namespace {

// Locks the caller's mutex and then the clock's, and releases them in reverse.
// Handing this to condition_variable_any::wait makes "release both and start
// waiting" atomic with respect to a notify made under the clock's mutex, so an
// Advance between the waiter's check of the time and its wait cannot be lost.
class BothLocks {
 public:
  BothLocks(std::unique_lock<std::mutex>& caller, std::unique_lock<std::mutex>& clock)
      : caller_(caller), clock_(clock) {}
  void lock() {
    caller_.lock();
    clock_.lock();
  }
  void unlock() {
    clock_.unlock();
    caller_.unlock();
  }

 private:
  std::unique_lock<std::mutex>& caller_;
  std::unique_lock<std::mutex>& clock_;
};

}  // namespace

void FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv, TimePoint deadline) {
  std::unique_lock<std::mutex> clock_lock(mu_);
  if (now_ >= deadline) return;
  if (waits_ == Waits::kJump) {
    if (deadline == TimePoint::max()) return;
    slept_ += deadline - now_;
    AdvanceLocked(deadline - now_);
    return;
  }
  auto it = waiters_.insert(Waiter{&cv, deadline});
  waiters_changed_.notify_all();
  BothLocks both(lock, clock_lock);
  cv.wait(both);  // returns with both locks held again
  waiters_.erase(it);
  waiters_changed_.notify_all();
}

void FakeClock::Advance(Duration d) {
  std::lock_guard<std::mutex> l(mu_);
  AdvanceLocked(d);
}

void FakeClock::AdvanceLocked(Duration d) {
  if (d.count() <= 0) return;
  now_ += d;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  // Notifying while holding mu_ is what makes the hand-off in WaitUntil safe;
  // a waiter erases itself only under mu_, so every cv here is still alive.
  for (const Waiter& w : waiters_) {
    if (w.deadline > now_) break;
    w.cv->notify_all();
  }
}

std::size_t FakeClock::Waiters() const {
  std::lock_guard<std::mutex> l(mu_);
  return waiters_.size();
}

bool FakeClock::AwaitWaiters(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(mu_);
  return waiters_changed_.wait_for(l, timeout, [&] { return waiters_.size() >= n; });
}

bool FakeClock::AwaitSettled(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(mu_);
  return waiters_changed_.wait_for(
      l, timeout, [&] { return waiters_.size() >= n && (waiters_.empty() || waiters_.begin()->deadline > now_); });
}

Clock::TimePoint FakeClock::NextDeadline() const {
  std::lock_guard<std::mutex> l(mu_);
  return waiters_.empty() ? TimePoint::max() : waiters_.begin()->deadline;
}

Clock::Duration FakeClock::slept() const {
  std::lock_guard<std::mutex> l(mu_);
  return slept_;
}

}  // namespace oncoatlas::kube
