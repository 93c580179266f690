#include "object_lookup.h"

namespace oncoatlas::op {
namespace {

std::string Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

}  // namespace

void FakeObjectLookup::Put(nlohmann::json object) {
  const std::string key = Key(kube::NamespaceOf(object), kube::NameOf(object));
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

std::vector<ObjectPtr> FakeObjectLookup::ListInNamespace(const std::string& ns) const {
  std::vector<ObjectPtr> out;
  for (const ObjectPtr& object : List()) {
    if (kube::NamespaceOf(*object) == ns) out.push_back(object);
  }
  return out;
}

}  // namespace oncoatlas::op
