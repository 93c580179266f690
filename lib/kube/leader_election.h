// LeaderElector: leader election on a coordination.k8s.io/v1 Lease, as
// client-go's: a candidate takes a Lease that is free or has not been renewed
// for lease_duration, the leader renews it every retry_period and steps down
// if it could not renew for renew_deadline; Stop releases the Lease (empty
// holder) so a follower takes over at once.
// Threading: the elector runs on a thread of its own; callbacks run on it and
// must return promptly (start work on other threads). Start, Stop and
// IsLeader may be called from any thread but Stop not from a callback.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <spdlog/logger.h>

#include "core/status.h"
#include "kube/clock.h"
#include "kube/lease_store.h"

namespace oncoatlas::kube {

struct LeaderElectionConfig {
  std::string identity;  // unique per candidate, e.g. the pod name
  Clock::Duration lease_duration = std::chrono::seconds(15);
  Clock::Duration renew_deadline = std::chrono::seconds(10);
  Clock::Duration retry_period = std::chrono::seconds(2);
  bool release_on_stop = true;
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  Clock* clock = nullptr;                  // DefaultClock() when null
  std::shared_ptr<spdlog::logger> logger;  // spdlog's default logger when null
};

// Checks the durations: lease_duration > renew_deadline > retry_period > 0,
// and a non-empty identity.
Status ValidateLeaderElectionConfig(const LeaderElectionConfig& config);

class LeaderElector {
 public:
  // `store` (and config.clock) must outlive the elector.
  LeaderElector(LeaderElectionConfig config, LeaseStore& store);
  ~LeaderElector();  // Stops.

  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Validates the config and starts campaigning. After losing the lease the
  // elector calls on_stopped_leading and campaigns again.
  Status Start();
  // Stops campaigning; if leading, releases the Lease (unless
  // release_on_stop is false) and calls on_stopped_leading. Idempotent.
  void Stop();

  bool IsLeader() const;

 private:
  void Run();
  // One attempt to take or renew the Lease; true when we hold it now.
  bool TryAcquireOrRenew();
  void Release();

  const LeaderElectionConfig config_;
  LeaseStore& store_;
  Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  bool leading_ = false;   // GUARDED_BY(mu_)
  std::thread thread_;

  // Used only on the elector's thread.
  LeaseRecord observed_;
  Clock::TimePoint observed_time_{};
};

}  // namespace oncoatlas::kube
