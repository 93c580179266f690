#include "kube/rest_event_sink.h"

#include <algorithm>

#include "kube/core_resources.h"

namespace oncoatlas::kube {

RestEventSink::RestEventSink(RestClient& client, RestEventSinkOptions options)
    : client_(client), options_(std::move(options)) {}

std::string RestEventSink::AggregationKey(const Event& e) {
  const ObjectReference& o = e.involved_object;
  std::string key;
  for (const std::string* part : {&o.api_version, &o.kind, &o.ns, &o.name, &o.uid, &e.reason, &e.message}) {
    key += *part;
    key += '\x1f';  // a separator no Kubernetes name contains
  }
  key += e.type == EventType::kWarning ? 'W' : 'N';
  return key;
}

void RestEventSink::Remember(const std::string& key, const std::string& ns, const std::string& name) {
  auto it = seen_.find(key);
  if (it != seen_.end()) {
    lru_.erase(it->second.lru);
    seen_.erase(it);
  }
  lru_.push_front(key);
  seen_.emplace(key, Seen{ns, name, 1, lru_.begin()});
  while (seen_.size() > std::max<std::size_t>(options_.max_tracked_events, 1)) {
    seen_.erase(lru_.back());
    lru_.pop_back();
  }
}

Status RestEventSink::CreateNew(const Event& event, const std::string& key) {
  nlohmann::json object = EventToJson(event);
  const std::string ns = object["metadata"]["namespace"];
  auto created = client_.Create(core::kEvents, ns, object, {.field_manager = options_.field_manager});
  if (!created.ok() && created.error().code() == StatusCode::kAlreadyExists) {
    // Another event about the object carried the same timestamp: let the
    // API server pick a unique name instead.
    object["metadata"]["generateName"] = object["metadata"]["name"].get<std::string>() + ".";
    object["metadata"].erase("name");
    created = client_.Create(core::kEvents, ns, object, {.field_manager = options_.field_manager});
  }
  if (!created.ok()) return created.error().status().WithContext("creating Event " + event.reason);
  ++created_;
  if (options_.aggregate_repeats) Remember(key, ns, (*created)["metadata"].value("name", ""));
  return Status::Ok();
}

Status RestEventSink::Create(const Event& event) {
  const std::string key = AggregationKey(event);
  MutexLock l(mu_);  // held across the request: counts of one Event stay in order
  auto it = options_.aggregate_repeats ? seen_.find(key) : seen_.end();
  if (it == seen_.end()) return CreateNew(event, key);

  Seen& seen = it->second;
  lru_.splice(lru_.begin(), lru_, seen.lru);
  const nlohmann::json fresh = EventToJson(event);
  const nlohmann::json patch = {{"count", seen.count + 1}, {"lastTimestamp", fresh["lastTimestamp"]}};
  auto patched = client_.Patch(core::kEvents, seen.ns, seen.name, PatchType::kMerge, patch,
                               {.field_manager = options_.field_manager});
  if (patched.ok()) {
    seen.count += 1;
    ++patched_;
    return Status::Ok();
  }
  if (patched.error().code() != StatusCode::kNotFound) {
    return patched.error().status().WithContext("updating the count of Event " + seen.name);
  }
  // The Event expired or was deleted: start a new one.
  lru_.erase(seen.lru);
  seen_.erase(it);
  return CreateNew(event, key);
}

std::int64_t RestEventSink::created() const {
  MutexLock l(mu_);
  return created_;
}

std::int64_t RestEventSink::patched() const {
  MutexLock l(mu_);
  return patched_;
}

}  // namespace oncoatlas::kube
