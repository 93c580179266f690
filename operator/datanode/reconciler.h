// DataNodeReconciler: makes a DataNode so — the hub side (node namespace,
// the agent's ServiceAccount, Role, RoleBinding), the agent's hub token
// (TokenRequest, renewed before expiry by replacing only the Secret's token),
// the site side (ConfigMap, Secret, PVC, Service, NetworkPolicy, Deployment,
// locally or on the site cluster) — and writes its status once per pass.
// Children are compared with what the server has and applied (server-side,
// one field manager, force) only when they differ, so a pass that changes
// nothing writes nothing. Deletion (finalizer) waits while Datasets remain in
// the node namespace, then removes the site workloads (the PVC only when
// storage.retainOnDelete is false), deletes the ServiceAccount (its tokens
// stop authenticating) and the node namespace.
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

#include "datanode/node_status.h"
#include "datanode/render.h"
#include "datanode/site_cluster.h"
#include "kube/clock.h"
#include "kube/controller.h"
#include "kube/event_recorder.h"
#include "kube/informer.h"
#include "kube/rest_client.h"

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
  // Receives an Event for each condition whose status or reason changed
  // (Warning when it became False); null: no Events. Must outlive the reconciler.
  kube::EventRecorder* events = nullptr;
};

// Caches of the objects the reconciler reads, filled by informers; any of them
// may be null, and the reconciler then reads from the API server instead.
struct ReconcilerCaches {
  const kube::Store* datanodes = nullptr;
  const kube::Store* leases = nullptr;    // the heartbeat Leases
  const kube::Store* datasets = nullptr;  // all namespaces
  // Objects carrying app.kubernetes.io/managed-by=oncoatlas-operator on the hub,
  // by GroupVersionResource::Name() (e.g. "deployments.apps").
  std::map<std::string, const kube::Store*> managed;
};

class DataNodeReconciler : public kube::Reconciler {
 public:
  // Everything passed in must outlive the reconciler.
  DataNodeReconciler(std::shared_ptr<kube::RestClient> hub, ReconcilerOptions options, ReconcilerCaches caches,
                     SiteClusters& sites, kube::Clock& clock);

  kube::ReconcileResult Reconcile(const kube::Request& request) override;

  const ReconcilerOptions& options() const { return options_; }

 private:
  struct Credentials {
    AgentCredentials agent;
    std::chrono::system_clock::time_point renew_at;
  };

  kube::ReconcileResult ReconcileNormal(const api::DataNode& node, const kube::Json& object);
  kube::ReconcileResult ReconcileDelete(const api::DataNode& node, const kube::Json& object);

  // The object as the server has it (cache or GET); null when absent. An
  // error only when the GET fails for another reason than 404.
  kube::ApiResult<kube::Json> Current(kube::RestClient& client, bool use_cache, const kube::GroupVersionResource& gvr,
                                      const std::string& ns, const std::string& name);
  // Applies `desired` unless the current object already covers it; returns the object.
  kube::ApiResult<kube::Json> Ensure(kube::RestClient& client, bool use_cache, const kube::Json& desired);
  kube::ApiResult<Credentials> EnsureCredentials(const api::DataNode& node, const std::string& sa_uid,
                                                 kube::RestClient& site, bool use_cache);
  Status WriteStatus(const kube::Json& object, const kube::Json& status);
  void RecordTransitions(const kube::Json& object, const kube::Json& status);
  Status EnsureFinalizer(const kube::Json& object, bool present);
  std::optional<std::int64_t> DatasetCount(const std::string& ns, std::vector<std::string>* names);

  std::shared_ptr<kube::RestClient> hub_;
  const ReconcilerOptions options_;
  const ReconcilerCaches caches_;
  SiteClusters& sites_;
  kube::Clock& clock_;

  std::mutex mutex_;
  std::map<std::string, Credentials> credentials_;  // by node; GUARDED_BY(mutex_)
};

}  // namespace oncoatlas::datanode
