#include "kube/conditions.h"

#include "kube/rfc3339.h"

namespace oncoatlas::kube {
namespace {

// The condition message limit of the oncoatlas.io CRDs (crds/*.yaml; stricter
// than metav1.Condition's 32768, so the largest object fits etcd).
constexpr std::size_t kMaxMessageBytes = 4096;

// At most `limit` bytes of `s`, not splitting a UTF-8 sequence.
std::string Utf8Prefix(const std::string& s, std::size_t limit) {
  if (s.size() <= limit) return s;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

}  // namespace

const char* ConditionStatusOf(bool value) { return value ? kConditionTrue : kConditionFalse; }

std::vector<ConditionChange> SetConditions(nlohmann::json& status, const std::vector<ConditionSpec>& conditions,
                                           std::int64_t generation, std::chrono::system_clock::time_point now) {
  if (!status.is_object()) status = nlohmann::json::object();
  nlohmann::json& list = status["conditions"];
  if (!list.is_array()) list = nlohmann::json::array();

  std::vector<ConditionChange> changes;
  for (const ConditionSpec& wanted : conditions) {
    nlohmann::json* existing = nullptr;
    for (nlohmann::json& c : list) {
      if (c.is_object() && c.value("type", "") == wanted.type) {
        existing = &c;
        break;
      }
    }
    ConditionChange change{"", "", wanted};
    std::string transition_time = FormatTime(now);
    if (existing != nullptr) {
      change.previous_status = existing->value("status", "");
      change.previous_reason = existing->value("reason", "");
      const auto kept = existing->find("lastTransitionTime");
      if (change.previous_status == wanted.status && kept != existing->end() && kept->is_string() &&
          !kept->get<std::string>().empty()) {
        transition_time = kept->get<std::string>();
      }
    }
    nlohmann::json c = {{"type", wanted.type},
                        {"status", wanted.status},
                        {"observedGeneration", generation},
                        {"lastTransitionTime", transition_time},
                        {"reason", wanted.reason},
                        {"message", Utf8Prefix(wanted.message, kMaxMessageBytes)}};
    if (existing != nullptr) {
      *existing = std::move(c);
    } else {
      list.push_back(std::move(c));
    }
    if (change.StatusChanged() || change.previous_reason != wanted.reason) changes.push_back(std::move(change));
  }
  return changes;
}

nlohmann::json FindCondition(const nlohmann::json& object, const std::string& type) {
  if (!object.is_object()) return nullptr;
  const auto status = object.find("status");
  if (status == object.end() || !status->is_object()) return nullptr;
  const auto list = status->find("conditions");
  if (list == status->end() || !list->is_array()) return nullptr;
  for (const nlohmann::json& c : *list) {
    if (c.is_object() && c.value("type", "") == type) return c;
  }
  return nullptr;
}

bool IsConditionTrue(const nlohmann::json& object, const std::string& type) {
  const nlohmann::json c = FindCondition(object, type);
  return c.is_object() && c.value("status", "") == kConditionTrue;
}

}  // namespace oncoatlas::kube
