#include "datanode/datanode_controller.h"

#include "api/resources.h"
#include "kube/core_resources.h"
#include "kube/object_meta.h"

namespace oncoatlas::datanode {

class DataNodeController::Handler : public kube::ReflectorHandler {
 public:
  explicit Handler(std::function<void(const kube::Json&)> fn) : fn_(std::move(fn)) {}
  void OnAdd(const kube::Json& object) override { fn_(object); }
  void OnUpdate(const kube::Json&, const kube::Json& object) override { fn_(object); }
  void OnDelete(const kube::Json& object) override { fn_(object); }

 private:
  std::function<void(const kube::Json&)> fn_;
};

namespace {

kube::ReflectorOptions Watch(const kube::GroupVersionResource& resource, std::string label_selector = "",
                             std::string field_selector = "", std::string namespace_name = "") {
  kube::ReflectorOptions options;
  options.resource = resource;
  options.label_selector = std::move(label_selector);
  options.field_selector = std::move(field_selector);
  options.namespace_name = std::move(namespace_name);
  return options;
}

}  // namespace

DataNodeController::DataNodeController(std::shared_ptr<kube::RestClient> hub, DataNodeControllerOptions options)
    : hub_(std::move(hub)), options_(std::move(options)) {
  kube::Clock& clock = options_.clock != nullptr ? *options_.clock : kube::DefaultClock();
  kube::ControllerOptions controller_options;
  controller_options.name = "datanode";
  controller_options.workers = options_.workers;
  controller_options.clock = &clock;
  controller_options.metrics = options_.metrics;

  const auto enqueue_node = [this](const std::string& node) {
    if (!node.empty() && controller_) controller_->Enqueue({"", node});
  };

  auto& datanodes =
      AddInformer(Watch(api::kDataNodes), [enqueue_node](const kube::Json& o) { enqueue_node(kube::NameOf(o)); });
  const std::string managed = std::string("app.kubernetes.io/managed-by=") + kManagedBy;
  ReconcilerCaches caches;
  caches.datanodes = &datanodes.store();
  for (const auto* g :
       {&kube::core::kNamespaces, &kube::core::kServiceAccounts, &kube::core::kRoles, &kube::core::kRoleBindings,
        &kube::core::kConfigMaps, &kube::core::kSecrets, &kube::core::kPersistentVolumeClaims, &kube::core::kServices,
        &kube::core::kNetworkPolicies, &kube::core::kDeployments}) {
    auto& informer = AddInformer(
        Watch(*g, managed), [enqueue_node](const kube::Json& o) { enqueue_node(kube::LabelOf(o, api::kNodeLabel)); });
    caches.managed[g->Name()] = &informer.store();
  }
  caches.leases =
      &AddInformer(Watch(kube::core::kLeases, "", std::string("metadata.name=") + api::kHeartbeatLease),
                   [enqueue_node](const kube::Json& o) { enqueue_node(api::NodeOfNamespace(kube::NamespaceOf(o))); })
           .store();
  caches.datasets = &AddInformer(Watch(api::kDatasets), [enqueue_node](const kube::Json& o) {
                       enqueue_node(api::NodeOfNamespace(kube::NamespaceOf(o)));
                     }).store();
  const kube::Store* nodes = &datanodes.store();
  auto& kubeconfigs = AddInformer(Watch(kube::core::kSecrets, "", "", options_.reconciler.operator_namespace),
                                  [this, nodes](const kube::Json& secret) {
                                    const std::string name = kube::NameOf(secret);
                                    for (const auto& node : nodes->List()) {
                                      const auto& spec = (*node)["spec"];
                                      if (spec.is_object() && spec.contains("cluster") && spec["cluster"].is_object() &&
                                          spec["cluster"].contains("remote") && spec["cluster"]["remote"].is_object()) {
                                        const auto& ref = spec["cluster"]["remote"]["kubeconfigSecretRef"];
                                        if (ref.is_object() && ref.value("name", "") == name && controller_) {
                                          controller_->Enqueue({"", kube::NameOf(*node)});
                                        }
                                      }
                                    }
                                  });
  sites_ = std::make_unique<SiteClusters>(hub_, options_.reconciler.operator_namespace, &kubeconfigs.store(),
                                          options_.site_observer);
  reconciler_ = std::make_unique<DataNodeReconciler>(hub_, options_.reconciler, caches, *sites_, clock);
  controller_ = std::make_unique<kube::Controller>(controller_options, *reconciler_);
}

DataNodeController::~DataNodeController() { Stop(); }

kube::Informer& DataNodeController::AddInformer(kube::ReflectorOptions options,
                                                std::function<void(const kube::Json&)> on_change) {
  handlers_.push_back(std::make_unique<Handler>(std::move(on_change)));
  informers_.push_back(std::make_unique<kube::Informer>(*hub_, std::move(options), options_.resync_period));
  informers_.back()->AddHandler(handlers_.back().get());
  return *informers_.back();
}

Status DataNodeController::Start(std::chrono::milliseconds sync_timeout) {
  if (started_) return FailedPreconditionError("the DataNode controller is already started");
  started_ = true;
  for (auto& informer : informers_) informer->Start();
  for (auto& informer : informers_) {
    if (!informer->WaitForSync(sync_timeout)) {
      return UnavailableError("the DataNode controller's caches did not sync within the timeout");
    }
  }
  return controller_->Start();
}

void DataNodeController::Stop() {
  if (controller_) controller_->Stop();
  for (auto& informer : informers_) informer->Stop();
}

bool DataNodeController::Synced() const {
  for (const auto& informer : informers_) {
    if (!informer->HasSynced()) return false;
  }
  return true;
}

}  // namespace oncoatlas::datanode
