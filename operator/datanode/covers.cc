#include "datanode/covers.h"

namespace oncoatlas::datanode {

bool Covers(const nlohmann::json& actual, const nlohmann::json& desired) {
  if (desired.is_object()) {
    if (!actual.is_object()) return false;
    for (auto it = desired.begin(); it != desired.end(); ++it) {
      const auto found = actual.find(it.key());
      if (found == actual.end() || !Covers(*found, it.value())) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!actual.is_array() || actual.size() != desired.size()) return false;
    for (std::size_t i = 0; i < desired.size(); ++i) {
      if (!Covers(actual[i], desired[i])) return false;
    }
    return true;
  }
  if (desired.is_number() && actual.is_number()) return desired == actual;
  return desired == actual;
}

}  // namespace oncoatlas::datanode
