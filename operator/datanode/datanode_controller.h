// DataNodeController: the DataNode reconciler wired to its watches — DataNodes,
// the objects it owns on the hub (labelled app.kubernetes.io/managed-by=
// oncoatlas-operator, which includes a local site's workloads), the agents'
// heartbeat Leases, the Datasets of node namespaces and the Secrets of the
// operator's namespace (remote kubeconfigs) — each change enqueues the
// DataNode it belongs to. Start/Stop from one thread; the rest runs on the
// informers' and workers' threads.
#pragma once

#include <memory>
#include <vector>

#include "datanode/reconciler.h"
#include "kube/controller.h"
#include "kube/informer.h"

namespace oncoatlas::datanode {

struct DataNodeControllerOptions {
  ReconcilerOptions reconciler;
  int workers = 4;
  std::chrono::milliseconds resync_period{std::chrono::minutes(10)};
  kube::Clock* clock = nullptr;                    // DefaultClock() when null
  kube::MetricsRegistry* metrics = nullptr;        // DefaultMetricsRegistry() when null
  kube::RequestObserver* site_observer = nullptr;  // sees remote site clients' requests
};

class DataNodeController {
 public:
  // `hub` is shared with the informers and the reconciler.
  DataNodeController(std::shared_ptr<kube::RestClient> hub, DataNodeControllerOptions options);
  ~DataNodeController();
  DataNodeController(const DataNodeController&) = delete;
  DataNodeController& operator=(const DataNodeController&) = delete;

  // Starts the informers, waits up to `sync_timeout` for their first lists,
  // then starts the workers.
  Status Start(std::chrono::milliseconds sync_timeout = std::chrono::seconds(60));
  void Stop();
  bool Synced() const;

  kube::Controller& controller() { return *controller_; }

 private:
  class Handler;
  kube::Informer& AddInformer(kube::ReflectorOptions options, std::function<void(const kube::Json&)> on_change);

  std::shared_ptr<kube::RestClient> hub_;
  DataNodeControllerOptions options_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;
  std::vector<std::unique_ptr<Handler>> handlers_;
  std::unique_ptr<SiteClusters> sites_;
  std::unique_ptr<DataNodeReconciler> reconciler_;
  std::unique_ptr<kube::Controller> controller_;
  bool started_ = false;
};

}  // namespace oncoatlas::datanode
