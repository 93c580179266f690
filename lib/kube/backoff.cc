#include "kube/backoff.h"

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

Backoff::Backoff(Clock::Duration initial, Clock::Duration max, double jitter)
    : initial_(initial), max_(max), jitter_(std::max(0.0, jitter)), rng_(std::random_device{}()) {}

Clock::Duration Backoff::Next() {
  const Clock::Duration base = ExponentialBackoffDelay(initial_, max_, failures_);
  if (failures_ < 1000) ++failures_;
  if (jitter_ <= 0) return base;
  const double stretch = 1.0 + std::uniform_real_distribution<double>(0.0, jitter_)(rng_);
  const double d = static_cast<double>(base.count()) * stretch;
  if (!(d < static_cast<double>(max_.count()))) return max_;
  return Clock::Duration(static_cast<Clock::Duration::rep>(d));
}

}  // namespace oncoatlas::kube
