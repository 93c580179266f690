#include "kube/workqueue_rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace oncoatlas::kube {

Clock::Duration ExponentialBackoffDelay(Clock::Duration base, Clock::Duration max_delay, int failures) {
  if (failures < 0) failures = 0;
  // Computed in floating point so that large failure counts saturate at the
  // cap instead of overflowing.
  const double d = static_cast<double>(base.count()) * std::pow(2.0, static_cast<double>(std::min(failures, 1000)));
  if (!(d < static_cast<double>(max_delay.count()))) return max_delay;
  return Clock::Duration(static_cast<Clock::Duration::rep>(d));
}

QueueTokenBucket::QueueTokenBucket(const Clock& clock, double qps, int burst)
    : clock_(clock), qps_(qps > 0 ? qps : 1), burst_(burst >= 1 ? burst : 1), tokens_(burst_), last_(clock.Now()) {}

Clock::Duration QueueTokenBucket::Reserve() {
  std::lock_guard<std::mutex> l(mu_);
  const Clock::TimePoint now = clock_.Now();
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return Clock::Duration(0);
  const double wait_seconds = -tokens_ / qps_;
  return std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(wait_seconds));
}

}  // namespace oncoatlas::kube
