#include "datanode_controller.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "api/node_contract.h"
#include "api/resources.h"
#include "kube/client_config.h"
#include "kube/core_resources.h"
#include "manager.h"

namespace oncoatlas::op {
namespace {

// What the reconciler renders, on the hub and at a local site.
const kube::GroupVersionResource* const kManagedResources[] = {&kube::core::kNamespaces,
                                                               &kube::core::kServiceAccounts,
                                                               &kube::core::kRoles,
                                                               &kube::core::kRoleBindings,
                                                               &kube::core::kConfigMaps,
                                                               &kube::core::kSecrets,
                                                               &kube::core::kPersistentVolumeClaims,
                                                               &kube::core::kServices,
                                                               &kube::core::kNetworkPolicies,
                                                               &kube::core::kDeployments};

std::vector<kube::Request> Node(const std::string& name) {
  if (name.empty()) return {};
  return {kube::Request{"", name}};
}

}  // namespace

Result<datanode::ReconcilerOptions> DataNodeReconcilerOptions(const OperatorOptions& options,
                                                              const kube::ClientConfig& own,
                                                              const std::string& operator_namespace) {
  datanode::ReconcilerOptions r;
  r.operator_namespace = operator_namespace;
  r.token_lifetime = options.agent_token_lifetime;
  r.site_resync = options.site_resync_period;
  r.render.default_agent_image = options.agent_image;
  r.render.lease_duration_seconds = static_cast<int>(options.agent_lease_duration.count());
  r.render.lease_renew_interval_seconds = static_cast<int>(options.agent_renew_interval.count());
  r.render.pacs_check_interval_seconds = static_cast<int>(options.pacs_check_interval.count());

  if (options.hub_server.empty()) {
    r.render.local_hub_server = own.ServerUrl();
  } else {
    kube::ClientConfig parsed;
    if (Status s = kube::ParseServerUrl(options.hub_server, parsed); !s.ok()) {
      return InvalidArgumentError("invalid value \"" + options.hub_server + "\" for --hub-server: " + s.message() +
                                  "; give the hub API server's https URL, e.g. https://10.0.0.1:6443");
    }
    r.render.local_hub_server = options.hub_server;
  }

  if (options.hub_ca_file.empty()) {
    r.render.hub_ca_pem = own.ca_pem;
  } else {
    std::ifstream in(options.hub_ca_file, std::ios::binary);
    std::ostringstream text;
    if (in.is_open()) text << in.rdbuf();
    if (!in.is_open() || in.bad()) {
      return InvalidArgumentError("cannot read --hub-ca-file " + options.hub_ca_file +
                                  "; give the path of a readable PEM file with the hub API server's CA");
    }
    r.render.hub_ca_pem = text.str();
    if (r.render.hub_ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return InvalidArgumentError("--hub-ca-file " + options.hub_ca_file +
                                  " holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the hub API "
                                  "server's CA certificate");
    }
  }
  if (r.render.hub_ca_pem.empty()) {
    return InvalidArgumentError("the operator's own connection has no CA to hand to the agents; give --hub-ca-file");
  }
  return r;
}

std::vector<kube::Request> DataNodesOfKubeconfigSecret(const nlohmann::json& secret, const ObjectLookup& datanodes) {
  const std::string name = kube::NameOf(secret);
  std::vector<kube::Request> out;
  for (const ObjectPtr& node : datanodes.List()) {
    const nlohmann::json ref =
        node->value(nlohmann::json::json_pointer("/spec/cluster/remote/kubeconfigSecretRef"), nlohmann::json());
    if (ref.is_object() && ref.value("name", "") == name) out.push_back({"", kube::NameOf(*node)});
  }
  return out;
}

Status RegisterDataNodeController(Manager& manager) {
  auto options = DataNodeReconcilerOptions(manager.options(), manager.client().config(), manager.operator_namespace());
  if (!options.ok()) return options.status();
  RegisterDataNodeController(manager, std::move(options).value());
  return Status::Ok();
}

kube::Controller& RegisterDataNodeController(Manager& manager, datanode::ReconcilerOptions options) {
  const CacheScope managed{kAllNamespaces, std::string("app.kubernetes.io/managed-by=") + datanode::kManagedBy, ""};
  const CacheScope leases{kAllNamespaces, "", std::string("metadata.name=") + api::kHeartbeatLease};
  const CacheScope kubeconfigs{{options.operator_namespace}, "", ""};
  const CacheScope everywhere{kAllNamespaces, "", ""};
  datanode::ReconcilerCaches caches;
  caches.datanodes = &manager.Cache(api::kDataNodes);
  caches.leases = &manager.Cache(kube::core::kLeases, leases);
  caches.datasets = &manager.Cache(api::kDatasets, everywhere);
  caches.kubeconfigs = &manager.Cache(kube::core::kSecrets, kubeconfigs);
  for (const kube::GroupVersionResource* gvr : kManagedResources) {
    caches.managed[gvr->Name()] = &manager.Cache(*gvr, managed);
  }
  const ObjectLookup& datanodes = *caches.datanodes;
  const ReconcilerDeps deps{&manager.status_writer(), &manager.events(), nullptr};
  kube::Controller& controller = manager.AddController(
      "datanode",
      std::make_unique<datanode::DataNodeReconciler>(manager.shared_client(), std::move(options), caches, deps));

  manager.Watch(api::kDataNodes, controller, SelfRequest);
  for (const kube::GroupVersionResource* gvr : kManagedResources) {
    manager.Watch(
        *gvr, controller, [](const nlohmann::json& o) { return Node(kube::LabelOf(o, api::kNodeLabel)); }, managed);
  }
  const auto by_node_namespace = [](const nlohmann::json& o) {
    return Node(api::NodeOfNamespace(kube::NamespaceOf(o)));
  };
  manager.Watch(kube::core::kLeases, controller, by_node_namespace, leases);
  manager.Watch(api::kDatasets, controller, by_node_namespace, everywhere);
  manager.Watch(
      kube::core::kSecrets, controller,
      [&datanodes](const nlohmann::json& secret) { return DataNodesOfKubeconfigSecret(secret, datanodes); },
      kubeconfigs);
  return controller;
}

}  // namespace oncoatlas::op
