// Reflector: list, then watch from the list's resourceVersion, forever; on a
// dropped or timed-out watch it re-watches from the last resourceVersion seen
// (bookmarks included), with backoff on errors; on 410 Gone (the HTTP status
// or an ERROR event) it relists and delivers the difference between the new
// list and what it had delivered as synthetic add/update/delete. Handlers see
// every change once: no lost and no duplicated events.
//
// Run() blocks in the calling thread and calls the handler from that thread
// only; Stop() may be called from any thread and makes Run() return soon.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "kube/rest_client.h"

namespace oncoatlas::kube {

class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  virtual void OnAdd(const Json& object) = 0;
  virtual void OnUpdate(const Json& old_object, const Json& new_object) = 0;
  virtual void OnDelete(const Json& last_known) = 0;
  // After every (re)list has been delivered.
  virtual void OnSynced() {}
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
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
};

class Reflector {
 public:
  // `client` and `handler` must outlive the reflector.
  Reflector(RestClient& client, ReflectorOptions options, ReflectorHandler& handler);

  // Lists and watches until Stop(). Returns OK after Stop(); never returns on
  // its own otherwise (errors are retried with backoff).
  Status Run();
  void Stop();

  bool HasSynced() const { return synced_.load(); }
  // Relists done so far (the first list included).
  int list_count() const { return lists_.load(); }
  // The last resourceVersion delivered or bookmarked.
  std::string LastResourceVersion() const;

 private:
  bool ListAndDiff();  // false on error (already logged in last_error_)
  void WatchOnce(const std::string& from, bool& gone, bool& failed);
  void Deliver(const WatchEvent& event);
  void SleepBackoff();

  RestClient& client_;
  const ReflectorOptions options_;
  ReflectorHandler& handler_;
  CancelToken cancel_;
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0};
  std::chrono::milliseconds backoff_;

  // What the handler has been told, by key (Run thread only).
  std::map<std::string, Json> delivered_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;          // GUARDED_BY(mutex_)
  std::string resource_version_;  // GUARDED_BY(mutex_)
  Status last_error_;             // GUARDED_BY(mutex_)
};

}  // namespace oncoatlas::kube
