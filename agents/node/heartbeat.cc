#include "node/heartbeat.h"

#include <unistd.h>

#include "api/node_contract.h"
#include "kube/rfc3339.h"

namespace oncoatlas::agent {

std::string HolderIdentity(const std::string& node) {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string h = host[0] != '\0' ? host : "unknown-host";
  return node + "/" + h + "-" + std::to_string(::getpid());
}

kube::LeaseRecord DesiredLease(const kube::LeaseRecord* current, const HeartbeatIdentity& id, const PacsStatus& pacs,
                               std::chrono::system_clock::time_point now) {
  kube::LeaseRecord record = current != nullptr ? *current : kube::LeaseRecord{};
  if (record.holder_identity != id.holder_identity) {
    if (current != nullptr) ++record.lease_transitions;
    record.holder_identity = id.holder_identity;
    record.acquire_time = now;
  }
  record.lease_duration_seconds = id.lease_duration_seconds;
  record.renew_time = now;
  record.labels[api::kNodeLabel] = id.node;
  auto& a = record.annotations;
  a[api::kAgentVersionAnnotation] = kAgentVersion;
  a[api::kCapabilitiesAnnotation] = kAgentCapabilities;
  a[api::kPacsReachableAnnotation] = pacs.reachable ? "true" : "false";
  a[api::kPacsMessageAnnotation] = pacs.message;
  if (pacs.checked_at) {
    a[api::kPacsCheckedAtAnnotation] = kube::FormatTime(*pacs.checked_at);
  } else {
    a.erase(api::kPacsCheckedAtAnnotation);
  }
  return record;
}

Result<kube::LeaseRecord> Heartbeat::RenewOnce(const PacsStatus& pacs, std::chrono::system_clock::time_point now) {
  if (!last_) {
    auto got = leases_.Get();
    if (got.ok()) {
      last_ = *got;
    } else if (got.status().code() != StatusCode::kNotFound) {
      return got.status();
    }
  }
  const kube::LeaseRecord desired = DesiredLease(last_ ? &*last_ : nullptr, id_, pacs, now);
  auto written = last_ ? leases_.Update(desired) : leases_.Create(desired);
  if (written.ok()) {
    last_ = *written;
  } else {
    last_.reset();  // read afresh next time
  }
  return written;
}

Result<kube::LeaseRecord> Heartbeat::Renew(const PacsStatus& pacs, std::chrono::system_clock::time_point now) {
  auto r = RenewOnce(pacs, now);
  if (!r.ok() && (r.status().code() == StatusCode::kConflict || r.status().code() == StatusCode::kAlreadyExists)) {
    r = RenewOnce(pacs, now);
  }
  return r;
}

}  // namespace oncoatlas::agent
