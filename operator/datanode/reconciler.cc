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
                                       ReconcilerCaches caches, op::ReconcilerDeps deps)
    : hub_(std::move(hub)),
      options_(std::move(options)),
      caches_(std::move(caches)),
      deps_(deps),
      clock_(deps.clock != nullptr ? *deps.clock : kube::DefaultClock()),
      sites_(hub_, options_.operator_namespace, *caches_.kubeconfigs) {}

ApiResult<Json> DataNodeReconciler::Current(kube::RestClient& client, bool use_cache,
                                            const kube::GroupVersionResource& gvr, const std::string& ns,
                                            const std::string& name) {
  if (use_cache) {
    if (auto it = caches_.managed.find(gvr.Name()); it != caches_.managed.end()) {
      auto cached = it->second->Get(gvr.namespaced ? ns : "", name);
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
  // Objects from a list carry no apiVersion and kind; the resource stands for them.
  Json fields = desired;
  fields.erase("apiVersion");
  fields.erase("kind");
  if (!current->is_null() && Covers(*current, fields)) return current;
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

Status DataNodeReconciler::EnsureFinalizer(Json& object, bool present) {
  std::vector<std::string> finalizers = kube::FinalizersOf(object);
  if (kube::HasFinalizer(object, kFinalizer) == present) return Status::Ok();
  if (present) {
    finalizers.push_back(kFinalizer);
  } else {
    finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), kFinalizer), finalizers.end());
  }
  // resourceVersion makes the patch fail (409) rather than drop another party's finalizer.
  const Json patch = {{"metadata", {{"finalizers", finalizers}, {"resourceVersion", kube::ResourceVersionOf(object)}}}};
  auto patched = hub_->Patch(api::kDataNodes, "", kube::NameOf(object), kube::PatchType::kMerge, patch,
                             {.field_manager = kFieldManager});
  if (!patched.ok()) return patched.error().status();
  // The status write of this pass goes against the new resourceVersion.
  object = std::move(patched).value();
  return Status::Ok();
}

void DataNodeReconciler::Forget(const std::string& node) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    credentials_.erase(node);
  }
  sites_.Forget(node);
}

NodeObservation DataNodeReconciler::Observe(const Json& object, std::vector<std::string>* dataset_names) const {
  NodeObservation o;
  o.generation = kube::GenerationOf(object);
  o.hub_namespace = api::NodeNamespace(kube::NameOf(object));
  if (auto lease = caches_.leases->Get(o.hub_namespace, api::kHeartbeatLease)) o.lease = *lease;
  const std::vector<op::ObjectPtr> datasets = caches_.datasets->ListInNamespace(o.hub_namespace);
  o.dataset_count = static_cast<std::int64_t>(datasets.size());
  if (dataset_names != nullptr) {
    for (const auto& d : datasets) dataset_names->push_back(kube::NameOf(*d));
  }
  return o;
}

ReconcileResult DataNodeReconciler::Reconcile(const kube::Request& request) {
  const op::ObjectPtr object = caches_.datanodes->Get("", request.name);
  if (object == nullptr) {
    Forget(request.name);
    return ReconcileResult::Done();
  }
  auto node = api::FromJson<api::DataNode>(*object);
  if (!node.ok()) {
    return ReconcileResult::TerminalError(
        InvalidArgumentError("DataNode " + request.name + " does not match the API: " + node.status().message()));
  }
  if (kube::IsBeingDeleted(*object)) return Finish(ReconcileDelete(*node, *object));
  return Finish(ReconcileNormal(*node, *object));
}

ReconcileResult DataNodeReconciler::Finish(Pass pass) {
  if (pass.observed) {
    const Json previous = pass.object.value("status", Json::object());
    NodeStatusResult status = ComputeNodeStatus(*pass.observed, previous, clock_.WallNow());
    if (status.recheck_after) pass.RequeueAtMost(*status.recheck_after);
    auto wrote = op::WriteStatusIfChanged(*deps_.status_writer, api::kDataNodes, pass.object, status.status);
    if (!wrote.ok()) {
      if (pass.retry.ok())
        pass.retry = wrote.status().WithContext("writing the status of DataNode " + kube::NameOf(pass.object));
    } else if (*wrote) {
      // Ready repeats one of the others; Unknown is no news.
      std::erase_if(status.changes, [](const kube::ConditionChange& c) {
        return c.now.type == kube::kConditionReady || c.now.status == kube::kConditionUnknown;
      });
      op::RecordConditionEvents(deps_.events, pass.object, status.changes);
    }
  }
  if (!pass.retry.ok()) return ReconcileResult::Error(pass.retry);
  if (pass.requeue) return ReconcileResult::RequeueAfter(*pass.requeue);
  return ReconcileResult::Done();
}

DataNodeReconciler::Pass DataNodeReconciler::ReconcileNormal(const api::DataNode& node, Json object) {
  Pass pass;
  const std::string uid = kube::UidOf(object);
  const auto now = clock_.WallNow();
  if (Status s = EnsureFinalizer(object, true); !s.ok()) {
    pass.retry = s;
    return pass;  // nothing observed yet: no status to write
  }
  pass.object = std::move(object);
  NodeObservation& observation = pass.observed.emplace(Observe(pass.object, nullptr));

  // Hub side.
  std::string sa_uid;
  for (const Json& desired : RenderHubObjects(node, uid)) {
    auto ensured = Ensure(*hub_, true, desired);
    if (!ensured.ok()) {
      observation.deploy_reason = "HubSetupFailed";
      observation.deploy_message =
          "cannot set up " + DescribeObject(desired) + " on the hub: " + ensured.error().message();
      pass.retry = ensured.error().status();
      return pass;
    }
    if (desired.value("kind", "") == "ServiceAccount") sa_uid = kube::UidOf(*ensured);
  }

  // Site side.
  const Placement placement = PlacementOf(node, options_.render);
  SiteAccess site = sites_.For(node);
  if (!site.ok()) {
    observation.deploy_reason = site.problem.reason;
    observation.deploy_message = site.problem.message;
    // A fixed Secret re-enqueues through the Secret watch; look again anyway now and then.
    pass.RequeueAtMost(std::chrono::seconds(30));
    return pass;
  }
  const bool use_cache = !placement.remote;
  const std::string server = site.client->config().ServerUrl();
  auto credentials = EnsureCredentials(node, sa_uid, *site.client, use_cache);
  if (!credentials.ok()) {
    if (credentials.error().http_code() == 0 && placement.remote) {
      const SiteProblem p = ClassifySiteError(credentials.error(), server);
      observation.deploy_reason = p.reason;
      observation.deploy_message = p.message;
      pass.RequeueAtMost(std::chrono::seconds(15));
    } else {
      observation.deploy_reason = "CredentialsFailed";
      observation.deploy_message = "cannot mint the agent's hub token (TokenRequest): " + credentials.error().message();
      pass.retry = credentials.error().status();
    }
    return pass;
  }
  observation.credential_expiry = credentials->agent.expiry;
  pass.RequeueAtMost(
      std::max<std::chrono::system_clock::duration>(credentials->renew_at - now, std::chrono::seconds(1)));
  if (placement.remote) pass.RequeueAtMost(options_.site_resync);
  for (const Json& desired : RenderSiteObjects(node, options_.render, credentials->agent)) {
    auto ensured = Ensure(*site.client, use_cache, desired);
    if (!ensured.ok()) {
      const SiteProblem p = placement.remote ? ClassifySiteError(ensured.error(), server)
                                             : SiteProblem{"ApplyFailed", "cannot apply " + DescribeObject(desired) +
                                                                              ": " + ensured.error().message()};
      observation.deploy_reason = p.reason;
      observation.deploy_message = p.message;
      if (p.reason == "SiteClusterUnreachable") {
        pass.RequeueAtMost(std::chrono::seconds(15));
      } else {
        pass.retry = ensured.error().status();
      }
      return pass;
    }
  }
  observation.deployed = true;
  observation.deploy_message = "the agent's " + std::string(placement.remote ? "site cluster" : "local") +
                               " objects are in place in namespace " + placement.agent_namespace +
                               (placement.remote ? " of " + server : "");
  return pass;
}

DataNodeReconciler::Pass DataNodeReconciler::ReconcileDelete(const api::DataNode& node, Json object) {
  Pass pass;
  if (!kube::HasFinalizer(object, kFinalizer)) return pass;
  const std::string name = kube::NameOf(object);
  const std::string hub_ns = api::NodeNamespace(name);
  std::vector<std::string> names;
  NodeObservation observation = Observe(object, &names);
  KeepDeployment(object.value("status", Json::object()), observation);
  pass.object = std::move(object);
  const auto blocked = [&](const std::string& reason, const std::string& message) -> Pass& {
    observation.deletion_reason = reason;
    observation.deletion_message = message;
    pass.observed = std::move(observation);
    return pass;
  };

  // Datasets would go with the namespace: deletion waits until they are removed
  // on purpose (the Dataset watch brings the node back).
  if (!names.empty()) {
    std::string list;
    for (std::size_t i = 0; i < names.size() && i < 5; ++i) list += (i ? ", " : "") + names[i];
    if (names.size() > 5) list += ", ...";
    return blocked("DeletionBlockedByDatasets",
                   "the DataNode is being deleted but " + std::to_string(names.size()) + " Dataset(s) remain in " +
                       hub_ns + " (" + list + "); deletion waits so they are not removed unnoticed: " +
                       "delete them first (kubectl delete datasets --all -n " + hub_ns + ")");
  }

  // Site workloads.
  const Placement placement = PlacementOf(node, options_.render);
  SiteAccess site = sites_.For(node);
  if (!site.ok()) {
    pass.RequeueAtMost(std::chrono::seconds(30));
    return blocked("SiteCleanupBlocked", "cannot remove the agent from the site: " + site.problem.message +
                                             "; fix it, or remove the finalizer " + kFinalizer +
                                             " to leave the site objects behind");
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
      pass.retry = deleted.error().status();
      return blocked("SiteCleanupBlocked", "cannot remove the agent from the site: " + p.message);
    }
  }

  // Hub credentials: without the ServiceAccount its tokens no longer authenticate.
  auto sa = hub_->Delete(kube::core::kServiceAccounts, hub_ns, api::kAgentServiceAccount);
  if (!sa.ok() && sa.error().http_code() != 404) {
    pass.retry = sa.error().status();
    return pass;
  }
  auto ns = hub_->Delete(kube::core::kNamespaces, "", hub_ns);
  if (!ns.ok() && ns.error().http_code() != 404) {
    pass.retry = ns.error().status();
    return pass;
  }
  Forget(name);
  if (Status s = EnsureFinalizer(pass.object, false); !s.ok()) {
    pass.retry = s;
    return pass;
  }
  spdlog::info("datanode {}: removed from the site and the hub", name);
  return pass;
}

}  // namespace oncoatlas::datanode
