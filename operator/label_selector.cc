#include "label_selector.h"

#include <string>

namespace oncoatlas::op {

bool SelectorMatches(const nlohmann::json& selector, const nlohmann::json& object) {
  if (!selector.is_object()) return false;
  nlohmann::json labels = nlohmann::json::object();
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object()) {
    labels = object["metadata"].value("labels", nlohmann::json::object());
    if (!labels.is_object()) labels = nlohmann::json::object();
  }
  std::size_t requirements = 0;
  auto label = [&labels](const std::string& key) -> const nlohmann::json* {
    auto it = labels.find(key);
    return it != labels.end() && it->is_string() ? &*it : nullptr;
  };
  if (auto ml = selector.find("matchLabels"); ml != selector.end()) {
    if (!ml->is_object()) return false;
    requirements += ml->size();
    for (auto it = ml->begin(); it != ml->end(); ++it) {
      const nlohmann::json* value = label(it.key());
      if (value == nullptr || *value != *it) return false;
    }
  }
  if (auto me = selector.find("matchExpressions"); me != selector.end()) {
    if (!me->is_array()) return false;
    requirements += me->size();
    for (const nlohmann::json& req : *me) {
      if (!req.is_object()) return false;
      const std::string key = req.value("key", "");
      const std::string op = req.value("operator", "");
      nlohmann::json values = req.value("values", nlohmann::json::array());
      if (values.is_null()) values = nlohmann::json::array();
      if (!values.is_array() || values.empty() != (op == "Exists" || op == "DoesNotExist")) return false;
      const nlohmann::json* value = label(key);
      bool in_values = false;
      if (value != nullptr) {
        for (const nlohmann::json& v : values) in_values = in_values || v == *value;
      }
      if (op == "In") {
        if (!in_values) return false;
      } else if (op == "NotIn") {
        if (in_values) return false;
      } else if (op == "Exists") {
        if (value == nullptr) return false;
      } else if (op == "DoesNotExist") {
        if (value != nullptr) return false;
      } else {
        return false;
      }
    }
  }
  return requirements > 0;
}

}  // namespace oncoatlas::op
