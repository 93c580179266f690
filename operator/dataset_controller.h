// The Dataset controller: checks a Dataset's references — its DataNode
// exists and the Dataset lives in that node's namespace — and reports them as
// the DataNodeFound condition, the only part of a Dataset's status the
// operator owns. Ingestion, Ready, observedGeneration and everything else in
// the status are the node agent's (agents/node/dataset_controller.h); both
// writers keep the other's part. A DataNode change re-enqueues the Datasets
// that name it, so DataNodeFound turns True once the DataNode appears,
// without a restart.
// Threading: as ConditionReconciler.
#pragma once

#include <memory>
#include <vector>

#include "condition_reconciler.h"
#include "kube/controller.h"

namespace oncoatlas::op {

class Manager;

inline constexpr char kDataNodeFound[] = "DataNodeFound";

// The pure decision: `datanode` is the DataNode named by spec.node, or null.
Assessment AssessDataset(const nlohmann::json& dataset, const nlohmann::json* datanode);

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
