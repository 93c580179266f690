// ObjectLookup: read access to the cached objects of one resource, as
// reconcilers see the world. The operator's informer caches implement it;
// unit tests hand in FakeObjectLookup. Returned objects are immutable
// snapshots. Threading: implementations are safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/object_meta.h"

namespace oncoatlas::op {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

class ObjectLookup {
 public:
  virtual ~ObjectLookup() = default;
  // The object `ns`/`name` (ns empty for cluster-scoped objects), or null.
  virtual ObjectPtr Get(const std::string& ns, const std::string& name) const = 0;
  // Every cached object (of every watched namespace).
  virtual std::vector<ObjectPtr> List() const = 0;
  // The cached objects in namespace `ns`.
  virtual std::vector<ObjectPtr> ListInNamespace(const std::string& ns) const = 0;
};

// An in-memory ObjectLookup for tests.
class FakeObjectLookup final : public ObjectLookup {
 public:
  void Put(nlohmann::json object);
  void Remove(const std::string& ns, const std::string& name);
  ObjectPtr Get(const std::string& ns, const std::string& name) const override;
  std::vector<ObjectPtr> List() const override;
  std::vector<ObjectPtr> ListInNamespace(const std::string& ns) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, ObjectPtr> objects_;  // GUARDED_BY(mu_); by "ns/name"
};

}  // namespace oncoatlas::op
