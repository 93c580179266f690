#include "kube/informer.h"

#include "kube/object_meta.h"

namespace oncoatlas::kube {
namespace {

// Packed by Store::Put from a valid Json, so it always unpacks.
ObjectPtr Unpack(const std::string& packed) {
  return std::make_shared<const Json>(Json::from_msgpack(packed.begin(), packed.end()));
}

}  // namespace

ObjectPtr Store::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : Unpack(it->second);
}

std::vector<ObjectPtr> Store::List() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, packed] : objects_) out.push_back(Unpack(packed));
  return out;
}

std::vector<ObjectPtr> Store::Collect(const std::map<std::string, Keys>& index, const std::string& value) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ObjectPtr> out;
  auto it = index.find(value);
  if (it == index.end()) return out;
  for (const std::string* key : it->second) out.push_back(Unpack(objects_.at(*key)));
  return out;
}

std::vector<ObjectPtr> Store::ByNamespace(const std::string& ns) const { return Collect(by_namespace_, ns); }
std::vector<ObjectPtr> Store::ByLabel(const std::string& key, const std::string& value) const {
  return Collect(by_label_, key + "=" + value);
}
std::vector<ObjectPtr> Store::ByOwner(const std::string& owner_uid) const { return Collect(by_owner_, owner_uid); }

std::size_t Store::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return objects_.size();
}

std::size_t Store::packed_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return packed_bytes_;
}

void Store::IndexLocked(const std::string& key, const Json& object, bool add) {
  auto update = [&](std::map<std::string, Keys>& index, const std::string& value) {
    if (add) {
      index[value].insert(&key);
    } else if (auto it = index.find(value); it != index.end()) {
      it->second.erase(&key);
      if (it->second.empty()) index.erase(it);
    }
  };
  if (!object.is_object() || !object.contains("metadata")) return;
  const Json* md = &MetadataOf(object);
  update(by_namespace_, NamespaceOf(object));
  if (auto labels = md->find("labels"); labels != md->end() && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) {
      if (v.is_string()) update(by_label_, k + "=" + v.get<std::string>());
    }
  }
  if (auto owners = md->find("ownerReferences"); owners != md->end() && owners->is_array()) {
    for (const auto& o : *owners) {
      if (o.is_object() && o.contains("uid") && o["uid"].is_string()) update(by_owner_, o["uid"].get<std::string>());
    }
  }
}

bool Store::Put(const Json& object) {
  const std::string key = ObjectKey(object);
  std::string packed;
  Json::to_msgpack(object, nlohmann::detail::output_adapter<char>(packed));
  packed.shrink_to_fit();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = objects_.find(key);
  const bool replaced = it != objects_.end();
  if (replaced) {
    IndexLocked(it->first, *Unpack(it->second), false);
    packed_bytes_ -= it->second.size();
    it->second = std::move(packed);
  } else {
    it = objects_.emplace(key, std::move(packed)).first;
  }
  packed_bytes_ += it->second.size();
  IndexLocked(it->first, object, true);
  return replaced;
}

bool Store::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  IndexLocked(it->first, *Unpack(it->second), false);
  packed_bytes_ -= it->second.size();
  objects_.erase(it);
  return true;
}

Informer::Informer(RestClient& client, ReflectorOptions options, std::chrono::milliseconds resync_period)
    : clock_(*options.clock), reflector_(client, std::move(options), *this), resync_period_(resync_period) {}

Informer::Informer(ListerWatcher& source, ReflectorOptions options, std::chrono::milliseconds resync_period)
    : clock_(*options.clock), reflector_(source, std::move(options), *this), resync_period_(resync_period) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandler(ReflectorHandler* handler) { handlers_.push_back(handler); }

void Informer::Start() {
  reflector_thread_ = std::thread([this] { (void)reflector_.Run(); });
  if (resync_period_.count() > 0) resync_thread_ = std::thread([this] { ResyncLoop(); });
}

void Informer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  reflector_.Stop();
  if (reflector_thread_.joinable()) reflector_thread_.join();
  if (resync_thread_.joinable()) resync_thread_.join();
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return synced_ || stopping_; }) && synced_;
}

int Informer::resyncs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return resyncs_;
}

void Informer::OnAdd(const Json& object) {
  std::lock_guard<std::mutex> dispatch(dispatch_mutex_);
  store_.Put(object);
  for (auto* h : handlers_) h->OnAdd(object);
}

void Informer::OnUpdate(const Json& old_object, const Json& new_object) {
  std::lock_guard<std::mutex> dispatch(dispatch_mutex_);
  store_.Put(new_object);
  for (auto* h : handlers_) h->OnUpdate(old_object, new_object);
}

void Informer::OnDelete(const Json& last_known) {
  std::lock_guard<std::mutex> dispatch(dispatch_mutex_);
  store_.Remove(ObjectKey(last_known));
  for (auto* h : handlers_) h->OnDelete(last_known);
}

void Informer::OnSynced() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    synced_ = true;
  }
  cv_.notify_all();
  std::lock_guard<std::mutex> dispatch(dispatch_mutex_);
  for (auto* h : handlers_) h->OnSynced();
}

void Informer::ResyncLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    const Clock::TimePoint deadline = clock_.Now() + resync_period_;
    while (!stopping_ && clock_.Now() < deadline) clock_.WaitUntil(lock, cv_, deadline);
    if (stopping_) return;
    if (!synced_) continue;
    ++resyncs_;
    lock.unlock();
    {
      std::lock_guard<std::mutex> dispatch(dispatch_mutex_);
      for (const auto& object : store_.List()) {
        for (auto* h : handlers_) h->OnUpdate(*object, *object);
      }
    }
    lock.lock();
  }
}

}  // namespace oncoatlas::kube
