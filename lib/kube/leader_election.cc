#include "kube/leader_election.h"

#include <spdlog/spdlog.h>

namespace oncoatlas::kube {

namespace {

int WholeSeconds(Clock::Duration d) { return static_cast<int>(std::chrono::ceil<std::chrono::seconds>(d).count()); }

// The record as written by its holder, without the store's version.
bool SameRecord(const LeaseRecord& a, const LeaseRecord& b) {
  LeaseRecord x = a;
  LeaseRecord y = b;
  x.resource_version.clear();
  y.resource_version.clear();
  return x == y;
}

}  // namespace

Status ValidateLeaderElectionConfig(const LeaderElectionConfig& c) {
  if (c.identity.empty()) return InvalidArgumentError("leader election needs an identity (e.g. the pod name)");
  if (c.retry_period.count() <= 0) return InvalidArgumentError("leader election retry period must be positive");
  if (c.renew_deadline <= c.retry_period) {
    return InvalidArgumentError("leader election renew deadline must be longer than the retry period");
  }
  if (c.lease_duration <= c.renew_deadline) {
    return InvalidArgumentError("leader election lease duration must be longer than the renew deadline");
  }
  return Status::Ok();
}

LeaderElector::LeaderElector(LeaderElectionConfig config, LeaseStore& store)
    : config_(std::move(config)),
      store_(store),
      clock_(config_.clock ? *config_.clock : DefaultClock()),
      logger_(config_.logger ? config_.logger : spdlog::default_logger()) {}

LeaderElector::~LeaderElector() { Stop(); }

Status LeaderElector::Start() {
  ONCOATLAS_RETURN_IF_ERROR(ValidateLeaderElectionConfig(config_));
  std::lock_guard<std::mutex> l(mu_);
  if (thread_.joinable() || stopping_) return FailedPreconditionError("leader elector already started; it starts once");
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void LeaderElector::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::IsLeader() const {
  std::lock_guard<std::mutex> l(mu_);
  return leading_;
}

void LeaderElector::Run() {
  Clock::TimePoint last_renew{};
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    l.unlock();
    const bool held = TryAcquireOrRenew();
    const Clock::TimePoint now = clock_.Now();
    l.lock();
    if (held) {
      last_renew = now;
      if (!leading_) {
        leading_ = true;
        logger_->info("leader election: {} became the leader", config_.identity);
        l.unlock();
        if (config_.on_started_leading) config_.on_started_leading();
        l.lock();
      }
    } else if (leading_ && now - last_renew >= config_.renew_deadline) {
      leading_ = false;
      logger_->error("leader election: {} could not renew the lease for {} s; stepping down", config_.identity,
                     WholeSeconds(config_.renew_deadline));
      l.unlock();
      if (config_.on_stopped_leading) config_.on_stopped_leading();
      l.lock();
    }
    const Clock::TimePoint deadline = now + config_.retry_period;
    while (!stopping_ && clock_.Now() < deadline) clock_.WaitUntil(l, cv_, deadline);
  }
  if (leading_) {
    leading_ = false;
    l.unlock();
    if (config_.release_on_stop) Release();
    logger_->info("leader election: {} stopped leading", config_.identity);
    if (config_.on_stopped_leading) config_.on_stopped_leading();
  }
}

bool LeaderElector::TryAcquireOrRenew() {
  const Clock::TimePoint now = clock_.Now();
  const auto wall_now = clock_.WallNow();
  LeaseRecord desired;
  desired.holder_identity = config_.identity;
  desired.lease_duration_seconds = WholeSeconds(config_.lease_duration);
  desired.acquire_time = wall_now;
  desired.renew_time = wall_now;

  Result<LeaseRecord> current = store_.Get();
  if (!current.ok()) {
    if (current.status().code() != StatusCode::kNotFound) {
      logger_->warn("leader election: reading the lease failed: {}", current.status().ToString());
      return false;
    }
    Result<LeaseRecord> created = store_.Create(desired);
    if (!created.ok()) return false;
    observed_ = *created;
    observed_time_ = now;
    return true;
  }

  const LeaseRecord& record = *current;
  if (!SameRecord(record, observed_)) {
    // Time since the holder's own renew time, trusted up to one retry period:
    // it lets a follower that saw the renewal late still take over within
    // lease duration + retry period, while a skewed clock can shorten the
    // lease by at most one retry period (still longer than the renew deadline).
    Clock::Duration age{0};
    if (record.renew_time && wall_now > *record.renew_time) {
      age = std::min<Clock::Duration>(std::chrono::duration_cast<Clock::Duration>(wall_now - *record.renew_time),
                                      config_.retry_period);
    }
    observed_ = record;
    observed_time_ = now - age;
  }
  const Clock::Duration lease =
      record.lease_duration_seconds > 0 ? std::chrono::seconds(record.lease_duration_seconds) : config_.lease_duration;
  const bool mine = record.holder_identity == config_.identity;
  if (!record.holder_identity.empty() && !mine && observed_time_ + lease > now) return false;

  if (mine) {
    desired.acquire_time = record.acquire_time;
    desired.lease_transitions = record.lease_transitions;
  } else {
    desired.lease_transitions = record.lease_transitions + 1;
  }
  desired.resource_version = record.resource_version;
  Result<LeaseRecord> updated = store_.Update(desired);
  if (!updated.ok()) {
    if (updated.status().code() != StatusCode::kConflict) {
      logger_->warn("leader election: writing the lease failed: {}", updated.status().ToString());
    }
    return false;
  }
  observed_ = *updated;
  observed_time_ = now;
  return true;
}

void LeaderElector::Release() {
  Result<LeaseRecord> current = store_.Get();
  if (!current.ok() || current->holder_identity != config_.identity) return;
  LeaseRecord released;
  released.holder_identity = "";
  released.lease_duration_seconds = 1;
  released.acquire_time = clock_.WallNow();
  released.renew_time = clock_.WallNow();
  released.lease_transitions = current->lease_transitions;
  released.resource_version = current->resource_version;
  Result<LeaseRecord> updated = store_.Update(released);
  if (!updated.ok()) {
    logger_->warn("leader election: releasing the lease failed: {}", updated.status().ToString());
  }
}

}  // namespace oncoatlas::kube
