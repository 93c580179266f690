// EventRecorder: records Kubernetes Events about objects through an EventSink
// (the REST client backs it with the API server later), with client-go's
// per-object spam filter: each involved object has a token bucket (burst 25,
// one more token every 5 minutes by default); events beyond it are dropped.
// Messages pass RedactSecrets and are cut to 1024 bytes.
// Threading: Record may be called from any thread; it calls the sink on the
// caller's thread. The sink must outlive the recorder.
#pragma once

#include <chrono>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "core/thread_annotations.h"
#include "kube/clock.h"
#include "kube/rate_limiter.h"

namespace oncoatlas::kube {

struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string ns;  // empty for cluster-scoped objects
  std::string name;
  std::string uid;
};

enum class EventType { kNormal, kWarning };

struct Event {
  ObjectReference involved_object;
  EventType type = EventType::kNormal;
  std::string reason;   // CamelCase, e.g. "AgentDeployed"
  std::string message;  // for a person: what happened and what to do
  std::string source_component;
  std::chrono::system_clock::time_point timestamp;
};

// A core/v1 Event object for `event`, named "<object>.<hex nanoseconds>" in the
// involved object's namespace ("default" for cluster-scoped objects).
nlohmann::json EventToJson(const Event& event);

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual Status Create(const Event& event) = 0;
};

// An EventSink for tests: keeps every Event it is given and answers `next`.
// Not thread-safe.
class FakeEventSink final : public EventSink {
 public:
  Status Create(const Event& event) override {
    events.push_back(event);
    return next;
  }
  std::vector<Event> events;
  Status next;
};

struct EventRecorderOptions {
  std::string component;  // source.component, e.g. "oncoatlas-operator"
  int burst = 25;
  Clock::Duration refill_interval = std::chrono::minutes(5);  // one token per interval (> 0)
  std::size_t max_tracked_objects = 4096;                     // least recently used buckets beyond this are forgotten
  Clock* clock = nullptr;                                     // DefaultClock() when null
};

class EventRecorder {
 public:
  EventRecorder(EventRecorderOptions options, EventSink& sink);

  // OK when the sink took the event; ResourceExhausted when the object's
  // bucket is empty (dropped); InvalidArgument for an event without object
  // name, kind or reason; otherwise the sink's error.
  Status Record(const ObjectReference& object, EventType type, std::string_view reason, std::string_view message);

 private:
  struct Bucket {
    Bucket(double qps, int burst, Clock& clock, std::list<std::string>::iterator at)
        : tokens(qps, burst, clock), lru(at) {}
    TokenBucket tokens;
    std::list<std::string>::iterator lru;
  };

  bool TakeToken(const std::string& key);

  const EventRecorderOptions options_;
  EventSink& sink_;
  Clock& clock_;
  Mutex mu_;
  std::list<std::string> lru_ GUARDED_BY(mu_);  // most recent first
  std::unordered_map<std::string, Bucket> buckets_ GUARDED_BY(mu_);
};

}  // namespace oncoatlas::kube
