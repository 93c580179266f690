#include "kube/event_recorder.h"

#include <nlohmann/json.hpp>

#include "kube/log_redaction.h"
#include "kube/rfc3339.h"

namespace oncoatlas::kube {

namespace {

constexpr std::size_t kMaxMessageBytes = 1024;

// Cuts at a byte limit without splitting a UTF-8 sequence.
std::string Truncate(std::string s, std::size_t limit) {
  if (s.size() <= limit) return s;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s;
}

}  // namespace

nlohmann::json EventToJson(const Event& e) {
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(e.timestamp.time_since_epoch()).count();
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".%llx", static_cast<unsigned long long>(nanos));
  const std::string ns = e.involved_object.ns.empty() ? "default" : e.involved_object.ns;
  nlohmann::json involved = {{"apiVersion", e.involved_object.api_version},
                             {"kind", e.involved_object.kind},
                             {"name", e.involved_object.name}};
  if (!e.involved_object.ns.empty()) involved["namespace"] = e.involved_object.ns;
  if (!e.involved_object.uid.empty()) involved["uid"] = e.involved_object.uid;
  const std::string ts = FormatTime(e.timestamp);
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata", {{"name", e.involved_object.name + suffix}, {"namespace", ns}}},
          {"involvedObject", involved},
          {"type", e.type == EventType::kWarning ? "Warning" : "Normal"},
          {"reason", e.reason},
          {"message", e.message},
          {"source", {{"component", e.source_component}}},
          {"firstTimestamp", ts},
          {"lastTimestamp", ts},
          {"count", 1}};
}

EventRecorder::EventRecorder(EventRecorderOptions options, EventSink& sink)
    : options_(std::move(options)), sink_(sink), clock_(options_.clock ? *options_.clock : DefaultClock()) {}

bool EventRecorder::TakeToken(const std::string& key) {
  MutexLock l(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    const double qps =
        1.0 /
        std::chrono::duration<double>(std::max<Clock::Duration>(options_.refill_interval, Clock::Duration(1))).count();
    lru_.push_front(key);
    it = buckets_.try_emplace(key, qps, options_.burst, clock_, lru_.begin()).first;
    while (buckets_.size() > std::max<std::size_t>(options_.max_tracked_objects, 1)) {
      buckets_.erase(lru_.back());
      lru_.pop_back();
    }
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  return it->second.tokens.TryAccept();
}

Status EventRecorder::Record(const ObjectReference& object, EventType type, std::string_view reason,
                             std::string_view message) {
  if (object.name.empty() || object.kind.empty()) {
    return InvalidArgumentError("an event needs the involved object's kind and name");
  }
  if (reason.empty()) return InvalidArgumentError("an event needs a reason (CamelCase, e.g. \"AgentDeployed\")");
  // The spam key is the source and the object, as client-go's spam filter.
  const std::string key = options_.component + "\x1f" + object.api_version + "\x1f" + object.kind + "\x1f" + object.ns +
                          "\x1f" + object.name + "\x1f" + object.uid;
  if (!TakeToken(key)) {
    return Status(StatusCode::kResourceExhausted, "too many events about " + object.kind + " " +
                                                      (object.ns.empty() ? "" : object.ns + "/") + object.name +
                                                      "; dropped");
  }
  Event e;
  e.involved_object = object;
  e.type = type;
  e.reason = std::string(reason);
  e.message = Truncate(RedactSecrets(message), kMaxMessageBytes);
  e.source_component = options_.component;
  e.timestamp = clock_.WallNow();
  return sink_.Create(e);
}

}  // namespace oncoatlas::kube
