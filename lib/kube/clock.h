// Clock: the one way lib/kube reads time and waits, so unit tests can inject a
// fake. Implementations must be safe to call from several threads at once.
#pragma once

#include <chrono>
#include <thread>

namespace oncoatlas::kube {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  virtual void SleepFor(Duration d) = 0;
};

// The steady clock of the machine.
class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  void SleepFor(Duration d) override { std::this_thread::sleep_for(d); }
  // A process-wide instance.
  static RealClock& Instance() {
    static RealClock clock;
    return clock;
  }
};

}  // namespace oncoatlas::kube
