#include "dataset_controller.h"

#include "api/node_contract.h"
#include "api/resources.h"
#include "api/types.h"
#include "datanode/node_status.h"
#include "kube/conditions.h"
#include "manager.h"

namespace oncoatlas::op {

Assessment AssessDataset(const nlohmann::json& object, const nlohmann::json* datanode) {
  Assessment a;
  a.owns_observed_generation = false;  // the agent's: it reports on the spec
  auto dataset = api::FromJson<api::Dataset>(object);
  if (!dataset.ok()) {
    a.conditions.push_back(
        {kDataNodeFound, kube::kConditionFalse, "InvalidSpec",
         "The Dataset cannot be read (" + dataset.status().message() + "); fix the manifest and apply it again."});
    return a;
  }
  const std::string& node = dataset->spec.node;
  const std::string expected_ns = api::NodeNamespace(node);
  if (kube::NamespaceOf(object) != expected_ns) {
    a.conditions.push_back({kDataNodeFound, kube::kConditionFalse, "NamespaceMismatch",
                            "A Dataset of DataNode \"" + node + "\" must live in namespace " + expected_ns +
                                "; create it there (spec.node cannot be changed)."});
    return a;
  }
  if (datanode == nullptr) {
    a.conditions.push_back(
        {kDataNodeFound, kube::kConditionFalse, "DataNodeNotFound",
         "DataNode \"" + node + "\" does not exist; create it (kubectl get datanodes lists the existing ones)."});
    return a;
  }
  a.conditions.push_back({kDataNodeFound, kube::kConditionTrue, "DataNodeFound",
                          "DataNode \"" + node + "\" exists; its agent reports ingestion in this status."});

  // Whether the node's agent reports in: the DataNode's AgentConnected
  // condition (from its heartbeat), never its phase, which only summarises it.
  const nlohmann::json connected = kube::FindCondition(*datanode, datanode::kConditionAgentConnected);
  const std::string connected_status = connected.is_object() ? connected.value("status", "") : "";
  const std::string connected_reason = connected.is_object() ? connected.value("reason", "") : "";
  const nlohmann::json& status = object.value("status", nlohmann::json::object());
  const std::string phase = status.is_object() ? status.value("phase", "") : "";
  if (connected_status == kube::kConditionFalse && connected_reason == datanode::kReasonHeartbeatStale) {
    a.conditions.push_back({kNodeConnected, kube::kConditionFalse, "NodeDisconnected",
                            "DataNode \"" + node +
                                "\" is Disconnected (no heartbeat from its agent): this collection can be neither "
                                "ingested nor served until the agent reports in again; see kubectl describe datanode " +
                                node + "."});
    a.fields["phase"] = "Suspended";
    return a;
  }
  if (connected_status == kube::kConditionTrue) {
    a.conditions.push_back({kNodeConnected, kube::kConditionTrue, "NodeConnected",
                            "DataNode \"" + node + "\" is connected: its agent reports in."});
  } else {
    a.conditions.push_back(
        {kNodeConnected, kube::kConditionFalse, "NodeNotConnected",
         "DataNode \"" + node +
             "\" has no agent reporting in yet: its agent ingests this Dataset once it reports in."});
  }
  if (phase == "Suspended") a.fields["phase"] = PhaseFromAgentConditions(status);
  return a;
}

std::string PhaseFromAgentConditions(const nlohmann::json& status) {
  const nlohmann::json& conditions = status.value("conditions", nlohmann::json::array());
  if (!conditions.is_array()) return "Pending";
  for (const nlohmann::json& c : conditions) {
    if (!c.is_object() || c.value("type", "") != "Ready") continue;
    if (c.value("status", "") == "True") return "Ready";
    const std::string reason = c.value("reason", "");
    if (reason == "Ingesting") return "Ingesting";
    if (reason == "Pending" || reason == "KeySecretNotFound" || reason == "KeySecretInvalid") return "Pending";
    return "Failed";
  }
  return "Pending";
}

std::vector<kube::Request> DatasetsOfDataNode(const nlohmann::json& datanode, const ObjectLookup& datasets) {
  const std::string node = kube::NameOf(datanode);
  std::vector<kube::Request> out;
  for (const ObjectPtr& ds : datasets.List()) {
    const nlohmann::json& spec = ds->value("spec", nlohmann::json::object());
    if (spec.is_object() && spec.value("node", "") == node) out.push_back({kube::NamespaceOf(*ds), kube::NameOf(*ds)});
  }
  return out;
}

DatasetReconciler::DatasetReconciler(const ObjectLookup& datasets, const ObjectLookup& datanodes, ReconcilerDeps deps)
    : ConditionReconciler(api::kDatasets, datasets, deps), datanodes_(datanodes) {}

Assessment DatasetReconciler::Assess(const nlohmann::json& dataset) {
  const nlohmann::json& spec = dataset.value("spec", nlohmann::json::object());
  const std::string node = spec.is_object() ? spec.value("node", "") : "";
  const ObjectPtr datanode = node.empty() ? nullptr : datanodes_.Get("", node);
  return AssessDataset(dataset, datanode.get());
}

kube::Controller& RegisterDatasetController(Manager& manager) {
  const ObjectLookup& datasets = manager.Cache(api::kDatasets);
  const ObjectLookup& datanodes = manager.Cache(api::kDataNodes);
  ReconcilerDeps deps{&manager.status_writer(), &manager.events(), nullptr};
  kube::Controller& controller =
      manager.AddController("dataset", std::make_unique<DatasetReconciler>(datasets, datanodes, deps));
  manager.Watch(api::kDatasets, controller, SelfRequest);
  manager.Watch(api::kDataNodes, controller,
                [&datasets](const nlohmann::json& node) { return DatasetsOfDataNode(node, datasets); });
  return controller;
}

}  // namespace oncoatlas::op
