// Setting metav1.Conditions on an object's status, as every reconciler of the
// operator does: each condition carries the object's generation as
// observedGeneration, lastTransitionTime changes only when the condition's
// status changes, and the transitions are returned so the caller can emit
// Events. Works on the status as JSON, so fields other writers own (the
// agent's counts, progress) are kept untouched.
// Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/rfc3339.h"

namespace oncoatlas::op {

inline constexpr char kReady[] = "Ready";

// A condition as a reconciler decides it.
struct ConditionSpec {
  std::string type;     // CamelCase, e.g. "Ready"
  bool status = false;  // True or False (this operator never reports Unknown once it has looked)
  std::string reason;   // CamelCase, e.g. "DataNodeNotFound"
  std::string message;  // what is wrong and how to fix it

  bool operator==(const ConditionSpec&) const = default;
};

// A condition whose status changed (or that appeared).
struct ConditionTransition {
  std::string type;
  std::string previous_status;  // "" when the condition is new
  ConditionSpec now;
};

// The metadata.generation of `object` (0 when absent).
std::int64_t GenerationOf(const nlohmann::json& object);

// Sets `conditions` in status["conditions"] and status["observedGeneration"] =
// `generation`. Conditions of other types are kept. Returns the transitions.
std::vector<ConditionTransition> SetConditions(nlohmann::json& status, const std::vector<ConditionSpec>& conditions,
                                               std::int64_t generation, std::chrono::system_clock::time_point now);

// The condition of `type` in an object's status.conditions, or null json.
nlohmann::json FindCondition(const nlohmann::json& object, const std::string& type);
// Whether the object's condition `type` is "True".
bool IsConditionTrue(const nlohmann::json& object, const std::string& type);

}  // namespace oncoatlas::op
