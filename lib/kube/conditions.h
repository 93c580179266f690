// metav1.Conditions in an object's status, set the one way every writer of
// this project sets them (operator and agent): each condition carries the
// object's generation as observedGeneration, lastTransitionTime changes only
// when the condition's status changes, conditions of other types (another
// writer's) are kept, and the changes are returned so the caller can emit
// Events. Works on the status as JSON, so fields other writers own are kept
// untouched. Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace oncoatlas::kube {

inline constexpr char kConditionTrue[] = "True";
inline constexpr char kConditionFalse[] = "False";
inline constexpr char kConditionUnknown[] = "Unknown";
inline constexpr char kConditionReady[] = "Ready";

// "True" or "False".
const char* ConditionStatusOf(bool value);

// A condition as a controller decides it.
struct ConditionSpec {
  std::string type;     // CamelCase, e.g. "Ready"
  std::string status;   // kConditionTrue, kConditionFalse or kConditionUnknown
  std::string reason;   // CamelCase, e.g. "DataNodeNotFound"
  std::string message;  // what is wrong and how to fix it

  bool IsTrue() const { return status == kConditionTrue; }
  bool operator==(const ConditionSpec&) const = default;
};

// A condition whose status or reason changed, or that appeared.
struct ConditionChange {
  std::string previous_status;  // "" when the condition is new
  std::string previous_reason;
  ConditionSpec now;

  bool StatusChanged() const { return previous_status != now.status; }
};

// Sets `conditions` in status["conditions"] (status becomes an object and
// the list an array if they were not). A message longer than the API's limit
// is cut. status["observedGeneration"] is left to the caller: not every
// writer owns it. Returns the changes, in the order of `conditions`.
std::vector<ConditionChange> SetConditions(nlohmann::json& status, const std::vector<ConditionSpec>& conditions,
                                           std::int64_t generation, std::chrono::system_clock::time_point now);

// The condition of `type` in an object's status.conditions, or null json.
nlohmann::json FindCondition(const nlohmann::json& object, const std::string& type);
// Whether the object's condition `type` is "True".
bool IsConditionTrue(const nlohmann::json& object, const std::string& type);

}  // namespace oncoatlas::kube
