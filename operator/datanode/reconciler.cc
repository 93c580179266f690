#include "datanode/reconciler.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "api/json_mapping.h"
#include "api/resources.h"
#include "core/base64.h"
#include "datanode/covers.h"
#include "datanode/token_schedule.h"
#include "kube/conditions.h"
#include "kube/core_resources.h"
#include "kube/lease_json.h"
#include "kube/object_meta.h"

namespace oncoatlas::datanode {
namespace {

using kube::ApiResult;
using kube::Json;
using kube::ReconcileResult;

std::string Key(const std::string& ns, const std::string& name) { return ns.empty() ? name : ns + "/" + name; }

std::string DescribeObject(const Json& object) {
  const std::string ns = kube::NamespaceOf(object);
  return object.value("kind", "") + " " + (ns.empty() ? "" : ns + "/") + kube::NameOf(object);
}

std::string Decode(const Json& secret, const std::string& key) {
  if (!secret.contains("data") || !secret["data"].is_object()) return "";
  const auto it = secret["data"].find(key);
  if (it == secret["data"].end() || !it->is_string()) return "";
  auto decoded = DecodeBase64(it->get<std::string>());
  return decoded.ok() ? *decoded : "";
}

}  // namespace

DataNodeReconciler::DataNodeReconciler(std::shared_ptr<kube::RestClient> hub, ReconcilerOptions options,
                                       ReconcilerCaches caches, SiteClusters& sites, kube::Clock& clock)
    : hub_(std::move(hub)), options_(std::move(options)), caches_(std::move(caches)), sites_(sites), clock_(clock) {}

ApiResult<Json> DataNodeReconciler::Current(kube::RestClient& client, bool use_cache,
                                            const kube::GroupVersionResource& gvr, const std::string& ns,
                                            const std::string& name) {
  if (use_cache) {
    if (auto it = caches_.managed.find(gvr.Name()); it != caches_.managed.end() && it->second != nullptr) {
      auto cached = it->second->Get(Key(gvr.namespaced ? ns : "", name));
      return cached ? *cached : Json();
    }
  }
  auto got = client.Get(gvr, ns, name);
  if (!got.ok() && got.error().http_code() == 404) return Json();
  return got;
}

ApiResult<Json> DataNodeReconciler::Ensure(kube::RestClient& client, bool use_cache, const Json& desired) {
  const std::string kind = desired.value("kind", "");
  const auto* gvr = ResourceForKind(kind);
  if (gvr == nullptr) return kube::ApiError(InternalError("no resource known for kind " + kind));
  const std::string ns = kube::NamespaceOf(desired);
  const std::string name = kube::NameOf(desired);
  auto current = Current(client, use_cache, *gvr, ns, name);
  if (!current.ok()) return current;
  if (!current->is_null() && Covers(*current, desired)) return current;
  kube::ApplyOptions apply;
  apply.field_manager = kFieldManager;
  apply.force = true;
  auto applied = client.Apply(*gvr, ns, desired, apply);
  if (applied.ok()) {
    spdlog::info("datanode: applied {}", DescribeObject(desired));
  }
  return applied;
}

ApiResult<DataNodeReconciler::Credentials> DataNodeReconciler::EnsureCredentials(const api::DataNode& node,
                                                                                 const std::string& sa_uid,
                                                                                 kube::RestClient& site,
                                                                                 bool use_cache) {
  const std::string name = node.metadata.value("name", "");
  const auto now = clock_.WallNow();
  auto schedule = TokenScheduleFor(node, options_.token_lifetime, options_.token_renew_after);
  if (!schedule.ok()) return kube::ApiError(schedule.status());
  const auto lifetime = schedule->lifetime;
  const auto renew_after = schedule->renew_after;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = credentials_.find(name);
        it != credentials_.end() && it->second.agent.service_account_uid == sa_uid && now < it->second.renew_at) {
      return it->second;
    }
  }
  // After a restart of the operator: the token already at the site, if it is still good.
  const Placement placement = PlacementOf(node, options_.render);
  auto secret = Current(site, use_cache, kube::core::kSecrets, placement.agent_namespace, HubSecretName(name));
  if (secret.ok() && secret->is_object()) {
    const std::string expiry = kube::AnnotationOf(*secret, kTokenExpiryAnnotation);
    const std::string token = Decode(*secret, "token");
    auto expires = kube::ParseMicroTime(expiry);
    if (!token.empty() && expires.ok() && kube::AnnotationOf(*secret, kTokenServiceAccountUidAnnotation) == sa_uid) {
      const auto renew_at = *expires - lifetime + renew_after;
      if (now < renew_at) {
        Credentials c{{token, expiry, sa_uid}, renew_at};
        std::lock_guard<std::mutex> lock(mutex_);
        credentials_[name] = c;
        return c;
      }
    }
  }
  const Json request = {{"apiVersion", "authentication.k8s.io/v1"},
                        {"kind", "TokenRequest"},
                        {"spec", {{"expirationSeconds", lifetime.count()}}}};
  auto response = hub_->Request(
      "POST", ResourcePath(kube::core::kServiceAccounts, api::NodeNamespace(name), api::kAgentServiceAccount, "token"),
      &request);
  if (!response.ok()) return response.error();
  const Json& status = (*response)["status"];
  if (!status.is_object() || !status.contains("token") || !status["token"].is_string()) {
    return kube::ApiError(InternalError("the TokenRequest response has no status.token"));
  }
  const std::string expiry = status.value("expirationTimestamp", "");
  auto expires = kube::ParseMicroTime(expiry);
  if (!expires.ok()) return kube::ApiError(expires.status());
  // The server may shorten the lifetime; renew at the given share of what it granted.
  // In seconds: in the clock's nanoseconds, a 48 h grant times a 24 h interval overflows.
  const auto granted = std::chrono::duration_cast<std::chrono::seconds>(*expires - now);
  const auto renew_in = std::min<std::chrono::seconds>(
      renew_after, granted * renew_after.count() / std::max<std::int64_t>(1, lifetime.count()));
  Credentials c{{status["token"].get<std::string>(), expiry, sa_uid}, now + renew_in};
  spdlog::info("datanode {}: minted an agent token valid until {}", name, expiry);
  std::lock_guard<std::mutex> lock(mutex_);
  credentials_[name] = c;
  return c;
}

Status DataNodeReconciler::WriteStatus(const Json& object, const Json& status) {
  const Json previous = object.contains("status") && object["status"].is_object() ? object["status"] : Json::object();
  if (previous == status) return Status::Ok();
  Json patch_status = status;
  for (auto it = previous.begin(); it != previous.end(); ++it) {
    if (!status.contains(it.key())) patch_status[it.key()] = nullptr;
  }
  auto patched = hub_->PatchStatus(api::kDataNodes, "", kube::NameOf(object), kube::PatchType::kMerge,
                                   Json{{"status", patch_status}}, {.field_manager = kFieldManager});
  return patched.status();
}

void DataNodeReconciler::RecordTransitions(const Json& object, const Json& status) {
  if (options_.events == nullptr) return;
  const auto conditions = [](const Json& s) {
    std::map<std::string, const Json*> out;
    if (s.is_object() && s.contains("conditions") && s["conditions"].is_array()) {
      for (const auto& c : s["conditions"]) {
        if (c.is_object()) out[c.value("type", "")] = &c;
      }
    }
    return out;
  };
  static const Json kEmpty = Json::object();
  const auto before = conditions(object.contains("status") ? object["status"] : kEmpty);
  const kube::ObjectReference ref{api::kApiVersion, "DataNode", "", kube::NameOf(object), kube::UidOf(object)};
  for (const auto& [type, now] : conditions(status)) {
    const std::string value = now->value("status", "");
    if (type == "Ready" || value == "Unknown") continue;  // Ready repeats one of the others
    const auto was = before.find(type);
    if (was != before.end() && was->second->value("status", "") == value &&
        was->second->value("reason", "") == now->value("reason", "")) {
      continue;
    }
    const Status recorded =
        options_.events->Record(ref, value == "True" ? kube::EventType::kNormal : kube::EventType::kWarning,
                                now->value("reason", ""), now->value("message", ""));
    if (!recorded.ok() && recorded.code() != StatusCode::kResourceExhausted) {
      spdlog::warn("datanode {}: could not record an Event: {}", ref.name, recorded.ToString());
    }
  }
}

Status DataNodeReconciler::EnsureFinalizer(const Json& object, bool present) {
  std::vector<std::string> finalizers = kube::FinalizersOf(object);
  if (kube::HasFinalizer(object, kFinalizer) == present) return Status::Ok();
  if (present) {
    finalizers.push_back(kFinalizer);
  } else {
    finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), kFinalizer), finalizers.end());
  }
  // resourceVersion makes the patch fail (409) rather than drop another party's finalizer.
  const Json patch = {{"metadata", {{"finalizers", finalizers}, {"resourceVersion", kube::ResourceVersionOf(object)}}}};
  return hub_
      ->Patch(api::kDataNodes, "", kube::NameOf(object), kube::PatchType::kMerge, patch,
              {.field_manager = kFieldManager})
      .status();
}

std::optional<std::int64_t> DataNodeReconciler::DatasetCount(const std::string& ns, std::vector<std::string>* names) {
  std::vector<Json> items;
  if (caches_.datasets != nullptr) {
    for (const auto& d : caches_.datasets->ByNamespace(ns)) items.push_back(*d);
  } else {
    auto listed = hub_->ListAll(api::kDatasets, ns);
    if (!listed.ok()) return std::nullopt;
    items = std::move(listed->items);
  }
  if (names != nullptr) {
    for (const auto& d : items) names->push_back(kube::NameOf(d));
  }
  return static_cast<std::int64_t>(items.size());
}

ReconcileResult DataNodeReconciler::Reconcile(const kube::Request& request) {
  Json object;
  if (caches_.datanodes != nullptr) {
    auto cached = caches_.datanodes->Get(request.name);
    if (!cached) {
      std::lock_guard<std::mutex> lock(mutex_);
      credentials_.erase(request.name);
      sites_.Forget(request.name);
      return ReconcileResult::Done();
    }
    object = *cached;
  } else {
    auto got = hub_->Get(api::kDataNodes, "", request.name);
    if (!got.ok()) {
      if (got.error().http_code() == 404) return ReconcileResult::Done();
      return ReconcileResult::Error(got.error().status());
    }
    object = std::move(got).value();
  }
  auto node = api::FromJson<api::DataNode>(object);
  if (!node.ok()) {
    return ReconcileResult::TerminalError(
        InvalidArgumentError("DataNode " + request.name + " does not match the API: " + node.status().message()));
  }
  if (kube::IsBeingDeleted(object)) return ReconcileDelete(*node, object);
  return ReconcileNormal(*node, object);
}

ReconcileResult DataNodeReconciler::ReconcileNormal(const api::DataNode& node, const Json& object) {
  const std::string name = kube::NameOf(object);
  const std::string uid = kube::UidOf(object);
  const std::string hub_ns = api::NodeNamespace(name);
  const auto now = clock_.WallNow();
  if (Status s = EnsureFinalizer(object, true); !s.ok()) return ReconcileResult::Error(s);

  NodeObservation observation;
  observation.generation = kube::GenerationOf(object);
  observation.hub_namespace = hub_ns;
  std::optional<std::chrono::system_clock::duration> requeue;
  const auto requeue_at_most = [&](std::chrono::system_clock::duration d) {
    if (!requeue || d < *requeue) requeue = d;
  };
  Status retry = Status::Ok();  // a failure that calls for backoff after the status is written

  // Hub side.
  std::string sa_uid;
  for (const Json& desired : RenderHubObjects(node, uid)) {
    auto ensured = Ensure(*hub_, true, desired);
    if (!ensured.ok()) {
      observation.deploy_reason = "HubSetupFailed";
      observation.deploy_message =
          "cannot set up " + DescribeObject(desired) + " on the hub: " + ensured.error().message();
      retry = ensured.error().status();
      break;
    }
    if (desired.value("kind", "") == "ServiceAccount") sa_uid = kube::UidOf(*ensured);
  }

  // Site side.
  const Placement placement = PlacementOf(node, options_.render);
  if (retry.ok()) {
    SiteAccess site = sites_.For(node);
    if (!site.ok()) {
      observation.deploy_reason = site.problem.reason;
      observation.deploy_message = site.problem.message;
      // A fixed Secret re-enqueues through the Secret watch; look again anyway now and then.
      requeue_at_most(std::chrono::seconds(30));
    } else {
      const bool use_cache = !placement.remote;
      const std::string server = site.client->config().ServerUrl();
      auto credentials = EnsureCredentials(node, sa_uid, *site.client, use_cache);
      if (!credentials.ok()) {
        const bool site_error = credentials.error().http_code() == 0 && placement.remote;
        if (site_error) {
          const SiteProblem p = ClassifySiteError(credentials.error(), server);
          observation.deploy_reason = p.reason;
          observation.deploy_message = p.message;
          requeue_at_most(std::chrono::seconds(15));
        } else {
          observation.deploy_reason = "CredentialsFailed";
          observation.deploy_message =
              "cannot mint the agent's hub token (TokenRequest): " + credentials.error().message();
          retry = credentials.error().status();
        }
      } else {
        observation.credential_expiry = credentials->agent.expiry;
        requeue_at_most(
            std::max<std::chrono::system_clock::duration>(credentials->renew_at - now, std::chrono::seconds(1)));
        observation.deployed = true;
        for (const Json& desired : RenderSiteObjects(node, options_.render, credentials->agent)) {
          auto ensured = Ensure(*site.client, use_cache, desired);
          if (!ensured.ok()) {
            const SiteProblem p = placement.remote
                                      ? ClassifySiteError(ensured.error(), server)
                                      : SiteProblem{"ApplyFailed", "cannot apply " + DescribeObject(desired) + ": " +
                                                                       ensured.error().message()};
            observation.deployed = false;
            observation.deploy_reason = p.reason;
            observation.deploy_message = p.message;
            if (p.reason == "SiteClusterUnreachable") {
              requeue_at_most(std::chrono::seconds(15));
            } else {
              retry = ensured.error().status();
            }
            break;
          }
        }
        if (observation.deployed) {
          observation.deploy_message = "the agent's " + std::string(placement.remote ? "site cluster" : "local") +
                                       " objects are in place in namespace " + placement.agent_namespace +
                                       (placement.remote ? " of " + server : "");
        }
        if (placement.remote) requeue_at_most(options_.site_resync);
      }
    }
  }

  // The heartbeat.
  if (caches_.leases != nullptr) {
    if (auto lease = caches_.leases->Get(hub_ns + "/" + api::kHeartbeatLease)) observation.lease = *lease;
  } else if (auto lease = hub_->Get(kube::core::kLeases, hub_ns, api::kHeartbeatLease); lease.ok()) {
    observation.lease = std::move(lease).value();
  }
  observation.dataset_count = DatasetCount(hub_ns, nullptr);

  const Json previous = object.contains("status") ? object["status"] : Json::object();
  NodeStatusResult status = ComputeNodeStatus(observation, previous, now);
  if (status.recheck_after) requeue_at_most(*status.recheck_after);
  if (Status s = WriteStatus(object, status.status); !s.ok()) {
    if (retry.ok()) retry = s;
  } else {
    RecordTransitions(object, status.status);
  }
  if (!retry.ok()) return ReconcileResult::Error(retry);
  if (requeue) return ReconcileResult::RequeueAfter(*requeue);
  return ReconcileResult::Done();
}

ReconcileResult DataNodeReconciler::ReconcileDelete(const api::DataNode& node, const Json& object) {
  const std::string name = kube::NameOf(object);
  const std::string hub_ns = api::NodeNamespace(name);
  if (!kube::HasFinalizer(object, kFinalizer)) return ReconcileResult::Done();

  const Json previous = object.contains("status") && object["status"].is_object() ? object["status"] : Json::object();
  const auto blocked = [&](const std::string& reason, const std::string& message) {
    Json status = previous;
    kube::SetConditions(status, {{kube::kConditionReady, kube::kConditionFalse, reason, message}},
                        kube::GenerationOf(object), clock_.WallNow());
    return WriteStatus(object, status);
  };

  // Datasets would go with the namespace: deletion waits until they are removed on purpose.
  std::vector<std::string> names;
  const auto count = DatasetCount(hub_ns, &names);
  if (!count) return ReconcileResult::Error(UnavailableError("cannot list the Datasets of " + hub_ns));
  if (*count > 0) {
    std::string list;
    for (std::size_t i = 0; i < names.size() && i < 5; ++i) list += (i ? ", " : "") + names[i];
    if (names.size() > 5) list += ", ...";
    const Status s = blocked("DeletionBlockedByDatasets",
                             "the DataNode is being deleted but " + std::to_string(*count) + " Dataset(s) remain in " +
                                 hub_ns + " (" + list + "); deletion waits so they are not removed unnoticed: " +
                                 "delete them first (kubectl delete datasets --all -n " + hub_ns + ")");
    if (!s.ok()) return ReconcileResult::Error(s);
    return ReconcileResult::Done();  // the Dataset watch brings the node back
  }

  // Site workloads.
  const Placement placement = PlacementOf(node, options_.render);
  SiteAccess site = sites_.For(node);
  if (!site.ok()) {
    const Status s = blocked("SiteCleanupBlocked", "cannot remove the agent from the site: " + site.problem.message +
                                                       "; fix it, or remove the finalizer " + kFinalizer +
                                                       " to leave the site objects behind");
    if (!s.ok()) return ReconcileResult::Error(s);
    return ReconcileResult::RequeueAfter(std::chrono::seconds(30));
  }
  const bool retain = !node.spec.storage || node.spec.storage->retain_on_delete.value_or(true);
  struct Child {
    const kube::GroupVersionResource* gvr;
    std::string name;
  };
  std::vector<Child> children = {{&kube::core::kDeployments, AgentObjectName(name)},
                                 {&kube::core::kServices, AgentObjectName(name)},
                                 {&kube::core::kNetworkPolicies, AgentObjectName(name)},
                                 {&kube::core::kConfigMaps, AgentObjectName(name)},
                                 {&kube::core::kSecrets, HubSecretName(name)}};
  if (!retain) children.push_back({&kube::core::kPersistentVolumeClaims, StoreClaimName(name)});
  for (const auto& child : children) {
    auto deleted = site.client->Delete(*child.gvr, placement.agent_namespace, child.name);
    if (!deleted.ok() && deleted.error().http_code() != 404) {
      const SiteProblem p = ClassifySiteError(deleted.error(), site.client->config().ServerUrl());
      const Status s = blocked("SiteCleanupBlocked", "cannot remove the agent from the site: " + p.message);
      if (!s.ok()) return ReconcileResult::Error(s);
      return ReconcileResult::Error(deleted.error().status());
    }
  }

  // Hub credentials: without the ServiceAccount its tokens no longer authenticate.
  auto sa = hub_->Delete(kube::core::kServiceAccounts, hub_ns, api::kAgentServiceAccount);
  if (!sa.ok() && sa.error().http_code() != 404) return ReconcileResult::Error(sa.error().status());
  auto ns = hub_->Delete(kube::core::kNamespaces, "", hub_ns);
  if (!ns.ok() && ns.error().http_code() != 404) return ReconcileResult::Error(ns.error().status());

  {
    std::lock_guard<std::mutex> lock(mutex_);
    credentials_.erase(name);
  }
  sites_.Forget(name);
  if (Status s = EnsureFinalizer(object, false); !s.ok()) return ReconcileResult::Error(s);
  spdlog::info("datanode {}: removed from the site and the hub", name);
  return ReconcileResult::Done();
}

}  // namespace oncoatlas::datanode
