// Observed state → DataNode status: the conditions AgentDeployed,
// AgentConnected (from the heartbeat Lease), PACSReachable (from the Lease's
// annotations) and Ready, the phase, and the agent's reported version,
// capabilities and last heartbeat. A pure function of its inputs (time
// included), so unit tests fix every case; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace oncoatlas::datanode {

struct NodeObservation {
  std::int64_t generation = 0;
  std::string hub_namespace;
  // AgentDeployed: every site object is in place, or why not.
  bool deployed = false;
  std::string deploy_reason;   // CamelCase, e.g. KubeconfigSecretNotFound
  std::string deploy_message;  // what happened and how to fix it
  // The heartbeat Lease as the API server has it; null when there is none.
  nlohmann::json lease;
  std::string credential_expiry;  // RFC 3339; "" when no token was minted
  std::optional<std::int64_t> dataset_count;
  // Set while a deletion waits (e.g. Datasets remain); overrides Ready.
  std::string deletion_reason;
  std::string deletion_message;
};

struct NodeStatusResult {
  nlohmann::json status;
  // When the heartbeat turns stale unless renewed: reconcile again then.
  std::optional<std::chrono::system_clock::duration> recheck_after;
};

// `previous` is the current status (for lastTransitionTime of conditions whose
// status did not change; see kube/conditions.h); `now` is wall-clock time.
NodeStatusResult ComputeNodeStatus(const NodeObservation& observation, const nlohmann::json& previous,
                                   std::chrono::system_clock::time_point now);

}  // namespace oncoatlas::datanode
