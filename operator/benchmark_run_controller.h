// The BenchmarkRun controller (skeleton): checks a run's references — its
// Datasets exist, its AccessGrant (same namespace) exists, covers every
// Dataset, allows `Process` and is active (Ready) — and reports them as the
// ReferencesResolved and Ready conditions. Running tasks at the nodes comes
// later. Grant and Dataset changes re-enqueue the runs that name them.
// Threading: as ConditionReconciler.
#pragma once

#include <vector>

#include "condition_reconciler.h"
#include "kube/controller.h"

namespace oncoatlas::op {

class Manager;

inline constexpr char kReferencesResolved[] = "ReferencesResolved";

// The pure decision: `grant` is the named AccessGrant or null; `datasets`
// holds the run's Datasets that exist (others are missing).
Assessment AssessBenchmarkRun(const nlohmann::json& run, const nlohmann::json* grant, const ObjectLookup& datasets);

std::vector<kube::Request> RunsOfGrant(const nlohmann::json& grant, const ObjectLookup& runs);
std::vector<kube::Request> RunsOfDataset(const nlohmann::json& dataset, const ObjectLookup& runs);

class BenchmarkRunReconciler final : public ConditionReconciler {
 public:
  BenchmarkRunReconciler(const ObjectLookup& runs, const ObjectLookup& grants, const ObjectLookup& datasets,
                         ReconcilerDeps deps);

 protected:
  Assessment Assess(const nlohmann::json& run) override;

 private:
  const ObjectLookup& grants_;
  const ObjectLookup& datasets_;
};

// Adds the controller and its watches (BenchmarkRuns; AccessGrants and
// Datasets → the runs naming them).
kube::Controller& RegisterBenchmarkRunController(Manager& manager);

}  // namespace oncoatlas::op
