// The Dataset controller: checks a Dataset's references — its DataNode
// exists and the Dataset lives in that node's namespace — and reports them as
// the DataNodeFound condition, and whether that node's agent reports in as
// NodeConnected (phase Suspended while it does not): the only parts of a
// Dataset's status the operator owns. Ingestion, Ready, observedGeneration and everything else in
// the status are the node agent's (agents/node/dataset_controller.h); both
// writers keep the other's part. A DataNode change re-enqueues the Datasets
// that name it, so DataNodeFound turns True once the DataNode appears,
// without a restart.
// Threading: as ConditionReconciler.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "condition_reconciler.h"
#include "kube/controller.h"

namespace oncoatlas::op {

class Manager;

inline constexpr char kDataNodeFound[] = "DataNodeFound";
inline constexpr char kNodeConnected[] = "NodeConnected";

// The pure decision: `datanode` is the DataNode named by spec.node, or null.
// With the DataNode Disconnected, the Dataset's phase is Suspended (the one
// phase the operator writes) and NodeConnected is False; once the node is
// back, a Suspended phase is replaced by the one the agent's Ready condition
// implies (PhaseFromAgentConditions), until the agent writes its own.
Assessment AssessDataset(const nlohmann::json& dataset, const nlohmann::json* datanode);

// The phase the agent's Ready condition in `status` stands for: Ready when
// True; Ingesting, Pending (also KeySecretNotFound/KeySecretInvalid) or
// Failed by its reason; Pending without one.
std::string PhaseFromAgentConditions(const nlohmann::json& status);

// The Datasets (in `datasets`) whose spec.node is `datanode`'s name.
std::vector<kube::Request> DatasetsOfDataNode(const nlohmann::json& datanode, const ObjectLookup& datasets);

class DatasetReconciler final : public ConditionReconciler {
 public:
  DatasetReconciler(const ObjectLookup& datasets, const ObjectLookup& datanodes, ReconcilerDeps deps);

 protected:
  Assessment Assess(const nlohmann::json& dataset) override;

 private:
  const ObjectLookup& datanodes_;
};

// Adds the controller and its watches (Datasets; DataNodes → their Datasets).
kube::Controller& RegisterDatasetController(Manager& manager);

}  // namespace oncoatlas::op
