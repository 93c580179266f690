// Reflector: list, then watch from the list's resourceVersion, forever; on a
// dropped or timed-out watch it re-watches from the last resourceVersion seen
// (bookmarks included), with capped, jittered exponential backoff on errors
// (waited on the injected Clock, and never shorter than a Retry-After the
// server sent); on 410 Gone (the HTTP status or an ERROR event) it relists
// and delivers the difference between the new list and what it had delivered
// as synthetic add/update/delete. Handlers see every change once: no lost and
// no duplicated events.
//
// Run() blocks in the calling thread and calls the handler from that thread
// only; Stop() may be called from any thread and makes Run() return soon.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "kube/backoff.h"
#include "kube/clock.h"
#include "kube/rest_client.h"

namespace oncoatlas::kube {

using ObjectPtr = std::shared_ptr<const Json>;

class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  virtual void OnAdd(const Json& object) = 0;
  virtual void OnUpdate(const Json& old_object, const Json& new_object) = 0;
  virtual void OnDelete(const Json& last_known) = 0;
  // After every (re)list has been delivered.
  virtual void OnSynced() {}

  // A handler that keeps every object it is told of (an informer's cache)
  // returns true and serves LastKnown; the reflector then keeps only keys and
  // resourceVersions instead of a second copy of every object.
  virtual bool KeepsObjects() const { return false; }
  // REQUIRES: KeepsObjects(). The object last delivered for `key`, which was
  // added and not deleted since; null if the handler no longer has it.
  virtual ObjectPtr LastKnown(const std::string& /*key*/) const { return nullptr; }
};

// What a reflector needs from the API server for one resource (and selector).
// Implementations must let Watch be cancelled from another thread.
class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  // One page of the list: a List object (items, metadata.resourceVersion,
  // metadata.continue).
  virtual ApiResult<Json> List(const ListOptions& options) = 0;
  // As RestClient::Watch.
  virtual ApiStatus Watch(const WatchOptions& options, const std::function<bool(const WatchEvent&)>& on_event,
                          CancelToken* cancel) = 0;
};

// The ListerWatcher of one resource in one namespace ("" = all) through a RestClient.
class RestListerWatcher final : public ListerWatcher {
 public:
  // `client` must outlive this.
  RestListerWatcher(RestClient& client, GroupVersionResource resource, std::string namespace_name)
      : client_(client), resource_(std::move(resource)), namespace_(std::move(namespace_name)) {}
  ApiResult<Json> List(const ListOptions& options) override { return client_.List(resource_, namespace_, options); }
  ApiStatus Watch(const WatchOptions& options, const std::function<bool(const WatchEvent&)>& on_event,
                  CancelToken* cancel) override {
    return client_.Watch(resource_, namespace_, options, on_event, cancel);
  }

 private:
  RestClient& client_;
  const GroupVersionResource resource_;
  const std::string namespace_;
};

struct ReflectorOptions {
  GroupVersionResource resource;
  std::string namespace_name;  // "" = all namespaces (or cluster-scoped)
  std::string label_selector;
  std::string field_selector;
  int page_size = 500;
  // Each watch asks the server to end it after a random time in
  // [watch_timeout, 2 * watch_timeout), so long-lived watches rotate.
  std::chrono::seconds watch_timeout{300};
  // After a failed list or watch the reflector waits
  // min(max_backoff, backoff * (1 + backoff_jitter * U[0,1))), where backoff
  // starts at initial_backoff and doubles (up to max_backoff) with each
  // failure in a row; a watch that delivered an event resets it.
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
  double backoff_jitter = 1.0;
  // A watch that ends without error and without any event sooner than this
  // counts as a failure (backoff), so a server that closes watches at once
  // cannot make the reflector spin.
  std::chrono::milliseconds min_watch_duration{1000};
  // Time for backoff waits; must outlive the reflector.
  Clock* clock = &RealClock::Instance();
};

class Reflector {
 public:
  // Lists and watches options.resource through `client`. `client` and
  // `handler` must outlive the reflector.
  Reflector(RestClient& client, ReflectorOptions options, ReflectorHandler& handler);
  // Lists and watches through `source` (options.resource and namespace_name
  // are then only names for messages). `source` and `handler` must outlive
  // the reflector.
  Reflector(ListerWatcher& source, ReflectorOptions options, ReflectorHandler& handler);

  // Lists and watches until Stop(). Returns OK after Stop(); never returns on
  // its own otherwise (errors are retried with backoff).
  Status Run();
  void Stop();

  bool HasSynced() const { return synced_.load(); }
  // Relists done so far (the first list included).
  int list_count() const { return lists_.load(); }
  // The last resourceVersion delivered or bookmarked.
  std::string LastResourceVersion() const;
  // The last error a list or watch returned (OK if none yet).
  Status LastError() const;

 private:
  struct Delivered {
    std::string resource_version;
    ObjectPtr object;  // null when the handler keeps objects
  };

  bool ListAndDiff();  // false on error (kept in last_error_)
  void WatchOnce(const std::string& from, bool& gone, bool& failed);
  void Deliver(const WatchEvent& event);
  ObjectPtr Known(const std::string& key, const Delivered& d) const;
  void Remember(const std::string& key, const Json& object, std::string rv);
  void SleepBackoff();
  void Fail(const ApiError& error);  // records the error and its Retry-After

  std::unique_ptr<ListerWatcher> owned_source_;
  ListerWatcher& source_;
  const ReflectorOptions options_;
  ReflectorHandler& handler_;
  Clock& clock_;
  CancelToken cancel_;
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0};
  Backoff backoff_;
  std::optional<std::chrono::seconds> retry_after_;  // from the last failure
  std::mt19937 rng_;

  // What the handler has been told, by key (Run thread only).
  std::map<std::string, Delivered> delivered_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  bool stopped_ = false;          // GUARDED_BY(mutex_)
  std::string resource_version_;  // GUARDED_BY(mutex_)
  Status last_error_;             // GUARDED_BY(mutex_)
};

}  // namespace oncoatlas::kube
