// Heartbeat: the agent's report to the hub — it creates and renews the
// coordination.k8s.io/v1 Lease `hub.heartbeat.leaseName` in its hub namespace,
// with holderIdentity "<node>/<hostname>-<pid>", renewTime, and the
// annotations oncoatlas.io/{agent-version, capabilities, pacs-reachable,
// pacs-message, pacs-checked-at} written together with each renew (the
// contract with the operator: api/node_contract.h). It is a heartbeat,
// not an election: a restarted agent takes the Lease over at once.
// Threading: Renew is called from one thread at a time; LeaseApi
// implementations must be thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "kube/rest_client.h"

namespace oncoatlas::agent {

inline constexpr const char* kAgentVersion = "0.1.0";
// What this build of the agent can do, as the oncoatlas.io/capabilities annotation lists it.
inline constexpr const char* kAgentCapabilities = "dimse-source,folder-source,deidentify,index";

// Get, create and update of the one Lease (JSON objects as the API server has them).
class LeaseApi {
 public:
  virtual ~LeaseApi() = default;
  virtual kube::ApiResult<nlohmann::json> Get() = 0;
  virtual kube::ApiResult<nlohmann::json> Create(const nlohmann::json& lease) = 0;
  // Conditional on metadata.resourceVersion (409 when stale).
  virtual kube::ApiResult<nlohmann::json> Update(const nlohmann::json& lease) = 0;
};

// The Lease `name` in `ns` through a RestClient (which must outlive it).
std::unique_ptr<LeaseApi> MakeRestLeaseApi(kube::RestClient& client, std::string ns, std::string name);

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
Result<nlohmann::json> DesiredLease(const nlohmann::json* current, const HeartbeatIdentity& id, const PacsStatus& pacs,
                                    std::chrono::system_clock::time_point now);

class Heartbeat {
 public:
  // `api` must outlive the heartbeat.
  Heartbeat(LeaseApi& api, HeartbeatIdentity id) : api_(api), id_(std::move(id)) {}

  // Creates or renews the Lease now. A lost race (409) is retried once from a
  // fresh read. An error keeps the API server's code and message (401, 403,
  // unreachable) for the caller's log and readiness.
  kube::ApiResult<nlohmann::json> Renew(const PacsStatus& pacs, std::chrono::system_clock::time_point now);

 private:
  kube::ApiResult<nlohmann::json> RenewOnce(const PacsStatus& pacs, std::chrono::system_clock::time_point now);

  LeaseApi& api_;
  const HeartbeatIdentity id_;
  std::optional<nlohmann::json> last_;  // the Lease as last written or read
};

}  // namespace oncoatlas::agent
