// Clock: the one source of time for the controller runtime. Everything that
// waits on time (delayed queue items, backoff, leases) asks a Clock, so unit
// tests drive time with FakeClock and never sleep.
//
// Threading: every method of RealClock and FakeClock may be called from any
// thread. WaitUntil must be called with `lock` held; it releases the lock while
// waiting, like std::condition_variable_any::wait.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>

namespace oncoatlas::kube {

class Clock {
 public:
  using Duration = std::chrono::nanoseconds;
  using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

  virtual ~Clock() = default;

  // Monotonic time; never goes backwards.
  virtual TimePoint Now() const = 0;

  // Wall-clock time for values written to the outside world (lease renew
  // times, event timestamps); not used for waiting.
  virtual std::chrono::system_clock::time_point WallNow() const = 0;

  // Blocks until `cv` is notified or Now() >= deadline, whichever comes first;
  // may also return spuriously, so callers re-check their condition in a loop.
  // REQUIRES: `lock` holds its mutex; the mutex is released while waiting and
  // held again on return. Whoever changes the caller's condition notifies `cv`
  // (holding the same mutex or not).
  virtual void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv, TimePoint deadline) = 0;

  // Blocks the caller for `d` of this clock's time (a fake clock decides what
  // that means). The default waits with WaitUntil on a private condition.
  virtual void SleepFor(Duration d);
};

// The process's steady and system clocks.
class RealClock final : public Clock {
 public:
  // The process-wide real clock (the same object as DefaultClock()).
  static RealClock& Instance();
  TimePoint Now() const override;
  std::chrono::system_clock::time_point WallNow() const override;
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv, TimePoint deadline) override;
};

// A shared RealClock for production wiring.
Clock& DefaultClock();

// Time that moves only when a test calls Advance, or (Waits::kJump) when
// someone waits. Waiters whose deadline has passed are woken by Advance; none
// of them misses a wake-up.
class FakeClock final : public Clock {
 public:
  // kBlock: WaitUntil blocks until Advance reaches the deadline (tests with a
  // thread under test). kJump: WaitUntil and SleepFor move time to the
  // deadline at once and return (single-threaded tests of retry loops); a wait
  // with no deadline returns at once, as a spurious wake-up.
  enum class Waits { kBlock, kJump };
  explicit FakeClock(Waits waits = Waits::kBlock);

  TimePoint Now() const override;
  std::chrono::system_clock::time_point WallNow() const override;
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv, TimePoint deadline) override;

  // Moves time forward by `d` (negative values are ignored) and wakes every
  // waiter whose deadline is now reached.
  void Advance(Duration d);

  // Number of threads currently blocked in WaitUntil.
  std::size_t Waiters() const;

  // Blocks (on a real condition variable, with no sleeping) until at least `n`
  // threads are blocked in WaitUntil, or `timeout` of real time passes.
  // Returns whether the count was reached. Lets a test advance time only once
  // the thread under test is really waiting.
  bool AwaitWaiters(std::size_t n, std::chrono::milliseconds timeout) const;

  // Like AwaitWaiters, but also waits until no waiter is due: after an Advance,
  // this returns once the woken threads have done their work and wait again.
  bool AwaitSettled(std::size_t n, std::chrono::milliseconds timeout) const;

  // The earliest deadline among current waiters, or TimePoint::max().
  TimePoint NextDeadline() const;

  // With Waits::kJump: how far waits have moved time, in total.
  Duration slept() const;

 private:
  struct Waiter {
    std::condition_variable_any* cv;
    TimePoint deadline;
    bool operator<(const Waiter& o) const {
      if (deadline != o.deadline) return deadline < o.deadline;
      return cv < o.cv;
    }
  };

  void AdvanceLocked(Duration d);  // REQUIRES: mu_ held

  const Waits waits_;
  mutable std::mutex mu_;
  mutable std::condition_variable waiters_changed_;
  TimePoint now_;                               // GUARDED_BY(mu_)
  std::chrono::system_clock::time_point wall_;  // GUARDED_BY(mu_)
  std::multiset<Waiter> waiters_;               // GUARDED_BY(mu_)
  Duration slept_{};                            // GUARDED_BY(mu_)
};

}  // namespace oncoatlas::kube
