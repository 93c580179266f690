// AccessGrant (namespaced): a request for, and once approved the right to,
// use Datasets. Mirrors crds/accessgrant.yaml field for field;
// tests/crds/api_types_test.cc proves it. Plain values; not synchronized.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/common_types.h"

namespace oncoatlas::api {

struct Grantee {
  std::string kind;  // "User" or "Organisation"
  std::string name;
  std::optional<std::string> organisation;
  std::string country;  // ISO 3166-1 alpha-2
  std::string type;     // "Academic", "Commercial" or "Clinical"
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("kind", self.kind);
    m("name", self.name);
    m("organisation", self.organisation);
    m("country", self.country);
    m("type", self.type);
  }
};

// metav1.LabelSelectorRequirement.
struct LabelSelectorRequirement {
  std::string key;
  std::string operator_;  // In, NotIn, Exists, DoesNotExist
  std::optional<std::vector<std::string>> values;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("key", self.key);
    m("operator", self.operator_);
    m("values", self.values);
  }
};

// metav1.LabelSelector.
struct LabelSelector {
  std::optional<std::map<std::string, std::string>> match_labels;
  std::optional<std::vector<LabelSelectorRequirement>> match_expressions;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("matchLabels", self.match_labels);
    m("matchExpressions", self.match_expressions);
  }
};

struct GrantDatasets {
  std::optional<std::vector<DatasetRef>> names;
  std::optional<LabelSelector> selector;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("names", self.names);
    m("selector", self.selector);
  }
};

struct Purpose {
  std::vector<std::string> codes;  // DUO CURIEs
  std::optional<std::vector<std::string>> diseases;
  std::string statement;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("codes", self.codes);
    m("diseases", self.diseases);
    m("statement", self.statement);
  }
};

struct EthicsApproval {
  std::string reference;
  std::string committee;
  std::optional<std::string> valid_until;  // RFC 3339
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("reference", self.reference);
    m("committee", self.committee);
    m("validUntil", self.valid_until);
  }
};

struct Approval {
  std::string approver;
  std::string decision;  // "Approve" or "Reject"
  std::string time;      // RFC 3339
  std::optional<std::string> comment;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("approver", self.approver);
    m("decision", self.decision);
    m("time", self.time);
    m("comment", self.comment);
  }
};

struct AccessGrantSpec {
  Grantee grantee;
  GrantDatasets datasets;
  Purpose purpose;
  std::vector<std::string> permissions;  // Query, Process, Retrieve
  std::string valid_from;                // RFC 3339
  std::string valid_until;               // RFC 3339
  std::optional<EthicsApproval> ethics_approval;
  std::optional<std::vector<Approval>> approvals;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("grantee", self.grantee);
    m("datasets", self.datasets);
    m("purpose", self.purpose);
    m("permissions", self.permissions);
    m("validFrom", self.valid_from);
    m("validUntil", self.valid_until);
    m("ethicsApproval", self.ethics_approval);
    m("approvals", self.approvals);
  }
};

struct DecisionRule {
  std::string policy;
  std::string rule;
  std::string effect;
  std::optional<std::string> dataset;
  std::optional<std::string> message;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("policy", self.policy);
    m("rule", self.rule);
    m("effect", self.effect);
    m("dataset", self.dataset);
    m("message", self.message);
  }
};

struct GrantDecision {
  std::optional<std::string> effect;
  std::optional<std::int64_t> required_approvals;
  std::optional<std::string> evaluated_time;
  std::optional<std::vector<DecisionRule>> rules;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("effect", self.effect);
    m("requiredApprovals", self.required_approvals);
    m("evaluatedTime", self.evaluated_time);
    m("rules", self.rules);
  }
};

struct ApprovalProgress {
  std::optional<std::int64_t> required;
  std::optional<std::int64_t> received;
  std::optional<std::vector<std::string>> approvers;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("required", self.required);
    m("received", self.received);
    m("approvers", self.approvers);
  }
};

struct GrantToken {
  std::optional<std::string> secret_name;
  std::optional<std::string> key_id;
  std::optional<std::string> expiry;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("secretName", self.secret_name);
    m("keyId", self.key_id);
    m("expiry", self.expiry);
  }
};

struct GrantProjection {
  std::string node;
  std::optional<std::string> namespace_;
  std::optional<bool> acknowledged;
  std::optional<std::int64_t> acknowledged_generation;
  std::optional<std::string> acknowledged_time;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("node", self.node);
    m("namespace", self.namespace_);
    m("acknowledged", self.acknowledged);
    m("acknowledgedGeneration", self.acknowledged_generation);
    m("acknowledgedTime", self.acknowledged_time);
  }
};

struct AccessGrantStatus {
  std::optional<std::int64_t> observed_generation;
  std::optional<std::string> phase;
  std::optional<std::int64_t> dataset_count;
  std::optional<GrantDecision> decision;
  std::optional<ApprovalProgress> approvals;
  std::optional<GrantToken> token;
  std::optional<std::vector<GrantProjection>> projections;
  std::optional<std::vector<Condition>> conditions;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("observedGeneration", self.observed_generation);
    m("phase", self.phase);
    m("datasetCount", self.dataset_count);
    m("decision", self.decision);
    m("approvals", self.approvals);
    m("token", self.token);
    m("projections", self.projections);
    m("conditions", self.conditions);
  }
};

using AccessGrant = Object<AccessGrantSpec, AccessGrantStatus, "AccessGrant">;

}  // namespace oncoatlas::api
