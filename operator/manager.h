// Manager: runs the operator's parts as one process — informer caches of the
// resources the controllers read, the controllers, the health/metrics
// servers, and leader election. Controllers run only while this process
// leads (or always, without leader election); the caches run from the start
// so a new leader is warm. Shutdown (RequestShutdown, e.g. from SIGTERM):
// controllers stop taking work and finish the reconciles in flight, the
// Lease is released, caches and servers stop.
//
// Registering a controller (before Run; see README.md):
//   const ObjectLookup& sets = manager.Cache(api::kDatasets);
//   kube::Controller& c = manager.AddController("dataset", std::make_unique<MyReconciler>(sets, deps));
//   manager.Watch(api::kDatasets, c, SelfRequest);
//   manager.Watch(kube::core::kSecrets, c, map_fn, CacheScope{{manager.operator_namespace()}, "", ""});
// Threading: Cache/AddController/Watch before Run, from one thread; Run
// blocks the calling thread; RequestShutdown may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kube/controller.h"
#include "kube/event_recorder.h"
#include "kube/health_server.h"
#include "kube/informer.h"
#include "kube/leader_election.h"
#include "kube/metrics_registry.h"
#include "kube/rest_client.h"
#include "kube/rest_event_sink.h"
#include "kube/rest_lease_store.h"
#include "object_lookup.h"
#include "options.h"
#include "status_writer.h"

namespace oncoatlas::op {

// Maps an object of a watched resource to the requests of the controller's
// kind it affects. Called on informer threads for the old and the new state of
// every change; must only read caches.
using MapFunc = std::function<std::vector<kube::Request>(const nlohmann::json& object)>;

// The object's own key: for watches of the controller's own kind.
std::vector<kube::Request> SelfRequest(const nlohmann::json& object);

class ObjectCache;

// Which objects of a resource a cache holds.
struct CacheScope {
  // Empty: the watched namespaces of --namespace (all when none were given);
  // kAllNamespaces: all, whatever --namespace says. Ignored for
  // cluster-scoped resources.
  std::vector<std::string> namespaces;
  std::string label_selector;  // e.g. "app.kubernetes.io/managed-by=oncoatlas-operator"
  std::string field_selector;  // e.g. "metadata.name=oncoatlas-agent"
};

// CacheScope::namespaces for objects the operator places in namespaces of its
// own choosing (node namespaces, agent namespaces).
inline const std::vector<std::string> kAllNamespaces{""};

class Manager {
 public:
  // The manager shares `client` with the reconcilers (shared_client()).
  Manager(OperatorOptions options, std::shared_ptr<kube::RestClient> client);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // The cache of `gvr` in `scope`. One cache per resource and scope, shared.
  const ObjectLookup& Cache(const kube::GroupVersionResource& gvr, const CacheScope& scope = {});

  // Adds a controller named `name` (the metrics label) with --workers
  // workers. The manager owns the reconciler and starts the controller when
  // this process leads.
  kube::Controller& AddController(const std::string& name, std::unique_ptr<kube::Reconciler> reconciler);

  // Every add, update and delete of `gvr` (in `scope`, as for Cache)
  // enqueues the requests `map` returns into `controller`.
  void Watch(const kube::GroupVersionResource& gvr, kube::Controller& controller, MapFunc map,
             const CacheScope& scope = {});

  // What reconcilers share.
  kube::RestClient& client() { return *client_; }
  const std::shared_ptr<kube::RestClient>& shared_client() const { return client_; }
  StatusWriter& status_writer() { return status_writer_; }
  kube::EventRecorder& events() { return recorder_; }
  const OperatorOptions& options() const { return options_; }
  // The namespace of kubeconfig Secrets (--operator-namespace or the config's).
  const std::string& operator_namespace() const { return operator_namespace_; }

  // Runs until RequestShutdown; returns the process exit code (0 after a
  // clean shutdown, 1 when leadership was lost or a server could not start).
  int Run();
  void RequestShutdown(int exit_code = 0);

 private:
  struct Registered {
    std::string name;
    std::unique_ptr<kube::Reconciler> reconciler;
    std::unique_ptr<kube::Controller> controller;
  };
  ObjectCache& CacheFor(const kube::GroupVersionResource& gvr, const CacheScope& scope);
  bool StartServers();
  bool WaitForCaches();
  void StartControllers();
  void StopControllers();
  bool CachesSynced() const;

  const OperatorOptions options_;
  std::shared_ptr<kube::RestClient> client_;
  std::string operator_namespace_;
  kube::MetricsRegistry& metrics_;
  RestStatusWriter status_writer_;
  kube::RestEventSink event_sink_;
  kube::EventRecorder recorder_;
  std::map<std::string, std::unique_ptr<ObjectCache>> caches_;
  std::vector<Registered> controllers_;
  std::unique_ptr<kube::HealthServer> metrics_server_;
  std::unique_ptr<kube::HealthServer> health_server_;
  std::unique_ptr<kube::RestLeaseStore> lease_store_;
  std::unique_ptr<kube::LeaderElector> elector_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_requested_ = false;   // GUARDED_BY(mu_)
  int exit_code_ = 0;                 // GUARDED_BY(mu_)
  bool controllers_running_ = false;  // GUARDED_BY(mu_)
  bool start_requested_ = false;      // GUARDED_BY(mu_): leading began; Run starts the controllers
  std::atomic<bool> leading_{false};
};

}  // namespace oncoatlas::op
