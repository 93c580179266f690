// Informer: a reflector feeding an in-memory cache (Store) of one resource,
// indexed by namespace, by label and by owner UID, with handlers told of every
// add, update and delete after the cache has it, and a periodic resync that
// re-announces every cached object as an update (so level-triggered
// controllers re-check them).
//
// Threading: Start() runs the reflector and the resync timer on their own
// threads; handlers are called one at a time (never concurrently) from those
// threads. The Store may be read from any thread at any time. Stop() (or the
// destructor) joins both threads.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/reflector.h"

namespace oncoatlas::kube {

using ObjectPtr = std::shared_ptr<const Json>;

// The cache. Thread-safe; returned objects are immutable snapshots.
class Store {
 public:
  ObjectPtr Get(const std::string& key) const;  // "ns/name" or "name"; null if absent
  std::vector<ObjectPtr> List() const;
  std::vector<ObjectPtr> ByNamespace(const std::string& ns) const;
  std::vector<ObjectPtr> ByLabel(const std::string& key, const std::string& value) const;
  std::vector<ObjectPtr> ByOwner(const std::string& owner_uid) const;
  std::size_t size() const;

  // Used by the Informer.
  ObjectPtr Put(ObjectPtr object);  // returns the object it replaced, if any
  ObjectPtr Remove(const std::string& key);

 private:
  using Keys = std::set<std::string>;
  void IndexLocked(const std::string& key, const Json& object, bool add);  // REQUIRES: mutex_ held
  std::vector<ObjectPtr> Collect(const std::map<std::string, Keys>& index, const std::string& value) const;

  mutable std::mutex mutex_;
  std::map<std::string, ObjectPtr> objects_;  // GUARDED_BY(mutex_)
  std::map<std::string, Keys> by_namespace_;  // GUARDED_BY(mutex_)
  std::map<std::string, Keys> by_label_;      // "key=value" -> keys; GUARDED_BY(mutex_)
  std::map<std::string, Keys> by_owner_;      // GUARDED_BY(mutex_)
};

class Informer : private ReflectorHandler {
 public:
  // `client` must outlive the informer. resync_period zero disables resync.
  Informer(RestClient& client, ReflectorOptions options, std::chrono::milliseconds resync_period = {});
  ~Informer() override;
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // REQUIRES: before Start(). `handler` must outlive the informer.
  void AddHandler(ReflectorHandler* handler);
  void Start();
  void Stop();
  // Waits until the first list is in the cache; false on timeout.
  bool WaitForSync(std::chrono::milliseconds timeout);
  bool HasSynced() const { return reflector_.HasSynced(); }

  const Store& store() const { return store_; }
  int resyncs() const;

 private:
  void OnAdd(const Json& object) override;
  void OnUpdate(const Json& old_object, const Json& new_object) override;
  void OnDelete(const Json& last_known) override;
  void OnSynced() override;
  void ResyncLoop();

  Store store_;
  Reflector reflector_;
  const std::chrono::milliseconds resync_period_;
  std::vector<ReflectorHandler*> handlers_;
  std::mutex dispatch_mutex_;  // handlers run one at a time
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mutex_)
  bool synced_ = false;    // GUARDED_BY(mutex_)
  int resyncs_ = 0;        // GUARDED_BY(mutex_)
  std::thread reflector_thread_;
  std::thread resync_thread_;
};

}  // namespace oncoatlas::kube
