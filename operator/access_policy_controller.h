// The AccessPolicy controller (skeleton): checks what the schema cannot — no
// two rules with the same match but different effects (the outcome would
// depend on rule order) and approvals of RequireApprovals rules being at
// least one — and reports it as the Ready condition. Evaluating grants against
// policies comes with the policy engine.
// Threading: as ConditionReconciler.
#pragma once

#include "condition_reconciler.h"
#include "kube/controller.h"

namespace oncoatlas::op {

class Manager;

// The pure decision.
Assessment AssessAccessPolicy(const nlohmann::json& policy);

class AccessPolicyReconciler final : public ConditionReconciler {
 public:
  AccessPolicyReconciler(const ObjectLookup& policies, ReconcilerDeps deps);

 protected:
  Assessment Assess(const nlohmann::json& policy) override { return AssessAccessPolicy(policy); }
};

kube::Controller& RegisterAccessPolicyController(Manager& manager);

}  // namespace oncoatlas::op
