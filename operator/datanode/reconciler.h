// DataNodeReconciler: makes a DataNode so — the hub side (node namespace,
// the agent's ServiceAccount, Role, RoleBinding), the agent's hub token
// (TokenRequest, renewed before expiry by replacing only the Secret's token),
// the site side (ConfigMap, Secret, PVC, Service, NetworkPolicy, Deployment,
// locally or on the site cluster). Reconcile dispatches (fetch; gone → done;
// deleting → ReconcileDelete; else ReconcileNormal); both fill one
// NodeObservation, and the status is computed from it by ComputeNodeStatus
// and written once per pass through the StatusWriter, only when it changed,
// with an Event for each change of AgentDeployed, AgentConnected or
// PACSReachable. Children are compared with what the server has (the
// Manager's caches on the hub; a GET on a remote site) and applied
// (server-side, one field manager, force) only when they differ, so a pass
// that changes nothing writes nothing. Deletion (finalizer) waits while
// Datasets remain in the node namespace, then removes the site workloads (the
// PVC only when storage.retainOnDelete is false), deletes the ServiceAccount
// (its tokens stop authenticating) and the node namespace.
//
// Thread-safe: the Controller calls Reconcile from several workers, never
// twice at once for one DataNode.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "condition_reconciler.h"
#include "datanode/node_status.h"
#include "datanode/render.h"
#include "datanode/site_cluster.h"
#include "kube/controller.h"
#include "kube/rest_client.h"
#include "object_lookup.h"

namespace oncoatlas::datanode {

struct ReconcilerOptions {
  RenderOptions render;
  std::string operator_namespace = "oncoatlas-system";
  // The agent token's lifetime (TokenRequest expirationSeconds) for DataNodes
  // without spec.agent.credentialRotationInterval (see token_schedule.h). The
  // API server refuses less than 10 minutes.
  std::chrono::seconds token_lifetime{3600};
  // When to mint the next token, counted from the current one's issue,
  // whatever the spec says. Tests shorten this to see several renewals.
  std::optional<std::chrono::seconds> token_renew_after;
  // How often a remote site's objects are re-read to correct drift (a local
  // site's objects are watched instead).
  std::chrono::seconds site_resync{300};
};

// The caches the reconciler reads (the Manager's; see ../datanode_controller.h).
// None may be null.
struct ReconcilerCaches {
  const op::ObjectLookup* datanodes = nullptr;
  const op::ObjectLookup* leases = nullptr;       // the heartbeat Leases, all namespaces
  const op::ObjectLookup* datasets = nullptr;     // all namespaces
  const op::ObjectLookup* kubeconfigs = nullptr;  // the Secrets of the operator namespace
  // Objects carrying app.kubernetes.io/managed-by=oncoatlas-operator on the hub,
  // by GroupVersionResource::Name() (e.g. "deployments.apps"), one for each
  // kind RenderHubObjects and RenderSiteObjects render.
  std::map<std::string, const op::ObjectLookup*> managed;
};

class DataNodeReconciler : public kube::Reconciler {
 public:
  // The caches and deps must outlive the reconciler.
  DataNodeReconciler(std::shared_ptr<kube::RestClient> hub, ReconcilerOptions options, ReconcilerCaches caches,
                     op::ReconcilerDeps deps);

  kube::ReconcileResult Reconcile(const kube::Request& request) override;

 private:
  struct Credentials {
    AgentCredentials agent;
    std::chrono::system_clock::time_point renew_at;
  };
  // What a pass found, for the one status write at its end.
  struct Pass {
    kube::Json object;                        // the DataNode as last read or patched
    std::optional<NodeObservation> observed;  // none: the DataNode is released, nothing to write
    Status retry = Status::Ok();              // a failure that calls for backoff
    std::optional<kube::Clock::Duration> requeue;
    void RequeueAtMost(kube::Clock::Duration d) {
      if (!requeue || d < *requeue) requeue = d;
    }
  };

  Pass ReconcileNormal(const api::DataNode& node, kube::Json object);
  Pass ReconcileDelete(const api::DataNode& node, kube::Json object);
  // Writes the status `pass` observed (if it changed) and records its Events.
  kube::ReconcileResult Finish(Pass pass);
  // The observation both passes share: generation, namespace, heartbeat, Datasets.
  NodeObservation Observe(const kube::Json& object, std::vector<std::string>* dataset_names) const;

  // The object as the server has it (cache or GET); null when absent. An
  // error only when the GET fails for another reason than 404.
  kube::ApiResult<kube::Json> Current(kube::RestClient& client, bool use_cache, const kube::GroupVersionResource& gvr,
                                      const std::string& ns, const std::string& name);
  // Applies `desired` unless the current object already covers it; returns the object.
  kube::ApiResult<kube::Json> Ensure(kube::RestClient& client, bool use_cache, const kube::Json& desired);
  kube::ApiResult<Credentials> EnsureCredentials(const api::DataNode& node, const std::string& sa_uid,
                                                 kube::RestClient& site, bool use_cache);
  // Adds or removes the finalizer; `object` becomes the patched DataNode.
  Status EnsureFinalizer(kube::Json& object, bool present);
  void Forget(const std::string& node);

  std::shared_ptr<kube::RestClient> hub_;
  const ReconcilerOptions options_;
  const ReconcilerCaches caches_;
  const op::ReconcilerDeps deps_;
  kube::Clock& clock_;
  SiteClusters sites_;

  std::mutex mutex_;
  std::map<std::string, Credentials> credentials_;  // by node; GUARDED_BY(mutex_)
};

}  // namespace oncoatlas::datanode
