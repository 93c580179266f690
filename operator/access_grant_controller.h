// The AccessGrant controller (skeleton): resolves the Datasets a grant names
// (node and name) or selects (labels), reports them as DatasetsResolved and
// status.datasetCount, and checks the validity window. Policy evaluation and
// approvals are not implemented yet, so a grant never reports Ready=True (it
// gives no access): Ready=False says what stands in the way, most urgent
// first. A Dataset change re-enqueues the grants that name or select it.
// Threading: as ConditionReconciler.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "condition_reconciler.h"
#include "kube/controller.h"

namespace oncoatlas::op {

class Manager;

inline constexpr char kDatasetsResolved[] = "DatasetsResolved";

// The Datasets of a grant: "node/name" of those found and those missing.
struct GrantDatasets {
  std::vector<std::string> found;
  std::vector<std::string> missing;
};
GrantDatasets ResolveGrantDatasets(const nlohmann::json& grant, const ObjectLookup& datasets);

// Whether `grant` names or selects `dataset`.
bool GrantCoversDataset(const nlohmann::json& grant, const nlohmann::json& dataset);

// The pure decision, at wall-clock time `now`.
Assessment AssessAccessGrant(const nlohmann::json& grant, const GrantDatasets& datasets,
                             std::chrono::system_clock::time_point now);

// The grants (in `grants`) that name or select `dataset`.
std::vector<kube::Request> GrantsOfDataset(const nlohmann::json& dataset, const ObjectLookup& grants);

class AccessGrantReconciler final : public ConditionReconciler {
 public:
  AccessGrantReconciler(const ObjectLookup& grants, const ObjectLookup& datasets, ReconcilerDeps deps);

 protected:
  Assessment Assess(const nlohmann::json& grant) override;

 private:
  const ObjectLookup& datasets_;
};

// Adds the controller and its watches (AccessGrants; Datasets → grants).
kube::Controller& RegisterAccessGrantController(Manager& manager);

}  // namespace oncoatlas::op
