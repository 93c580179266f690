// RestEventSink: the EventSink of EventRecorder backed by core/v1 Events on the
// API server. A repeat of an event it created recently (same object, type,
// reason and message) is aggregated as client-go does: the existing Event's
// `count` and `lastTimestamp` are patched instead of creating another object.
// If that Event has gone (expired, deleted) a new one is created. A name
// taken by another Event (same object, same timestamp) falls back to a
// server-generated name.
// Threading: Create may be called from several threads.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/thread_annotations.h"
#include "kube/event_recorder.h"
#include "kube/rest_client.h"

namespace oncoatlas::kube {

struct RestEventSinkOptions {
  bool aggregate_repeats = true;
  std::size_t max_tracked_events = 4096;  // least recently used beyond this are forgotten
  std::string field_manager = "";
};

class RestEventSink final : public EventSink {
 public:
  // `client` must outlive the sink.
  explicit RestEventSink(RestClient& client, RestEventSinkOptions options = {});

  Status Create(const Event& event) override;

  // Events created and repeats patched so far (for tests and metrics).
  std::int64_t created() const;
  std::int64_t patched() const;

 private:
  struct Seen {
    std::string ns;
    std::string name;
    std::int64_t count = 1;
    std::list<std::string>::iterator lru;
  };
  static std::string AggregationKey(const Event& event);
  Status CreateNew(const Event& event, const std::string& key) REQUIRES(mu_);
  void Remember(const std::string& key, const std::string& ns, const std::string& name) REQUIRES(mu_);

  RestClient& client_;
  const RestEventSinkOptions options_;
  mutable Mutex mu_;
  std::list<std::string> lru_ GUARDED_BY(mu_);  // most recent first
  std::unordered_map<std::string, Seen> seen_ GUARDED_BY(mu_);
  std::int64_t created_ GUARDED_BY(mu_) = 0;
  std::int64_t patched_ GUARDED_BY(mu_) = 0;
};

}  // namespace oncoatlas::kube
