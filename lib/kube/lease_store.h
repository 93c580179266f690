// LeaseStore: the one interface to a coordination.k8s.io/v1 Lease — get,
// create, and update guarded by resourceVersion — for leader election and the
// agent's heartbeat. RestLeaseStore backs it with the API server;
// InMemoryLeaseStore backs it for tests and for several electors within one
// process.
// Threading: implementations must be safe to call from several threads.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/thread_annotations.h"

namespace oncoatlas::kube {

// The fields of a Lease's spec, plus the object's metadata.resourceVersion,
// labels and annotations (an update writes them back as they are here).
struct LeaseRecord {
  std::string holder_identity;  // empty: nobody holds it (released)
  int lease_duration_seconds = 0;
  std::optional<std::chrono::system_clock::time_point> acquire_time;
  std::optional<std::chrono::system_clock::time_point> renew_time;
  int lease_transitions = 0;
  std::string resource_version;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  bool operator==(const LeaseRecord&) const = default;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // NotFound when the Lease does not exist.
  virtual Result<LeaseRecord> Get() = 0;
  // AlreadyExists when another candidate created it first. Returns the stored
  // record with its new resource_version.
  virtual Result<LeaseRecord> Create(const LeaseRecord& record) = 0;
  // Conflict when record.resource_version is not the stored one (someone else
  // wrote in between). Returns the stored record with its new resource_version.
  virtual Result<LeaseRecord> Update(const LeaseRecord& record) = 0;
};

class InMemoryLeaseStore final : public LeaseStore {
 public:
  Result<LeaseRecord> Get() override;
  Result<LeaseRecord> Create(const LeaseRecord& record) override;
  Result<LeaseRecord> Update(const LeaseRecord& record) override;

  // Makes every call fail with Unavailable while set (an unreachable API server).
  void SetUnavailable(bool unavailable);

 private:
  Mutex mu_;
  std::optional<LeaseRecord> stored_ GUARDED_BY(mu_);
  long long version_ GUARDED_BY(mu_) = 0;
  bool unavailable_ GUARDED_BY(mu_) = false;
};

}  // namespace oncoatlas::kube
