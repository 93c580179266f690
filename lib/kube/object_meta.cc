#include "kube/object_meta.h"

#include <algorithm>

namespace oncoatlas::kube {
namespace {

std::string StringField(const nlohmann::json& object, const char* field) {
  const nlohmann::json& m = MetadataOf(object);
  const auto it = m.find(field);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string MapEntry(const nlohmann::json& object, const char* map, std::string_view key) {
  const nlohmann::json& m = MetadataOf(object);
  const auto entries = m.find(map);
  if (entries == m.end() || !entries->is_object()) return "";
  const auto it = entries->find(key);
  return it != entries->end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

const nlohmann::json& MetadataOf(const nlohmann::json& object) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::string NameOf(const nlohmann::json& object) { return StringField(object, "name"); }
std::string NamespaceOf(const nlohmann::json& object) { return StringField(object, "namespace"); }
std::string UidOf(const nlohmann::json& object) { return StringField(object, "uid"); }
std::string ResourceVersionOf(const nlohmann::json& object) { return StringField(object, "resourceVersion"); }

std::int64_t GenerationOf(const nlohmann::json& object) {
  const nlohmann::json& m = MetadataOf(object);
  const auto it = m.find("generation");
  return it != m.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string LabelOf(const nlohmann::json& object, std::string_view key) { return MapEntry(object, "labels", key); }
std::string AnnotationOf(const nlohmann::json& object, std::string_view key) {
  return MapEntry(object, "annotations", key);
}

bool IsBeingDeleted(const nlohmann::json& object) {
  const nlohmann::json& m = MetadataOf(object);
  const auto it = m.find("deletionTimestamp");
  return it != m.end() && !it->is_null();
}

std::vector<std::string> FinalizersOf(const nlohmann::json& object) {
  std::vector<std::string> out;
  const nlohmann::json& m = MetadataOf(object);
  const auto it = m.find("finalizers");
  if (it == m.end() || !it->is_array()) return out;
  for (const nlohmann::json& f : *it) {
    if (f.is_string()) out.push_back(f.get<std::string>());
  }
  return out;
}

bool HasFinalizer(const nlohmann::json& object, std::string_view finalizer) {
  const std::vector<std::string> all = FinalizersOf(object);
  return std::find(all.begin(), all.end(), finalizer) != all.end();
}

}  // namespace oncoatlas::kube
