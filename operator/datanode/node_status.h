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
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/conditions.h"

namespace oncoatlas::datanode {

// The DataNode condition that says whether the agent reports in, and its
// reason once the heartbeat has gone stale: the operator's Dataset controller
// reads both (a DataNode's phase only summarises its conditions).
inline constexpr char kConditionAgentConnected[] = "AgentConnected";
inline constexpr char kReasonHeartbeatStale[] = "HeartbeatStale";

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
  // The conditions whose status or reason changed against `previous` (for Events).
  std::vector<kube::ConditionChange> changes;
};

// `previous` is the current status (for lastTransitionTime of conditions whose
// status did not change; see kube/conditions.h); `now` is wall-clock time.
NodeStatusResult ComputeNodeStatus(const NodeObservation& observation, const nlohmann::json& previous,
                                   std::chrono::system_clock::time_point now);

// While a DataNode is being deleted nothing is applied and no token is
// minted: the AgentDeployed condition and credentialExpiry of the last pass
// (in `previous`, the current status) stand in `observation`.
void KeepDeployment(const nlohmann::json& previous, NodeObservation& observation);

}  // namespace oncoatlas::datanode
