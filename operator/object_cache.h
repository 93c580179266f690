// ObjectCache: the informer cache of one resource over a list of namespaces
// (one informer each; one for all namespaces or a cluster-scoped resource),
// optionally narrowed by a label and a field selector,
// read through ObjectLookup, with change handlers fanned out to every
// informer. Threading: AddHandler before Start; lookups from any thread;
// handlers run on informer threads (one informer's handlers never
// concurrently).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kube/informer.h"
#include "object_lookup.h"

namespace oncoatlas::op {

class ObjectCache final : public ObjectLookup {
 public:
  // Called with the object's old state (null json on add) and new state
  // (null json on delete).
  using ChangeHandler = std::function<void(const nlohmann::json& old_object, const nlohmann::json& new_object)>;

  // `client` must outlive the cache. `namespaces` empty (or {""}): all
  // namespaces. Empty selectors select everything.
  ObjectCache(kube::RestClient& client, const kube::GroupVersionResource& gvr, std::vector<std::string> namespaces,
              const std::string& label_selector, const std::string& field_selector,
              std::chrono::milliseconds resync_period);
  ~ObjectCache() override;

  void AddHandler(ChangeHandler handler);
  void Start();
  void Stop();
  bool HasSynced() const;
  const kube::GroupVersionResource& resource() const { return gvr_; }

  ObjectPtr Get(const std::string& ns, const std::string& name) const override;
  std::vector<ObjectPtr> List() const override;
  std::vector<ObjectPtr> ListInNamespace(const std::string& ns) const override;

 private:
  class Dispatcher;
  const kube::GroupVersionResource gvr_;
  std::vector<ChangeHandler> handlers_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;  // with the namespace each watches
  std::vector<std::string> informer_namespaces_;
};

}  // namespace oncoatlas::op
