// Heartbeat: the agent's report to the hub — it creates and renews the
// coordination.k8s.io/v1 Lease `hub.heartbeat.leaseName` in its hub namespace,
// with holderIdentity "<node>/<hostname>-<pid>", renewTime, and the
// annotations oncoatlas.io/{agent-version, capabilities, pacs-reachable,
// pacs-message, pacs-checked-at} written together with each renew (the
// contract with the operator: api/node_contract.h). It is a heartbeat,
// not an election: a restarted agent takes the Lease over at once.
// Threading: Renew is called from one thread at a time; the kube::LeaseStore
// must be thread-safe (all of lib/kube's are).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "kube/lease_store.h"

namespace oncoatlas::agent {

inline constexpr const char* kAgentVersion = "0.1.0";
// What this build of the agent can do, as the oncoatlas.io/capabilities annotation lists it.
inline constexpr const char* kAgentCapabilities = "dimse-source,folder-source,deidentify,index";

struct HeartbeatIdentity {
  std::string node;
  std::string holder_identity;  // "<node>/<hostname>-<pid>"
  std::string lease_name;
  std::string namespace_name;
  int lease_duration_seconds = 40;
};

// The last PACS check; `checked_at` unset until the first check finished.
struct PacsStatus {
  bool reachable = false;
  std::string message = "not checked yet";
  std::optional<std::chrono::system_clock::time_point> checked_at;
};

// "<node>/<hostname>-<pid>" for this process.
std::string HolderIdentity(const std::string& node);

// The Lease to write: `current` (null when none exists yet) with our holder,
// duration, renewTime = now (acquireTime and leaseTransitions move when the
// holder changes), our label and annotations; other labels and annotations
// are kept. Pure.
kube::LeaseRecord DesiredLease(const kube::LeaseRecord* current, const HeartbeatIdentity& id, const PacsStatus& pacs,
                               std::chrono::system_clock::time_point now);

class Heartbeat {
 public:
  // `leases` holds the Lease id.namespace_name/id.lease_name (a
  // kube::RestLeaseStore on the hub) and must outlive the heartbeat.
  Heartbeat(kube::LeaseStore& leases, HeartbeatIdentity id) : leases_(leases), id_(std::move(id)) {}

  // Creates or renews the Lease now. A lost race (409) is retried once from a
  // fresh read. An error keeps the API server's code and message (401 is
  // kUnauthenticated, 403 kPermissionDenied, unreachable) for the caller's log
  // and readiness.
  Result<kube::LeaseRecord> Renew(const PacsStatus& pacs, std::chrono::system_clock::time_point now);

 private:
  Result<kube::LeaseRecord> RenewOnce(const PacsStatus& pacs, std::chrono::system_clock::time_point now);

  kube::LeaseStore& leases_;
  const HeartbeatIdentity id_;
  std::optional<kube::LeaseRecord> last_;  // the Lease as last written or read
};

}  // namespace oncoatlas::agent
