// The contract between the operator and a DataNode's agent, defined once for
// both sides and their tests: the node's hub namespace and the names in it,
// the node label, the heartbeat Lease and the annotations the agent writes on
// it (the operator reads them into the DataNode's status), the agent's site
// namespace defaults, and the rights of the agent's hub Role as data (the
// operator renders the Role from them). Values and pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace oncoatlas::api {

// Hub side: every DataNode `n` gets the namespace "oncoatlas-node-<n>",
// holding its Datasets, the agent's ServiceAccount, Role and RoleBinding, and
// the heartbeat Lease.
inline constexpr char kNodeNamespacePrefix[] = "oncoatlas-node-";
inline constexpr char kAgentServiceAccount[] = "oncoatlas-agent";
inline constexpr char kAgentRole[] = "oncoatlas-agent";
inline constexpr char kHeartbeatLease[] = "oncoatlas-agent";

// Objects of one DataNode carry its name under this label (the heartbeat
// Lease, the hub and site objects the operator renders).
inline constexpr char kNodeLabel[] = "oncoatlas.io/node";

// The heartbeat Lease's annotations, written by the agent with each renew.
inline constexpr char kAgentVersionAnnotation[] = "oncoatlas.io/agent-version";
inline constexpr char kCapabilitiesAnnotation[] = "oncoatlas.io/capabilities";     // comma-separated
inline constexpr char kPacsReachableAnnotation[] = "oncoatlas.io/pacs-reachable";  // "true" / "false"
inline constexpr char kPacsMessageAnnotation[] = "oncoatlas.io/pacs-message";
inline constexpr char kPacsCheckedAtAnnotation[] = "oncoatlas.io/pacs-checked-at";  // RFC 3339

// Site side: the agent's namespace when the DataNode names none (the CRD's
// defaults for spec.cluster.local and spec.cluster.remote).
inline constexpr char kDefaultLocalAgentNamespace[] = "oncoatlas-agents";
inline constexpr char kDefaultRemoteAgentNamespace[] = "oncoatlas-agent";

// "oncoatlas-node-<node>"
std::string NodeNamespace(const std::string& node);
// The node a node namespace belongs to; "" when `ns` is not one.
std::string NodeOfNamespace(const std::string& ns);

// One rule of an RBAC Role.
struct RbacRule {
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> verbs;
};

// What the agent may do in its node namespace, and nothing it does not use:
// read its Datasets and write their status, read a Dataset's key Secret by
// name (no list or watch: the name is the Dataset's choice, so resourceNames
// cannot pin it), and keep its heartbeat Lease.
const std::vector<RbacRule>& AgentHubRules();
// The same as the `rules` of a rbac.authorization.k8s.io/v1 Role.
nlohmann::json AgentHubRulesJson();

}  // namespace oncoatlas::api
