#include "kube/reflector.h"

#include <random>

namespace oncoatlas::kube {
namespace {

std::string ResourceVersionOf(const Json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return "";
  return object["metadata"].value("resourceVersion", "");
}

}  // namespace

Reflector::Reflector(RestClient& client, ReflectorOptions options, ReflectorHandler& handler)
    : client_(client), options_(std::move(options)), handler_(handler), backoff_(options_.initial_backoff) {}

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

void Reflector::SleepBackoff() {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait_for(lock, backoff_, [this] { return stopped_; });
  backoff_ = std::min(options_.max_backoff, backoff_ * 2);
}

bool Reflector::ListAndDiff() {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  lo.limit = options_.page_size;
  auto listed = client_.ListAll(options_.resource, options_.namespace_name, lo);
  if (!listed.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = listed.status();
    return false;
  }
  ++lists_;
  std::map<std::string, Json> now;
  for (auto& item : listed->items) {
    std::string key = ObjectKey(item);
    now.emplace(std::move(key), std::move(item));
  }
  // Deletions first, then additions and changes, so a handler never sees two
  // live objects for one key.
  for (auto it = delivered_.begin(); it != delivered_.end();) {
    if (now.count(it->first) == 0) {
      handler_.OnDelete(it->second);
      it = delivered_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [key, object] : now) {
    auto it = delivered_.find(key);
    if (it == delivered_.end()) {
      handler_.OnAdd(object);
      delivered_.emplace(key, std::move(object));
    } else if (ResourceVersionOf(it->second) != ResourceVersionOf(object)) {
      handler_.OnUpdate(it->second, object);
      it->second = std::move(object);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    resource_version_ = listed->resource_version;
  }
  synced_ = true;
  handler_.OnSynced();
  return true;
}

void Reflector::Deliver(const WatchEvent& event) {
  const std::string rv = ResourceVersionOf(event.object);
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
      delivered_.emplace(key, event.object);
    } else if (ResourceVersionOf(it->second) != rv) {
      handler_.OnUpdate(it->second, event.object);
      it->second = event.object;
    }
  } else if (event.type == "DELETED") {
    if (it != delivered_.end()) {
      handler_.OnDelete(event.object);
      delivered_.erase(it);
    }
  }
  if (!rv.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    resource_version_ = rv;
  }
}

void Reflector::WatchOnce(const std::string& from, bool& gone, bool& failed) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const int base = static_cast<int>(options_.watch_timeout.count());
  WatchOptions wo;
  wo.resource_version = from;
  wo.label_selector = options_.label_selector;
  wo.field_selector = options_.field_selector;
  wo.allow_bookmarks = true;
  wo.timeout_seconds = base + std::uniform_int_distribution<int>(0, std::max(0, base - 1))(rng);
  bool got_event = false;
  ApiStatus result = client_.Watch(
      options_.resource, options_.namespace_name, wo,
      [&](const WatchEvent& event) {
        if (event.type == "ERROR") {
          ApiError e = ApiErrorFromStatusObject(event.object.dump(), 0, "watch " + options_.resource.Name());
          std::lock_guard<std::mutex> lock(mutex_);
          last_error_ = e.status();
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
  if (got_event) backoff_ = options_.initial_backoff;
  if (!result.ok()) {
    if (result.error().IsGone()) {
      gone = true;
    } else {
      failed = true;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = result.status();
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
      backoff_ = options_.initial_backoff;
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
