// Exponential backoff, the one rule for every retry of the project: the n-th
// wait is base * 2^n, capped, optionally stretched by a random jitter.
// ExponentialBackoffDelay is a pure function. A Backoff belongs to one retry
// loop and is used by one thread at a time.
#pragma once

#include <random>

#include "kube/clock.h"

namespace oncoatlas::kube {

// base * 2^failures, capped at max_delay. Never overflows; failures < 0 count as 0.
Clock::Duration ExponentialBackoffDelay(Clock::Duration base, Clock::Duration max_delay, int failures);

class Backoff {
 public:
  // Waits of min(max, initial * 2^n * (1 + jitter * U[0,1))), n counting the
  // calls to Next since construction or the last Reset. REQUIRES: jitter >= 0.
  Backoff(Clock::Duration initial, Clock::Duration max, double jitter = 0);

  // The wait before the next attempt; the one after it doubles.
  Clock::Duration Next();
  // After a success: the next wait is `initial` again.
  void Reset() { failures_ = 0; }

 private:
  const Clock::Duration initial_;
  const Clock::Duration max_;
  const double jitter_;
  int failures_ = 0;
  std::mt19937 rng_;
};

}  // namespace oncoatlas::kube
