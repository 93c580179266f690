// RestLeaseStore: the LeaseStore of leader election backed by a
// coordination.k8s.io/v1 Lease on the API server, through RestClient.
// Updates are PUTs guarded by resourceVersion, so a candidate that read an
// old Lease loses the race with a Conflict (HTTP 409) instead of overwriting.
// Threading: safe from several threads (RestClient is thread-safe).
#pragma once

#include <string>

#include "kube/lease_store.h"
#include "kube/rest_client.h"

namespace oncoatlas::kube {

class RestLeaseStore final : public LeaseStore {
 public:
  // `client` must outlive the store. The Lease is `ns`/`name`.
  RestLeaseStore(RestClient& client, std::string ns, std::string name, std::string field_manager = "");

  // NotFound when the Lease does not exist.
  Result<LeaseRecord> Get() override;
  // AlreadyExists when another candidate created it first.
  Result<LeaseRecord> Create(const LeaseRecord& record) override;
  // Conflict when record.resource_version is stale (someone else wrote).
  Result<LeaseRecord> Update(const LeaseRecord& record) override;

 private:
  RestClient& client_;
  const std::string ns_;
  const std::string name_;
  const std::string field_manager_;
};

}  // namespace oncoatlas::kube
