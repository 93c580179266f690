#include "object_cache.h"

#include <algorithm>

namespace oncoatlas::op {

class ObjectCache::Dispatcher final : public kube::ReflectorHandler {
 public:
  explicit Dispatcher(const std::vector<ChangeHandler>& handlers) : handlers_(handlers) {}
  void OnAdd(const nlohmann::json& object) override {
    for (const auto& h : handlers_) h(nullptr, object);
  }
  void OnUpdate(const nlohmann::json& old_object, const nlohmann::json& new_object) override {
    for (const auto& h : handlers_) h(old_object, new_object);
  }
  void OnDelete(const nlohmann::json& last_known) override {
    for (const auto& h : handlers_) h(last_known, nullptr);
  }

 private:
  const std::vector<ChangeHandler>& handlers_;
};

ObjectCache::ObjectCache(kube::RestClient& client, const kube::GroupVersionResource& gvr,
                         std::vector<std::string> namespaces, const std::string& label_selector,
                         const std::string& field_selector, std::chrono::milliseconds resync_period)
    : gvr_(gvr), dispatcher_(std::make_unique<Dispatcher>(handlers_)) {
  if (!gvr.namespaced || namespaces.empty()) namespaces = {""};
  std::sort(namespaces.begin(), namespaces.end());
  namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  for (const std::string& ns : namespaces) {
    kube::ReflectorOptions options;
    options.resource = gvr;
    options.namespace_name = ns;
    options.label_selector = label_selector;
    options.field_selector = field_selector;
    informers_.push_back(std::make_unique<kube::Informer>(client, options, resync_period));
    informers_.back()->AddHandler(dispatcher_.get());
    informer_namespaces_.push_back(ns);
  }
}

ObjectCache::~ObjectCache() { Stop(); }

void ObjectCache::AddHandler(ChangeHandler handler) { handlers_.push_back(std::move(handler)); }

void ObjectCache::Start() {
  for (auto& informer : informers_) informer->Start();
}

void ObjectCache::Stop() {
  for (auto& informer : informers_) informer->Stop();
}

bool ObjectCache::HasSynced() const {
  return std::all_of(informers_.begin(), informers_.end(), [](const auto& i) { return i->HasSynced(); });
}

ObjectPtr ObjectCache::Get(const std::string& ns, const std::string& name) const {
  const std::string key = gvr_.namespaced ? ns + "/" + name : name;
  for (std::size_t i = 0; i < informers_.size(); ++i) {
    if (gvr_.namespaced && !informer_namespaces_[i].empty() && informer_namespaces_[i] != ns) continue;
    if (ObjectPtr found = informers_[i]->store().Get(key)) return found;
  }
  return nullptr;
}

std::vector<ObjectPtr> ObjectCache::List() const {
  std::vector<ObjectPtr> out;
  for (const auto& informer : informers_) {
    std::vector<ObjectPtr> part = informer->store().List();
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<ObjectPtr> ObjectCache::ListInNamespace(const std::string& ns) const {
  std::vector<ObjectPtr> out;
  for (std::size_t i = 0; i < informers_.size(); ++i) {
    if (!informer_namespaces_[i].empty() && informer_namespaces_[i] != ns) continue;
    std::vector<ObjectPtr> part = informers_[i]->store().ByNamespace(ns);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace oncoatlas::op
