#include "kube/lease_store.h"

namespace oncoatlas::kube {

Result<LeaseRecord> InMemoryLeaseStore::Get() {
  MutexLock l(mu_);
  if (unavailable_) return UnavailableError("lease store unavailable");
  if (!stored_) return NotFoundError("lease not found");
  return *stored_;
}

Result<LeaseRecord> InMemoryLeaseStore::Create(const LeaseRecord& record) {
  MutexLock l(mu_);
  if (unavailable_) return UnavailableError("lease store unavailable");
  if (stored_) return Status(StatusCode::kAlreadyExists, "lease already exists");
  stored_ = record;
  stored_->resource_version = std::to_string(++version_);
  return *stored_;
}

Result<LeaseRecord> InMemoryLeaseStore::Update(const LeaseRecord& record) {
  MutexLock l(mu_);
  if (unavailable_) return UnavailableError("lease store unavailable");
  if (!stored_) return NotFoundError("lease not found");
  if (record.resource_version != stored_->resource_version) {
    return Status(StatusCode::kConflict, "lease was modified: resourceVersion " + record.resource_version +
                                             " is not the current " + stored_->resource_version);
  }
  stored_ = record;
  stored_->resource_version = std::to_string(++version_);
  return *stored_;
}

void InMemoryLeaseStore::SetUnavailable(bool unavailable) {
  MutexLock l(mu_);
  unavailable_ = unavailable;
}

}  // namespace oncoatlas::kube
