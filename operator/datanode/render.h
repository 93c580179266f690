// DataNode → desired objects: the hub side (node namespace, the agent's
// ServiceAccount, Role and RoleBinding) and the site side (agent namespace,
// ConfigMap with agent.yaml, hub-credential Secret, PVC, Service,
// NetworkPolicy, Deployment), as the contract with the agent fixes them
// (api/node_contract.h).
// Pure functions of their arguments; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/datanode.h"
#include "api/node_contract.h"
#include "core/status.h"
#include "kube/resource.h"

namespace oncoatlas::datanode {

using Json = nlohmann::json;

inline constexpr const char* kFieldManager = "oncoatlas-operator";
inline constexpr const char* kManagedBy = "oncoatlas-operator";
inline constexpr const char* kTokenExpiryAnnotation = "oncoatlas.io/token-expiry";
// The uid of the ServiceAccount the token was minted for: a recreated
// ServiceAccount invalidates older tokens, so the operator mints anew.
inline constexpr const char* kTokenServiceAccountUidAnnotation = "oncoatlas.io/token-serviceaccount-uid";
inline constexpr const char* kFinalizer = "oncoatlas.io/datanode-cleanup";
inline constexpr int kHealthPort = 8081;
inline constexpr int kDicomWebPort = 8080;

// The resource of a rendered object by its kind; null for kinds the
// renderers do not produce.
const kube::GroupVersionResource* ResourceForKind(const std::string& kind);

// "oncoatlas-agent-<name>": ConfigMap, Deployment, Service, NetworkPolicy.
std::string AgentObjectName(const std::string& node);
std::string HubSecretName(const std::string& node);   // "oncoatlas-agent-<name>-hub"
std::string StoreClaimName(const std::string& node);  // "oncoatlas-agent-<name>-store"

// Where the agent runs.
struct Placement {
  bool remote = false;
  std::string agent_namespace;  // on the site cluster
  std::string hub_server;       // https URL the agent uses to reach the hub
};

// What the operator was configured with (flags), shared by every DataNode.
struct RenderOptions {
  std::string default_agent_image = "oncoatlas/oncoatlas-agent:0.1.0";
  // The hub URL and CA for agents in local mode (the operator's own view of the hub).
  std::string local_hub_server;
  std::string hub_ca_pem;
  int lease_duration_seconds = 40;
  int lease_renew_interval_seconds = 10;
  int pacs_check_interval_seconds = 30;
};

// Placement from the spec; the CRD's defaults apply when a namespace is unset.
Placement PlacementOf(const api::DataNode& node, const RenderOptions& options);

// The agent's hub credentials as they go into the Secret.
struct AgentCredentials {
  std::string token;
  std::string expiry;  // RFC 3339
  std::string service_account_uid;
};

// Namespace, ServiceAccount, Role, RoleBinding (in that order), each owned by
// the DataNode (`uid` is the DataNode's metadata.uid).
std::vector<Json> RenderHubObjects(const api::DataNode& node, const std::string& uid);

// agent.yaml (the ConfigMap's one key).
std::string RenderAgentConfig(const api::DataNode& node, const Placement& placement, const RenderOptions& options);

// The kubeconfig the agent reads (token file and CA next to it).
std::string RenderHubKubeconfig(const std::string& node, const std::string& hub_server);

// The site objects, in apply order: Namespace, ConfigMap, Secret, [PVC],
// Service, NetworkPolicy, Deployment. The PVC is there only when spec.storage is.
std::vector<Json> RenderSiteObjects(const api::DataNode& node, const RenderOptions& options,
                                    const AgentCredentials& credentials);

// The egress rules of the NetworkPolicy: hub API server, PACS, DNS. An IP
// address becomes an ipBlock /32 (/128); a DNS name cannot be named in a
// NetworkPolicy, so its rule allows the port to any destination.
Json RenderEgressRules(const api::DataNode& node, const Placement& placement);

}  // namespace oncoatlas::datanode
