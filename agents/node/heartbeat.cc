#include "node/heartbeat.h"

#include <unistd.h>

#include "api/node_contract.h"
#include "kube/core_resources.h"
#include "kube/lease_json.h"
#include "kube/rfc3339.h"

namespace oncoatlas::agent {
namespace {

class RestLeaseApi final : public LeaseApi {
 public:
  RestLeaseApi(kube::RestClient& client, std::string ns, std::string name)
      : client_(client), ns_(std::move(ns)), name_(std::move(name)) {}
  kube::ApiResult<nlohmann::json> Get() override { return client_.Get(kube::core::kLeases, ns_, name_); }
  kube::ApiResult<nlohmann::json> Create(const nlohmann::json& lease) override {
    return client_.Create(kube::core::kLeases, ns_, lease, {.field_manager = "oncoatlas-agent"});
  }
  kube::ApiResult<nlohmann::json> Update(const nlohmann::json& lease) override {
    return client_.Update(kube::core::kLeases, ns_, lease, {.field_manager = "oncoatlas-agent"});
  }

 private:
  kube::RestClient& client_;
  const std::string ns_, name_;
};

}  // namespace

std::unique_ptr<LeaseApi> MakeRestLeaseApi(kube::RestClient& client, std::string ns, std::string name) {
  return std::make_unique<RestLeaseApi>(client, std::move(ns), std::move(name));
}

std::string HolderIdentity(const std::string& node) {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string h = host[0] != '\0' ? host : "unknown-host";
  return node + "/" + h + "-" + std::to_string(::getpid());
}

Result<nlohmann::json> DesiredLease(const nlohmann::json* current, const HeartbeatIdentity& id, const PacsStatus& pacs,
                                    std::chrono::system_clock::time_point now) {
  kube::LeaseRecord record;
  if (current != nullptr) {
    auto r = kube::LeaseFromJson(*current);
    if (!r.ok()) return r.status().WithContext("the heartbeat Lease " + id.namespace_name + "/" + id.lease_name);
    record = *r;
  }
  if (record.holder_identity != id.holder_identity) {
    if (current != nullptr) ++record.lease_transitions;
    record.holder_identity = id.holder_identity;
    record.acquire_time = now;
  }
  record.lease_duration_seconds = id.lease_duration_seconds;
  record.renew_time = now;
  nlohmann::json lease = kube::LeaseToJson(record, id.lease_name, id.namespace_name);
  nlohmann::json& metadata = lease["metadata"];
  if (current != nullptr && current->contains("metadata")) {
    for (const char* key : {"labels", "annotations"}) {
      auto it = (*current)["metadata"].find(key);
      if (it != (*current)["metadata"].end() && it->is_object()) metadata[key] = *it;
    }
  }
  metadata["labels"][api::kNodeLabel] = id.node;
  nlohmann::json& a = metadata["annotations"];
  a[api::kAgentVersionAnnotation] = kAgentVersion;
  a[api::kCapabilitiesAnnotation] = kAgentCapabilities;
  a[api::kPacsReachableAnnotation] = pacs.reachable ? "true" : "false";
  a[api::kPacsMessageAnnotation] = pacs.message;
  if (pacs.checked_at) {
    a[api::kPacsCheckedAtAnnotation] = kube::FormatTime(*pacs.checked_at);
  } else {
    a.erase(api::kPacsCheckedAtAnnotation);
  }
  return lease;
}

kube::ApiResult<nlohmann::json> Heartbeat::RenewOnce(const PacsStatus& pacs,
                                                     std::chrono::system_clock::time_point now) {
  if (!last_) {
    auto got = api_.Get();
    if (got.ok()) {
      last_ = *got;
    } else if (got.error().code() != StatusCode::kNotFound) {
      return got.error();
    }
  }
  auto desired = DesiredLease(last_ ? &*last_ : nullptr, id_, pacs, now);
  if (!desired.ok()) {
    // A Lease we cannot read: replace it with ours from scratch.
    last_.reset();
    desired = DesiredLease(nullptr, id_, pacs, now);
    if (!desired.ok()) return desired.status();
  }
  auto written = last_ ? api_.Update(*desired) : api_.Create(*desired);
  if (written.ok()) {
    last_ = *written;
  } else {
    last_.reset();  // read afresh next time
  }
  return written;
}

kube::ApiResult<nlohmann::json> Heartbeat::Renew(const PacsStatus& pacs, std::chrono::system_clock::time_point now) {
  auto r = RenewOnce(pacs, now);
  if (!r.ok() && (r.error().code() == StatusCode::kConflict || r.error().code() == StatusCode::kAlreadyExists)) {
    r = RenewOnce(pacs, now);
  }
  return r;
}

}  // namespace oncoatlas::agent
