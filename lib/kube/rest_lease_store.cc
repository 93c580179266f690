#include "kube/rest_lease_store.h"

#include "kube/core_resources.h"
#include "kube/lease_json.h"

namespace oncoatlas::kube {

RestLeaseStore::RestLeaseStore(RestClient& client, std::string ns, std::string name, std::string field_manager)
    : client_(client), ns_(std::move(ns)), name_(std::move(name)), field_manager_(std::move(field_manager)) {}

Result<LeaseRecord> RestLeaseStore::Get() {
  auto got = client_.Get(core::kLeases, ns_, name_);
  if (!got.ok()) return got.error().status();
  return LeaseFromJson(*got);
}

Result<LeaseRecord> RestLeaseStore::Create(const LeaseRecord& record) {
  LeaseRecord fresh = record;
  fresh.resource_version.clear();  // a create must not name a version
  auto created = client_.Create(core::kLeases, ns_, LeaseToJson(fresh, name_, ns_), {.field_manager = field_manager_});
  if (!created.ok()) return created.error().status();
  return LeaseFromJson(*created);
}

Result<LeaseRecord> RestLeaseStore::Update(const LeaseRecord& record) {
  if (record.resource_version.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "updating Lease " + ns_ + "/" + name_ + " needs the resourceVersion it was read at (read it first)");
  }
  auto updated = client_.Update(core::kLeases, ns_, LeaseToJson(record, name_, ns_), {.field_manager = field_manager_});
  if (!updated.ok()) return updated.error().status();
  return LeaseFromJson(*updated);
}

}  // namespace oncoatlas::kube
