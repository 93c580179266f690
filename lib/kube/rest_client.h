// RestClient: typed-by-JSON access to any API resource — get, list (selectors,
// pages), create, update, delete (propagation, preconditions), merge and JSON
// patch, server-side apply, the status subresource, and watch streams.
// Objects are nlohmann::json; errors are ApiError (api_error.h).
//
// Thread-safe: one RestClient may be shared by every thread of a process.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/api_error.h"
#include "kube/client_config.h"
#include "kube/request_retry.h"
#include "kube/resource.h"
#include "kube/transport.h"

namespace oncoatlas::kube {

using Json = nlohmann::json;

struct ListOptions {
  std::string label_selector{};
  std::string field_selector{};
  int limit = 0;  // page size; 0 = server default (all)
  std::string continue_token{};
  std::string resource_version{};  // "" = most recent (quorum read)
};

struct ListAllResult {
  std::vector<Json> items{};
  std::string resource_version{};  // of the list: watch from here
};

struct WriteOptions {
  std::string field_manager{};
  bool dry_run = false;
  // The server's check for unknown and duplicate fields: "Strict" (refuse,
  // as kubectl does by default), "Warn", "Ignore"; "" = the server's default.
  std::string field_validation{};
};

struct DeleteOptions {
  std::string propagation_policy{};  // "", "Foreground", "Background", "Orphan"
  std::string precondition_uid{};
  std::string precondition_resource_version{};
  std::optional<int> grace_period_seconds{};
};

enum class PatchType { kMerge, kJson, kStrategicMerge };

struct PatchOptions {
  std::string field_manager{};
  std::string subresource{};  // "" or "status"
};

struct ApplyOptions {
  std::string field_manager{};  // required: the stable owner of the applied fields
  bool force = false;           // take over fields other managers own
  std::string subresource{};    // "" or "status"
};

struct WatchOptions {
  std::string resource_version{};  // start after this version; "" = from now (no initial state)
  std::string label_selector{};
  std::string field_selector{};
  int timeout_seconds = 300;  // the server ends the watch after this
  bool allow_bookmarks = true;
};

struct WatchEvent {
  std::string type{};  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  Json object{};
};

class RestClient {
 public:
  struct Options {
    Clock* clock = &RealClock::Instance();  // rate limit and retry waits; must outlive the client
    RequestObserver* observer = nullptr;    // e.g. RestClientMetrics() (rest_client_metrics.h)
    // 429, and 5xx with Retry-After, are sent again after the server's
    // Retry-After (watches are not: the reflector backs off instead).
    RetryPolicy retry{};
    // Idle keep-alive connections kept for reuse: at least as many as the
    // requests the process has in flight at once, or the extra connections are
    // closed after each request and the next one pays a new TLS handshake.
    std::size_t max_idle_connections = 16;
  };
  static Result<std::unique_ptr<RestClient>> Create(const ClientConfig& config, Options options);
  static Result<std::unique_ptr<RestClient>> Create(const ClientConfig& config) { return Create(config, Options{}); }

  const ClientConfig& config() const { return transport_->config(); }
  std::size_t max_idle_connections() const { return max_idle_connections_; }

  ApiResult<Json> Get(const GroupVersionResource& gvr, const std::string& ns, const std::string& name,
                      const std::string& subresource = "");
  // One page (or everything when options.limit is 0); the list object.
  ApiResult<Json> List(const GroupVersionResource& gvr, const std::string& ns, const ListOptions& options = {});
  // Follows `continue` through every page (page size options.limit, 500 when 0).
  ApiResult<ListAllResult> ListAll(const GroupVersionResource& gvr, const std::string& ns, ListOptions options = {});
  ApiResult<Json> Create(const GroupVersionResource& gvr, const std::string& ns, const Json& object,
                         const WriteOptions& options = {});
  // Create from an object already serialised as JSON, when the caller needs
  // only success or the error: the server's response is checked, not parsed
  // (bulk_create.h builds on it).
  ApiStatus CreateSerialized(const GroupVersionResource& gvr, const std::string& ns, std::string json,
                             const WriteOptions& options = {});
  // PUT of the whole object (name from metadata.name); metadata.resourceVersion
  // makes it conditional (409 Conflict when stale).
  ApiResult<Json> Update(const GroupVersionResource& gvr, const std::string& ns, const Json& object,
                         const WriteOptions& options = {}, const std::string& subresource = "");
  // The server's response: the deleted object or a Status.
  ApiResult<Json> Delete(const GroupVersionResource& gvr, const std::string& ns, const std::string& name,
                         const DeleteOptions& options = {});
  ApiResult<Json> Patch(const GroupVersionResource& gvr, const std::string& ns, const std::string& name, PatchType type,
                        const Json& patch, const PatchOptions& options = {});
  // Server-side apply of `object` (apiVersion, kind, metadata.name and the
  // fields this manager owns). A conflict with another manager is a 409
  // Conflict ApiError whose causes name the fields and their managers.
  ApiResult<Json> Apply(const GroupVersionResource& gvr, const std::string& ns, const Json& object,
                        const ApplyOptions& options);

  // The status subresource.
  ApiResult<Json> GetStatus(const GroupVersionResource& gvr, const std::string& ns, const std::string& name) {
    return Get(gvr, ns, name, "status");
  }
  ApiResult<Json> UpdateStatus(const GroupVersionResource& gvr, const std::string& ns, const Json& object,
                               const WriteOptions& options = {}) {
    return Update(gvr, ns, object, options, "status");
  }
  ApiResult<Json> PatchStatus(const GroupVersionResource& gvr, const std::string& ns, const std::string& name,
                              PatchType type, const Json& patch, PatchOptions options = {}) {
    options.subresource = "status";
    return Patch(gvr, ns, name, type, patch, options);
  }
  ApiResult<Json> ApplyStatus(const GroupVersionResource& gvr, const std::string& ns, const Json& object,
                              ApplyOptions options) {
    options.subresource = "status";
    return Apply(gvr, ns, object, options);
  }

  // Any request: `path_and_query` is absolute ("/apis/..."), `body` is sent
  // as `content_type` when not null. The parsed JSON response on 2xx.
  ApiResult<Json> Request(const std::string& method, const std::string& path_and_query, const Json* body = nullptr,
                          const std::string& content_type = "application/json");

  // Streams watch events to `on_event` until the server ends the watch
  // (timeout_seconds; OK), on_event returns false (OK), `cancel` fires
  // (kUnavailable "cancelled"), or an error. A watch that the server refuses
  // (e.g. 410 Gone for a too old resourceVersion) is an ApiError; an ERROR
  // event is delivered to on_event like any other.
  ApiStatus Watch(const GroupVersionResource& gvr, const std::string& ns, const WatchOptions& options,
                  const std::function<bool(const WatchEvent&)>& on_event, CancelToken* cancel = nullptr);

  // The query string of a list or watch request (exposed for tests).
  static std::string ListQuery(const ListOptions& options);
  static std::string WatchQuery(const WatchOptions& options);

 private:
  RestClient(std::unique_ptr<Transport> transport, const Options& options)
      : transport_(std::move(transport)),
        clock_(*options.clock),
        retry_(options.retry),
        max_idle_connections_(options.max_idle_connections) {}
  ApiResult<Json> Send(HttpRequest request);
  // Sends with retries; a non-2xx response is an ApiError.
  ApiResult<HttpResponse> Exchange(const HttpRequest& request);

  std::unique_ptr<Transport> transport_;
  Clock& clock_;
  const RetryPolicy retry_;
  const std::size_t max_idle_connections_;
};

// "namespace/name", or "name" for cluster-scoped objects: the key of an object
// in caches and work queues.
std::string ObjectKey(const Json& object);

}  // namespace oncoatlas::kube
