#include "datanode_controller.h"

#include "api/types.h"
#include "kube/core_resources.h"
#include "manager.h"
#include "resources.h"

namespace oncoatlas::op {

std::string KubeconfigSecretName(const nlohmann::json& datanode) {
  const nlohmann::json* p = &datanode;
  for (const char* key : {"spec", "cluster", "remote", "kubeconfigSecretRef"}) {
    if (!p->is_object() || !p->contains(key)) return "";
    p = &(*p)[key];
  }
  return p->is_object() ? p->value("name", "") : "";
}

Assessment AssessDataNode(const nlohmann::json& object, const nlohmann::json* secret,
                          const std::string& secret_namespace) {
  Assessment a;
  auto node = api::FromJson<api::DataNode>(object);
  auto both = [&a](bool ok, const std::string& reason, const std::string& message) {
    a.conditions.push_back({kClusterConfigured, ok, reason, message});
    a.conditions.push_back({kReady, ok, reason, message});
  };
  if (!node.ok()) {
    both(false, "InvalidSpec",
         "The DataNode cannot be read (" + node.status().message() + "); fix the manifest and apply it again.");
    return a;
  }
  const api::ClusterPlacement& cluster = node->spec.cluster;
  if (cluster.local) {
    both(true, "LocalCluster", "The agent runs in this cluster; agent deployment is not managed yet.");
    return a;
  }
  if (!cluster.remote) {
    both(false, "NoClusterPlacement", "Set spec.cluster.local or spec.cluster.remote.");
    return a;
  }
  const api::KeyRef& ref = cluster.remote->kubeconfig_secret_ref;
  const std::string key = ref.key.value_or("kubeconfig");
  const std::string where = "Secret " + secret_namespace + "/" + ref.name;
  if (secret == nullptr) {
    both(false, "KubeconfigSecretNotFound",
         where + " does not exist; create it with the site cluster's kubeconfig: kubectl -n " + secret_namespace +
             " create secret generic " + ref.name + " --from-file=" + key + "=<kubeconfig file>");
    return a;
  }
  const nlohmann::json& data = secret->value("data", nlohmann::json::object());
  if (!data.is_object() || !data.contains(key)) {
    both(false, "KubeconfigKeyMissing",
         where + " has no key \"" + key + "\"; add the kubeconfig under that key or set kubeconfigSecretRef.key.");
    return a;
  }
  both(true, "KubeconfigSecretFound",
       where + " holds the site cluster's kubeconfig; agent deployment is not managed yet.");
  return a;
}

std::vector<kube::Request> DataNodesOfSecret(const nlohmann::json& secret, const ObjectLookup& datanodes) {
  const std::string name = NameOf(secret);
  std::vector<kube::Request> out;
  for (const ObjectPtr& node : datanodes.List()) {
    if (KubeconfigSecretName(*node) == name) out.push_back({"", NameOf(*node)});
  }
  return out;
}

DataNodeReconciler::DataNodeReconciler(const ObjectLookup& datanodes, const ObjectLookup& secrets,
                                       std::string secret_namespace, ReconcilerDeps deps)
    : ConditionReconciler(kDataNodes, datanodes, deps),
      secrets_(secrets),
      secret_namespace_(std::move(secret_namespace)) {}

Assessment DataNodeReconciler::Assess(const nlohmann::json& datanode) {
  const std::string secret_name = KubeconfigSecretName(datanode);
  const ObjectPtr secret = secret_name.empty() ? nullptr : secrets_.Get(secret_namespace_, secret_name);
  return AssessDataNode(datanode, secret.get(), secret_namespace_);
}

kube::Controller& RegisterDataNodeController(Manager& manager) {
  const std::vector<std::string> secret_ns = {manager.operator_namespace()};
  const ObjectLookup& datanodes = manager.Cache(kDataNodes);
  const ObjectLookup& secrets = manager.Cache(kube::core::kSecrets, secret_ns);
  ReconcilerDeps deps{&manager.status_writer(), &manager.events(), nullptr};
  kube::Controller& controller = manager.AddController(
      "datanode", std::make_unique<DataNodeReconciler>(datanodes, secrets, manager.operator_namespace(), deps));
  manager.Watch(kDataNodes, controller, SelfRequest);
  manager.Watch(
      kube::core::kSecrets, controller,
      [&datanodes](const nlohmann::json& secret) { return DataNodesOfSecret(secret, datanodes); }, secret_ns);
  return controller;
}

}  // namespace oncoatlas::op
