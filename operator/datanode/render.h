// DataNode → desired objects: the hub side (node namespace, the agent's
// ServiceAccount, Role and RoleBinding) and the site side (agent namespace,
// ConfigMap with agent.yaml, hub-credential Secret, PVC, Service,
// NetworkPolicy, Deployment), as /work/agent-contract.md fixes them.
// Pure functions of their arguments; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/datanode.h"
#include "core/status.h"
#include "kube/resource.h"

namespace oncoatlas::datanode {

using Json = nlohmann::json;

inline constexpr const char* kFieldManager = "oncoatlas-operator";
inline constexpr const char* kManagedBy = "oncoatlas-operator";
inline constexpr const char* kNodeLabel = "oncoatlas.io/node";
inline constexpr const char* kAgentServiceAccount = "oncoatlas-agent";
inline constexpr const char* kAgentRole = "oncoatlas-agent";
inline constexpr const char* kHeartbeatLease = "oncoatlas-agent";
inline constexpr const char* kTokenExpiryAnnotation = "oncoatlas.io/token-expiry";
// The uid of the ServiceAccount the token was minted for: a recreated
// ServiceAccount invalidates older tokens, so the operator mints anew.
inline constexpr const char* kTokenServiceAccountUidAnnotation = "oncoatlas.io/token-serviceaccount-uid";
inline constexpr const char* kFinalizer = "oncoatlas.io/datanode-cleanup";
inline constexpr int kHealthPort = 8081;
inline constexpr int kDicomWebPort = 8080;

// The kinds this reconciler writes.
namespace gvr {
inline const kube::GroupVersionResource kDataNodes{"oncoatlas.io", "v1alpha1", "datanodes", false, "DataNode"};
inline const kube::GroupVersionResource kDatasets{"oncoatlas.io", "v1alpha1", "datasets", true, "Dataset"};
inline const kube::GroupVersionResource kNamespaces{"", "v1", "namespaces", false, "Namespace"};
inline const kube::GroupVersionResource kServiceAccounts{"", "v1", "serviceaccounts", true, "ServiceAccount"};
inline const kube::GroupVersionResource kRoles{"rbac.authorization.k8s.io", "v1", "roles", true, "Role"};
inline const kube::GroupVersionResource kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true,
                                                      "RoleBinding"};
inline const kube::GroupVersionResource kConfigMaps{"", "v1", "configmaps", true, "ConfigMap"};
inline const kube::GroupVersionResource kSecrets{"", "v1", "secrets", true, "Secret"};
inline const kube::GroupVersionResource kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims", true,
                                                                "PersistentVolumeClaim"};
inline const kube::GroupVersionResource kServices{"", "v1", "services", true, "Service"};
inline const kube::GroupVersionResource kNetworkPolicies{"networking.k8s.io", "v1", "networkpolicies", true,
                                                         "NetworkPolicy"};
inline const kube::GroupVersionResource kDeployments{"apps", "v1", "deployments", true, "Deployment"};
inline const kube::GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases", true, "Lease"};
// The GVR of a rendered object by its kind; null for kinds not listed above.
const kube::GroupVersionResource* ForKind(const std::string& kind);
}  // namespace gvr

// "oncoatlas-node-<name>"
std::string NodeNamespace(const std::string& node);
// "oncoatlas-agent-<name>": ConfigMap, Deployment, Service, NetworkPolicy.
std::string AgentObjectName(const std::string& node);
std::string HubSecretName(const std::string& node);   // "oncoatlas-agent-<name>-hub"
std::string StoreClaimName(const std::string& node);  // "oncoatlas-agent-<name>-store"
// The node a node namespace belongs to; "" when `ns` is not one.
std::string NodeOfNamespace(const std::string& ns);

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

// host and port of an http(s) URL; port defaults by scheme. Error on a URL
// without a host.
struct HostPort {
  std::string host;
  int port = 0;
};
Result<HostPort> ParseHostPort(const std::string& url);

// Standard base64.
std::string EncodeBase64(const std::string& in);

}  // namespace oncoatlas::datanode
