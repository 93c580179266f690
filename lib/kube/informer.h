// Informer: a reflector feeding an in-memory cache (Store) of one resource
// (the only copy of each object: the reflector keeps keys and versions only),
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

// The cache. Each object is kept packed (MessagePack of its JSON, about the
// size of the JSON text) rather than as a nlohmann::json tree, which takes
// several times the object's size; reads unpack a fresh immutable copy.
// Thread-safe.
class Store {
 public:
  ObjectPtr Get(const std::string& key) const;  // "ns/name" or "name"; null if absent
  std::vector<ObjectPtr> List() const;
  std::vector<ObjectPtr> ByNamespace(const std::string& ns) const;
  std::vector<ObjectPtr> ByLabel(const std::string& key, const std::string& value) const;
  std::vector<ObjectPtr> ByOwner(const std::string& owner_uid) const;
  std::size_t size() const;
  // Bytes of packed objects held (for measuring the cache).
  std::size_t packed_bytes() const;

  // Used by the Informer. Put returns whether an object with that key was
  // replaced; Remove whether one was there.
  bool Put(const Json& object);
  bool Remove(const std::string& key);

 private:
  // Index entries point at the keys of objects_ (stable while the entry
  // lives) rather than copying them; ordered by the key's value.
  struct KeyLess {
    bool operator()(const std::string* a, const std::string* b) const { return *a < *b; }
  };
  using Keys = std::set<const std::string*, KeyLess>;
  // REQUIRES: mutex_ held; `key` is the key of an entry of objects_.
  void IndexLocked(const std::string& key, const Json& object, bool add);
  std::vector<ObjectPtr> Collect(const std::map<std::string, Keys>& index, const std::string& value) const;

  mutable std::mutex mutex_;
  std::map<std::string, std::string> objects_;  // key -> MessagePack; GUARDED_BY(mutex_)
  std::size_t packed_bytes_ = 0;                // GUARDED_BY(mutex_)
  std::map<std::string, Keys> by_namespace_;    // GUARDED_BY(mutex_)
  std::map<std::string, Keys> by_label_;        // "key=value" -> keys; GUARDED_BY(mutex_)
  std::map<std::string, Keys> by_owner_;        // GUARDED_BY(mutex_)
};

class Informer : private ReflectorHandler {
 public:
  // `client` must outlive the informer. resync_period zero disables resync;
  // it is timed on options.clock.
  Informer(RestClient& client, ReflectorOptions options, std::chrono::milliseconds resync_period = {});
  // Lists and watches through `source`, which must outlive the informer.
  Informer(ListerWatcher& source, ReflectorOptions options, std::chrono::milliseconds resync_period = {});
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
  bool KeepsObjects() const override { return true; }
  ObjectPtr LastKnown(const std::string& key) const override { return store_.Get(key); }
  void ResyncLoop();

  Store store_;
  Clock& clock_;
  Reflector reflector_;
  const std::chrono::milliseconds resync_period_;
  std::vector<ReflectorHandler*> handlers_;
  std::mutex dispatch_mutex_;  // handlers run one at a time
  mutable std::mutex mutex_;
  std::condition_variable_any cv_;
  bool stopping_ = false;  // GUARDED_BY(mutex_)
  bool synced_ = false;    // GUARDED_BY(mutex_)
  int resyncs_ = 0;        // GUARDED_BY(mutex_)
  std::thread reflector_thread_;
  std::thread resync_thread_;
};

}  // namespace oncoatlas::kube
