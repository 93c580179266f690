// The DataNode controller: datanode::DataNodeReconciler (see datanode/) on the
// Manager's caches, with its watches — DataNodes; the objects it owns on the
// hub (labelled app.kubernetes.io/managed-by=oncoatlas-operator, which
// includes a local site's workloads) by their node label; the agents'
// heartbeat Leases and the Datasets by their node namespace; the Secrets of
// the operator namespace by the DataNodes whose kubeconfigSecretRef names
// them. Register before Manager::Run, from the thread that builds the manager.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "datanode/reconciler.h"
#include "kube/controller.h"
#include "object_lookup.h"
#include "options.h"

namespace oncoatlas::kube {
struct ClientConfig;
}

namespace oncoatlas::op {

class Manager;

// The reconciler's options from the flags: the agent image, token lifetime,
// site resync period, heartbeat and PACS-check intervals, and the hub URL
// and CA written into local agents' kubeconfig (--hub-server and
// --hub-ca-file, else `own` — the operator's own connection). An unreadable
// or non-PEM --hub-ca-file, or a --hub-server the client cannot parse, is an
// InvalidArgument error naming the flag.
Result<datanode::ReconcilerOptions> DataNodeReconcilerOptions(const OperatorOptions& options,
                                                              const kube::ClientConfig& own,
                                                              const std::string& operator_namespace);

// The DataNodes (in `datanodes`) whose spec.cluster.remote.kubeconfigSecretRef
// names `secret`.
std::vector<kube::Request> DataNodesOfKubeconfigSecret(const nlohmann::json& secret, const ObjectLookup& datanodes);

// Adds the controller with options from the flags (an error names the bad flag).
Status RegisterDataNodeController(Manager& manager);
// Adds the controller with `options` (tests shorten the token's renewal).
kube::Controller& RegisterDataNodeController(Manager& manager, datanode::ReconcilerOptions options);

}  // namespace oncoatlas::op
