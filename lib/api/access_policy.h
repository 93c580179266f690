// AccessPolicy (cluster-scoped): the governance board's rules for grants.
// Mirrors crds/accesspolicy.yaml field for field; tests/crds/api_types_test.cc
// proves it. Plain values; not synchronized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/common_types.h"

namespace oncoatlas::api {

// An omitted list matches anything; within a list any value matches.
struct PolicyMatch {
  std::optional<std::vector<std::string>> purposes;
  std::optional<std::vector<std::string>> grantee_types;
  std::optional<std::vector<std::string>> data_use_terms;
  std::optional<std::vector<std::string>> node_countries;
  std::optional<std::vector<std::string>> permissions;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("purposes", self.purposes);
    m("granteeTypes", self.grantee_types);
    m("dataUseTerms", self.data_use_terms);
    m("nodeCountries", self.node_countries);
    m("permissions", self.permissions);
  }
};

struct PolicyRule {
  std::string name;
  std::optional<PolicyMatch> match;
  std::string effect;  // Deny, RequireApprovals, Allow
  std::optional<std::int64_t> approvals;
  std::string message;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("name", self.name);
    m("match", self.match);
    m("effect", self.effect);
    m("approvals", self.approvals);
    m("message", self.message);
  }
};

struct AccessPolicySpec {
  std::optional<std::string> description;
  std::optional<std::int64_t> priority;
  std::vector<PolicyRule> rules;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("description", self.description);
    m("priority", self.priority);
    m("rules", self.rules);
  }
};

struct AccessPolicyStatus {
  std::optional<std::int64_t> observed_generation;
  std::optional<std::vector<Condition>> conditions;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("observedGeneration", self.observed_generation);
    m("conditions", self.conditions);
  }
};

using AccessPolicy = Object<AccessPolicySpec, AccessPolicyStatus, "AccessPolicy">;

}  // namespace oncoatlas::api
