#include "access_policy_controller.h"

#include <algorithm>
#include <set>

#include "api/resources.h"
#include "api/types.h"
#include "manager.h"

namespace oncoatlas::op {
namespace {

// A rule's match in a canonical form (each list sorted; omitted = any).
nlohmann::json CanonicalMatch(const std::optional<api::PolicyMatch>& match) {
  nlohmann::json out = nlohmann::json::object();
  if (!match) return out;
  auto add = [&out](const char* name, const std::optional<std::vector<std::string>>& values) {
    if (!values) return;
    std::vector<std::string> sorted(values->begin(), values->end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    out[name] = sorted;
  };
  add("purposes", match->purposes);
  add("granteeTypes", match->grantee_types);
  add("dataUseTerms", match->data_use_terms);
  add("nodeCountries", match->node_countries);
  add("permissions", match->permissions);
  return out;
}

}  // namespace

Assessment AssessAccessPolicy(const nlohmann::json& object) {
  Assessment a;
  auto policy = api::FromJson<api::AccessPolicy>(object);
  if (!policy.ok()) {
    a.conditions.push_back(
        {kube::kConditionReady, kube::kConditionFalse, "InvalidSpec",
         "The AccessPolicy cannot be read (" + policy.status().message() + "); fix the manifest and apply it again."});
    return a;
  }
  const std::vector<api::PolicyRule>& rules = policy->spec.rules;
  std::set<std::string> names;
  for (const api::PolicyRule& rule : rules) {
    if (!names.insert(rule.name).second) {
      a.conditions.push_back({kube::kConditionReady, kube::kConditionFalse, "DuplicateRuleName",
                              "Two rules are named \"" + rule.name + "\"; give each rule its own name."});
      return a;
    }
    if (rule.effect == "RequireApprovals" && rule.approvals.value_or(0) < 1) {
      a.conditions.push_back(
          {kube::kConditionReady, kube::kConditionFalse, "InvalidRule",
           "Rule \"" + rule.name + "\" requires approvals but sets no number; set approvals to 1 or more."});
      return a;
    }
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    for (std::size_t j = i + 1; j < rules.size(); ++j) {
      if (rules[i].effect != rules[j].effect && CanonicalMatch(rules[i].match) == CanonicalMatch(rules[j].match)) {
        a.conditions.push_back({kube::kConditionReady, kube::kConditionFalse, "ConflictingRules",
                                "Rules \"" + rules[i].name + "\" (" + rules[i].effect + ") and \"" + rules[j].name +
                                    "\" (" + rules[j].effect +
                                    ") match the same grants; narrow one match or remove one rule."});
        return a;
      }
    }
  }
  a.conditions.push_back({kube::kConditionReady, kube::kConditionTrue, "Valid",
                          "The policy's " + std::to_string(rules.size()) + " rules are consistent."});
  return a;
}

AccessPolicyReconciler::AccessPolicyReconciler(const ObjectLookup& policies, ReconcilerDeps deps)
    : ConditionReconciler(api::kAccessPolicies, policies, deps) {}

kube::Controller& RegisterAccessPolicyController(Manager& manager) {
  const ObjectLookup& policies = manager.Cache(api::kAccessPolicies);
  ReconcilerDeps deps{&manager.status_writer(), &manager.events(), nullptr};
  kube::Controller& controller =
      manager.AddController("accesspolicy", std::make_unique<AccessPolicyReconciler>(policies, deps));
  manager.Watch(api::kAccessPolicies, controller, SelfRequest);
  return controller;
}

}  // namespace oncoatlas::op
