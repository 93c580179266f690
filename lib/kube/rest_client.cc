#include "kube/rest_client.h"

#include "kube/object_meta.h"

namespace oncoatlas::kube {

Result<std::unique_ptr<RestClient>> RestClient::Create(const ClientConfig& config, Options options) {
  Transport::Options topts;
  topts.clock = options.clock;
  topts.observer = options.observer;
  topts.max_idle_connections = options.max_idle_connections;
  auto transport = Transport::Create(config, topts);
  if (!transport.ok()) return transport.status();
  return std::unique_ptr<RestClient>(new RestClient(std::move(*transport), options));
}

std::string ObjectKey(const Json& object) {
  const std::string ns = NamespaceOf(object);
  return ns.empty() ? NameOf(object) : ns + "/" + NameOf(object);
}

ApiResult<HttpResponse> RestClient::Exchange(const HttpRequest& request) {
  auto sent = SendWithRetries([&] { return transport_->Do(request); }, clock_, retry_);
  if (!sent.ok()) return sent.status();
  HttpResponse& response = sent->response;
  if (response.code < 200 || response.code > 299) {
    const std::string what = request.method + " " + request.target;
    const std::string context =
        sent->retries == 0 ? what : what + " (sent " + std::to_string(sent->retries + 1) + " times)";
    return ApiError::FromResponse(response.code, response.body, response.Header("retry-after"), context);
  }
  return std::move(response);
}

ApiResult<Json> RestClient::Send(HttpRequest request) {
  const std::string what = request.method + " " + request.target;
  auto exchanged = Exchange(request);
  if (!exchanged.ok()) return exchanged.error();
  const HttpResponse& response = *exchanged;
  if (response.body.empty()) return Json::object();
  try {
    return Json::parse(response.body);
  } catch (const Json::exception& e) {
    return InternalError(what + ": the server's response is not JSON: " + e.what());
  }
}

ApiResult<Json> RestClient::Request(const std::string& method, const std::string& path_and_query, const Json* body,
                                    const std::string& content_type) {
  HttpRequest r;
  r.method = method;
  r.target = path_and_query;
  if (body != nullptr) {
    r.body = body->dump();
    r.content_type = content_type;
  }
  return Send(std::move(r));
}

std::string RestClient::ListQuery(const ListOptions& options) {
  Query q;
  q.AddIfSet("labelSelector", options.label_selector).AddIfSet("fieldSelector", options.field_selector);
  if (options.limit > 0) q.Add("limit", std::to_string(options.limit));
  q.AddIfSet("continue", options.continue_token).AddIfSet("resourceVersion", options.resource_version);
  return q.Encode();
}

std::string RestClient::WatchQuery(const WatchOptions& options) {
  Query q;
  q.Add("watch", "true");
  q.AddIfSet("resourceVersion", options.resource_version);
  q.AddIfSet("labelSelector", options.label_selector).AddIfSet("fieldSelector", options.field_selector);
  if (options.allow_bookmarks) q.Add("allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) q.Add("timeoutSeconds", std::to_string(options.timeout_seconds));
  return q.Encode();
}

ApiResult<Json> RestClient::Get(const GroupVersionResource& gvr, const std::string& ns, const std::string& name,
                                const std::string& subresource) {
  if (name.empty()) return InvalidArgumentError("get " + gvr.Name() + ": name is empty");
  return Request("GET", ResourcePath(gvr, ns, name, subresource));
}

ApiResult<Json> RestClient::List(const GroupVersionResource& gvr, const std::string& ns, const ListOptions& options) {
  return Request("GET", ResourcePath(gvr, ns) + ListQuery(options));
}

ApiResult<ListAllResult> RestClient::ListAll(const GroupVersionResource& gvr, const std::string& ns,
                                             ListOptions options) {
  if (options.limit <= 0) options.limit = 500;
  ListAllResult out;
  for (;;) {
    auto page = List(gvr, ns, options);
    if (!page.ok()) return page.error();
    Json& list = *page;
    if (list.contains("items") && list["items"].is_array()) {
      for (auto& item : list["items"]) out.items.push_back(std::move(item));
    }
    const Json& md = list.contains("metadata") ? list["metadata"] : Json::object();
    out.resource_version = md.value("resourceVersion", out.resource_version);
    const std::string next = md.value("continue", "");
    if (next.empty()) return out;
    options.continue_token = next;
    options.resource_version.clear();  // the continue token pins the snapshot
  }
}

namespace {

std::string WriteQuery(const WriteOptions& options) {
  Query q;
  q.AddIfSet("fieldManager", options.field_manager);
  if (options.dry_run) q.Add("dryRun", "All");
  q.AddIfSet("fieldValidation", options.field_validation);
  return q.Encode();
}

}  // namespace

ApiResult<Json> RestClient::Create(const GroupVersionResource& gvr, const std::string& ns, const Json& object,
                                   const WriteOptions& options) {
  return Request("POST", ResourcePath(gvr, ns) + WriteQuery(options), &object);
}

ApiStatus RestClient::CreateSerialized(const GroupVersionResource& gvr, const std::string& ns, std::string json,
                                       const WriteOptions& options) {
  HttpRequest r;
  r.method = "POST";
  r.target = ResourcePath(gvr, ns) + WriteQuery(options);
  r.content_type = "application/json";
  r.body = std::move(json);
  auto exchanged = Exchange(r);
  if (!exchanged.ok()) return exchanged.error();
  return std::monostate{};
}

ApiResult<Json> RestClient::Update(const GroupVersionResource& gvr, const std::string& ns, const Json& object,
                                   const WriteOptions& options, const std::string& subresource) {
  const std::string name = NameOf(object);
  if (name.empty()) return InvalidArgumentError("update " + gvr.Name() + ": object has no metadata.name");
  return Request("PUT", ResourcePath(gvr, ns, name, subresource) + WriteQuery(options), &object);
}

ApiResult<Json> RestClient::Delete(const GroupVersionResource& gvr, const std::string& ns, const std::string& name,
                                   const DeleteOptions& options) {
  if (name.empty()) return InvalidArgumentError("delete " + gvr.Name() + ": name is empty");
  Json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.precondition_uid.empty()) body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  }
  return Request("DELETE", ResourcePath(gvr, ns, name), &body);
}

ApiResult<Json> RestClient::Patch(const GroupVersionResource& gvr, const std::string& ns, const std::string& name,
                                  PatchType type, const Json& patch, const PatchOptions& options) {
  if (name.empty()) return InvalidArgumentError("patch " + gvr.Name() + ": name is empty");
  const char* content_type = type == PatchType::kMerge  ? "application/merge-patch+json"
                             : type == PatchType::kJson ? "application/json-patch+json"
                                                        : "application/strategic-merge-patch+json";
  Query q;
  q.AddIfSet("fieldManager", options.field_manager);
  return Request("PATCH", ResourcePath(gvr, ns, name, options.subresource) + q.Encode(), &patch, content_type);
}

ApiResult<Json> RestClient::Apply(const GroupVersionResource& gvr, const std::string& ns, const Json& object,
                                  const ApplyOptions& options) {
  if (options.field_manager.empty()) {
    return InvalidArgumentError("apply " + gvr.Name() + ": a field manager is required for server-side apply");
  }
  const std::string name = NameOf(object);
  if (name.empty()) return InvalidArgumentError("apply " + gvr.Name() + ": object has no metadata.name");
  Query q;
  q.Add("fieldManager", options.field_manager);
  if (options.force) q.Add("force", "true");
  // JSON is YAML, so the apply content type takes the JSON body as is.
  return Request("PATCH", ResourcePath(gvr, ns, name, options.subresource) + q.Encode(), &object,
                 "application/apply-patch+yaml");
}

ApiStatus RestClient::Watch(const GroupVersionResource& gvr, const std::string& ns, const WatchOptions& options,
                            const std::function<bool(const WatchEvent&)>& on_event, CancelToken* cancel) {
  HttpRequest r;
  r.method = "GET";
  r.target = ResourcePath(gvr, ns) + WatchQuery(options);
  std::string pending;
  Status parse_error;
  auto on_data = [&](std::string_view data) -> bool {
    pending.append(data);
    std::size_t start = 0;
    for (;;) {
      const std::size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(pending.data() + start, nl - start);
      start = nl + 1;
      if (line.empty()) continue;
      WatchEvent event;
      try {
        Json j = Json::parse(line);
        event.type = j.value("type", "");
        event.object = std::move(j["object"]);
      } catch (const Json::exception& e) {
        parse_error = InternalError("watch " + gvr.Name() + ": an event is not JSON: " + e.what());
        return false;
      }
      if (!on_event(event)) {
        pending.clear();
        return false;
      }
    }
    pending.erase(0, start);
    return true;
  };
  const auto idle =
      std::chrono::milliseconds((options.timeout_seconds > 0 ? options.timeout_seconds : 300) * 1000 + 30000);
  ApiStatus result = transport_->Stream(r, on_data, cancel, idle);
  if (!parse_error.ok()) return parse_error;
  return result;
}

}  // namespace oncoatlas::kube
