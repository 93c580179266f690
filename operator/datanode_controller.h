// The DataNode controller (skeleton): checks where a DataNode's agent would
// run — a local placement, or a remote one whose kubeconfig Secret (in the
// operator's namespace) exists and has the named key — and reports it as the
// ClusterConfigured and Ready conditions. Deploying the agent comes later.
// A Secret change re-enqueues the DataNodes that name it.
// Threading: as ConditionReconciler.
#pragma once

#include <string>
#include <vector>

#include "condition_reconciler.h"
#include "kube/controller.h"

namespace oncoatlas::op {

class Manager;

inline constexpr char kClusterConfigured[] = "ClusterConfigured";

// The pure decision: `secret` is the kubeconfig Secret a remote placement
// names (looked up in `secret_namespace`), or null.
Assessment AssessDataNode(const nlohmann::json& datanode, const nlohmann::json* secret,
                          const std::string& secret_namespace);

// The name of the kubeconfig Secret a remote DataNode names ("" if local).
std::string KubeconfigSecretName(const nlohmann::json& datanode);

// The DataNodes whose remote placement names Secret `secret`.
std::vector<kube::Request> DataNodesOfSecret(const nlohmann::json& secret, const ObjectLookup& datanodes);

class DataNodeReconciler final : public ConditionReconciler {
 public:
  DataNodeReconciler(const ObjectLookup& datanodes, const ObjectLookup& secrets, std::string secret_namespace,
                     ReconcilerDeps deps);

 protected:
  Assessment Assess(const nlohmann::json& datanode) override;

 private:
  const ObjectLookup& secrets_;
  const std::string secret_namespace_;
};

// Adds the controller and its watches (DataNodes; Secrets of the operator
// namespace → the DataNodes naming them).
kube::Controller& RegisterDataNodeController(Manager& manager);

}  // namespace oncoatlas::op
