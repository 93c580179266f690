#include "conditions.h"

namespace oncoatlas::op {

std::int64_t GenerationOf(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("metadata")) return 0;
  const nlohmann::json& meta = object["metadata"];
  auto it = meta.find("generation");
  return it != meta.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::vector<ConditionTransition> SetConditions(nlohmann::json& status, const std::vector<ConditionSpec>& conditions,
                                               std::int64_t generation, std::chrono::system_clock::time_point now) {
  if (!status.is_object()) status = nlohmann::json::object();
  nlohmann::json& list = status["conditions"];
  if (!list.is_array()) list = nlohmann::json::array();

  std::vector<ConditionTransition> transitions;
  for (const ConditionSpec& wanted : conditions) {
    const std::string status_text = wanted.status ? "True" : "False";
    nlohmann::json* existing = nullptr;
    for (nlohmann::json& c : list) {
      if (c.is_object() && c.value("type", "") == wanted.type) {
        existing = &c;
        break;
      }
    }
    std::string previous;
    std::string transition_time = kube::FormatTime(now);
    if (existing != nullptr) {
      previous = existing->value("status", "");
      const std::string kept_time = existing->value("lastTransitionTime", "");
      if (previous == status_text && !kept_time.empty()) transition_time = kept_time;
    }
    nlohmann::json c = {{"type", wanted.type},
                        {"status", status_text},
                        {"observedGeneration", generation},
                        {"lastTransitionTime", transition_time},
                        {"reason", wanted.reason},
                        {"message", wanted.message}};
    if (existing != nullptr) {
      *existing = std::move(c);
    } else {
      list.push_back(std::move(c));
    }
    if (previous != status_text) transitions.push_back({wanted.type, previous, wanted});
  }
  status["observedGeneration"] = generation;
  return transitions;
}

nlohmann::json FindCondition(const nlohmann::json& object, const std::string& type) {
  if (!object.is_object()) return nullptr;
  auto status = object.find("status");
  if (status == object.end() || !status->is_object()) return nullptr;
  auto list = status->find("conditions");
  if (list == status->end() || !list->is_array()) return nullptr;
  for (const nlohmann::json& c : *list) {
    if (c.is_object() && c.value("type", "") == type) return c;
  }
  return nullptr;
}

bool IsConditionTrue(const nlohmann::json& object, const std::string& type) {
  const nlohmann::json c = FindCondition(object, type);
  return c.is_object() && c.value("status", "") == "True";
}

}  // namespace oncoatlas::op
