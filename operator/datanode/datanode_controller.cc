#include "datanode/datanode_controller.h"

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

std::string Label(const kube::Json& object, const char* key) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return "";
  const auto& m = object["metadata"];
  if (auto l = m.find("labels"); l != m.end() && l->is_object()) {
    if (auto v = l->find(key); v != l->end() && v->is_string()) return v->get<std::string>();
  }
  return "";
}

std::string MetadataField(const kube::Json& object, const char* key) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return "";
  return object["metadata"].value(key, "");
}

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

  auto& datanodes = AddInformer(Watch(gvr::kDataNodes),
                                [enqueue_node](const kube::Json& o) { enqueue_node(MetadataField(o, "name")); });
  const std::string managed = std::string("app.kubernetes.io/managed-by=") + kManagedBy;
  ReconcilerCaches caches;
  caches.datanodes = &datanodes.store();
  for (const auto* g :
       {&gvr::kNamespaces, &gvr::kServiceAccounts, &gvr::kRoles, &gvr::kRoleBindings, &gvr::kConfigMaps, &gvr::kSecrets,
        &gvr::kPersistentVolumeClaims, &gvr::kServices, &gvr::kNetworkPolicies, &gvr::kDeployments}) {
    auto& informer =
        AddInformer(Watch(*g, managed), [enqueue_node](const kube::Json& o) { enqueue_node(Label(o, kNodeLabel)); });
    caches.managed[g->Name()] = &informer.store();
  }
  caches.leases =
      &AddInformer(Watch(gvr::kLeases, "", std::string("metadata.name=") + kHeartbeatLease), [enqueue_node](
                                                                                                 const kube::Json& o) {
         enqueue_node(NodeOfNamespace(MetadataField(o, "namespace")));
       }).store();
  caches.datasets = &AddInformer(Watch(gvr::kDatasets), [enqueue_node](const kube::Json& o) {
                       enqueue_node(NodeOfNamespace(MetadataField(o, "namespace")));
                     }).store();
  const kube::Store* nodes = &datanodes.store();
  auto& kubeconfigs = AddInformer(Watch(gvr::kSecrets, "", "", options_.reconciler.operator_namespace),
                                  [this, nodes](const kube::Json& secret) {
                                    const std::string name = MetadataField(secret, "name");
                                    for (const auto& node : nodes->List()) {
                                      const auto& spec = (*node)["spec"];
                                      if (spec.is_object() && spec.contains("cluster") && spec["cluster"].is_object() &&
                                          spec["cluster"].contains("remote") && spec["cluster"]["remote"].is_object()) {
                                        const auto& ref = spec["cluster"]["remote"]["kubeconfigSecretRef"];
                                        if (ref.is_object() && ref.value("name", "") == name && controller_) {
                                          controller_->Enqueue({"", MetadataField(*node, "name")});
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
