#include "object_lookup.h"

namespace oncoatlas::op {
namespace {

std::string MetadataString(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto value = meta->find(field);
  return value != meta->end() && value->is_string() ? value->get<std::string>() : "";
}

std::string Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

}  // namespace

std::string NamespaceOf(const nlohmann::json& object) { return MetadataString(object, "namespace"); }
std::string NameOf(const nlohmann::json& object) { return MetadataString(object, "name"); }

void FakeObjectLookup::Put(nlohmann::json object) {
  const std::string key = Key(NamespaceOf(object), NameOf(object));
  std::lock_guard<std::mutex> l(mu_);
  objects_[key] = std::make_shared<const nlohmann::json>(std::move(object));
}

void FakeObjectLookup::Remove(const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  objects_.erase(Key(ns, name));
}

ObjectPtr FakeObjectLookup::Get(const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = objects_.find(Key(ns, name));
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> FakeObjectLookup::List() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

}  // namespace oncoatlas::op
