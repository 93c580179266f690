#include "kube/reflector.h"

#include <algorithm>
#include <set>

#include "kube/object_meta.h"

namespace oncoatlas::kube {

Reflector::Reflector(RestClient& client, ReflectorOptions options, ReflectorHandler& handler)
    : owned_source_(std::make_unique<RestListerWatcher>(client, options.resource, options.namespace_name)),
      source_(*owned_source_),
      options_(std::move(options)),
      handler_(handler),
      clock_(*options_.clock),
      backoff_(options_.initial_backoff, options_.max_backoff, options_.backoff_jitter),
      rng_(std::random_device{}()) {}

Reflector::Reflector(ListerWatcher& source, ReflectorOptions options, ReflectorHandler& handler)
    : source_(source),
      options_(std::move(options)),
      handler_(handler),
      clock_(*options_.clock),
      backoff_(options_.initial_backoff, options_.max_backoff, options_.backoff_jitter),
      rng_(std::random_device{}()) {}

void Reflector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  wake_.notify_all();
  cancel_.Cancel();
}

std::string Reflector::LastResourceVersion() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return resource_version_;
}

Status Reflector::LastError() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void Reflector::Fail(const ApiError& error) {
  retry_after_ = error.retry_after();
  std::lock_guard<std::mutex> lock(mutex_);
  last_error_ = error.status();
}

void Reflector::SleepBackoff() {
  Clock::Duration wait = backoff_.Next();
  if (retry_after_) wait = std::max<Clock::Duration>(wait, *retry_after_);  // the server asked for longer
  retry_after_.reset();
  std::unique_lock<std::mutex> lock(mutex_);
  const Clock::TimePoint deadline = clock_.Now() + wait;
  while (!stopped_ && clock_.Now() < deadline) clock_.WaitUntil(lock, wake_, deadline);
}

ObjectPtr Reflector::Known(const std::string& key, const Delivered& d) const {
  if (d.object) return d.object;
  ObjectPtr last = handler_.KeepsObjects() ? handler_.LastKnown(key) : nullptr;
  if (last) return last;
  // The handler lost it: name the object at least.
  Json stub = {{"metadata", {{"resourceVersion", d.resource_version}}}};
  const auto slash = key.find('/');
  if (slash == std::string::npos) {
    stub["metadata"]["name"] = key;
  } else {
    stub["metadata"]["namespace"] = key.substr(0, slash);
    stub["metadata"]["name"] = key.substr(slash + 1);
  }
  return std::make_shared<const Json>(std::move(stub));
}

void Reflector::Remember(const std::string& key, const Json& object, std::string rv) {
  Delivered& d = delivered_[key];
  d.resource_version = std::move(rv);
  d.object = handler_.KeepsObjects() ? nullptr : std::make_shared<const Json>(object);
}

bool Reflector::ListAndDiff() {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  lo.limit = options_.page_size;
  // Each page is delivered as it arrives (only one page is held at a time);
  // deletions of what the new list lacks follow the last page.
  std::set<std::string> listed;
  std::string list_rv;
  for (;;) {
    auto page = source_.List(lo);
    if (!page.ok()) {
      Fail(page.error());
      return false;
    }
    Json& list = *page;
    if (auto items = list.find("items"); items != list.end() && items->is_array()) {
      for (Json& object : *items) {
        std::string key = ObjectKey(object);
        std::string rv = ResourceVersionOf(object);
        auto it = delivered_.find(key);
        if (it == delivered_.end()) {
          handler_.OnAdd(object);
          Remember(key, object, std::move(rv));
        } else if (it->second.resource_version != rv) {
          const ObjectPtr old = Known(key, it->second);
          handler_.OnUpdate(*old, object);
          Remember(key, object, std::move(rv));
        }
        listed.insert(std::move(key));
        object = Json();  // free each object once delivered
      }
    }
    const Json& md = list.contains("metadata") ? list["metadata"] : Json::object();
    list_rv = md.value("resourceVersion", list_rv);
    const std::string next = md.value("continue", "");
    if (next.empty()) break;
    lo.continue_token = next;
    lo.resource_version.clear();  // the continue token pins the snapshot
  }
  ++lists_;
  for (auto it = delivered_.begin(); it != delivered_.end();) {
    if (listed.count(it->first) == 0) {
      const ObjectPtr last = Known(it->first, it->second);
      handler_.OnDelete(*last);
      it = delivered_.erase(it);
    } else {
      ++it;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    resource_version_ = list_rv;
  }
  synced_ = true;
  handler_.OnSynced();
  return true;
}

void Reflector::Deliver(const WatchEvent& event) {
  std::string rv = ResourceVersionOf(event.object);
  if (event.type == "BOOKMARK") {
    if (!rv.empty()) {
      std::lock_guard<std::mutex> lock(mutex_);
      resource_version_ = rv;
    }
    return;
  }
  const std::string key = ObjectKey(event.object);
  auto it = delivered_.find(key);
  if (event.type == "ADDED" || event.type == "MODIFIED") {
    if (it == delivered_.end()) {
      handler_.OnAdd(event.object);
      Remember(key, event.object, rv);
    } else if (it->second.resource_version != rv) {
      const ObjectPtr old = Known(key, it->second);
      handler_.OnUpdate(*old, event.object);
      Remember(key, event.object, rv);
    }
  } else if (event.type == "DELETED") {
    if (it != delivered_.end()) {
      handler_.OnDelete(event.object);
      delivered_.erase(it);
    }
  }
  if (!rv.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    resource_version_ = std::move(rv);
  }
}

void Reflector::WatchOnce(const std::string& from, bool& gone, bool& failed) {
  const int base = static_cast<int>(options_.watch_timeout.count());
  WatchOptions wo;
  wo.resource_version = from;
  wo.label_selector = options_.label_selector;
  wo.field_selector = options_.field_selector;
  wo.allow_bookmarks = true;
  wo.timeout_seconds = base + std::uniform_int_distribution<int>(0, std::max(0, base - 1))(rng_);
  bool got_event = false;
  const Clock::TimePoint started = clock_.Now();
  ApiStatus result = source_.Watch(
      wo,
      [&](const WatchEvent& event) {
        if (event.type == "ERROR") {
          ApiError e = ApiErrorFromStatusObject(event.object.dump(), 0, "watch " + options_.resource.Name());
          Fail(e);
          if (e.IsGone()) {
            gone = true;
          } else {
            failed = true;
          }
          return false;
        }
        got_event = true;
        Deliver(event);
        return true;
      },
      &cancel_);
  if (got_event) backoff_.Reset();
  if (!result.ok()) {
    if (result.error().IsGone()) {
      gone = true;
    } else {
      failed = true;
    }
    Fail(result.error());
  } else if (!got_event && !gone && !failed && clock_.Now() - started < options_.min_watch_duration) {
    failed = true;
    Fail(ApiError(
        UnavailableError("watch " + options_.resource.Name() + ": the server ended the watch at once with no event")));
  }
}

Status Reflector::Run() {
  bool need_list = true;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_) return Status::Ok();
    }
    if (need_list) {
      if (!ListAndDiff()) {
        SleepBackoff();
        continue;
      }
      backoff_.Reset();
      need_list = false;
    }
    bool gone = false, failed = false;
    WatchOnce(LastResourceVersion(), gone, failed);
    if (gone) {
      need_list = true;  // relist at once: the resourceVersion is too old
    } else if (failed) {
      SleepBackoff();
    }
  }
}

}  // namespace oncoatlas::kube
