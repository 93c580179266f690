// TokenBucket: the client-side request rate limit (QPS with a burst), as
// client-go's default of 20 QPS, burst 30. Thread-safe: any number of threads
// may call Wait/TryAccept concurrently. Time comes from an injected Clock.
#pragma once

#include <mutex>

#include "core/thread_annotations.h"
#include "kube/clock.h"

namespace oncoatlas::kube {

class TokenBucket {
 public:
  // qps <= 0 disables the limit. `clock` must outlive the bucket.
  TokenBucket(double qps, int burst, Clock& clock = RealClock::Instance());

  // Takes one token if one is available now; never waits.
  bool TryAccept();
  // Takes one token, reserving a future one if none is left, and returns how
  // long the caller must wait before using it (zero when a token was free).
  Clock::Duration Reserve();
  // Reserve() and then sleep on the clock for the returned delay.
  void Wait();

 private:
  void RefillLocked(Clock::TimePoint now) REQUIRES(mutex_);

  const double qps_;
  const double burst_;
  Clock& clock_;
  Mutex mutex_;
  double tokens_ GUARDED_BY(mutex_);  // may go negative (reservations)
  Clock::TimePoint last_ GUARDED_BY(mutex_);
};

}  // namespace oncoatlas::kube
