#include "dataset_controller.h"

#include "api/types.h"
#include "manager.h"
#include "resources.h"

namespace oncoatlas::op {

Assessment AssessDataset(const nlohmann::json& object, const nlohmann::json* datanode) {
  Assessment a;
  a.owns_observed_generation = false;  // the agent's: it reports on the spec
  auto dataset = api::FromJson<api::Dataset>(object);
  if (!dataset.ok()) {
    a.conditions.push_back(
        {kDataNodeFound, false, "InvalidSpec",
         "The Dataset cannot be read (" + dataset.status().message() + "); fix the manifest and apply it again."});
    return a;
  }
  const std::string& node = dataset->spec.node;
  const std::string expected_ns = NodeNamespace(node);
  if (NamespaceOf(object) != expected_ns) {
    a.conditions.push_back({kDataNodeFound, false, "NamespaceMismatch",
                            "A Dataset of DataNode \"" + node + "\" must live in namespace " + expected_ns +
                                "; create it there (spec.node cannot be changed)."});
    return a;
  }
  if (datanode == nullptr) {
    a.conditions.push_back(
        {kDataNodeFound, false, "DataNodeNotFound",
         "DataNode \"" + node + "\" does not exist; create it (kubectl get datanodes lists the existing ones)."});
    return a;
  }
  a.conditions.push_back({kDataNodeFound, true, "DataNodeFound",
                          "DataNode \"" + node + "\" exists; its agent reports ingestion in this status."});
  return a;
}

std::vector<kube::Request> DatasetsOfDataNode(const nlohmann::json& datanode, const ObjectLookup& datasets) {
  const std::string node = NameOf(datanode);
  std::vector<kube::Request> out;
  for (const ObjectPtr& ds : datasets.List()) {
    const nlohmann::json& spec = ds->value("spec", nlohmann::json::object());
    if (spec.is_object() && spec.value("node", "") == node) out.push_back({NamespaceOf(*ds), NameOf(*ds)});
  }
  return out;
}

DatasetReconciler::DatasetReconciler(const ObjectLookup& datasets, const ObjectLookup& datanodes, ReconcilerDeps deps)
    : ConditionReconciler(kDatasets, datasets, deps), datanodes_(datanodes) {}

Assessment DatasetReconciler::Assess(const nlohmann::json& dataset) {
  const nlohmann::json& spec = dataset.value("spec", nlohmann::json::object());
  const std::string node = spec.is_object() ? spec.value("node", "") : "";
  const ObjectPtr datanode = node.empty() ? nullptr : datanodes_.Get("", node);
  return AssessDataset(dataset, datanode.get());
}

kube::Controller& RegisterDatasetController(Manager& manager) {
  const ObjectLookup& datasets = manager.Cache(kDatasets);
  const ObjectLookup& datanodes = manager.Cache(kDataNodes);
  ReconcilerDeps deps{&manager.status_writer(), &manager.events(), nullptr};
  kube::Controller& controller =
      manager.AddController("dataset", std::make_unique<DatasetReconciler>(datasets, datanodes, deps));
  manager.Watch(kDatasets, controller, SelfRequest);
  manager.Watch(kDataNodes, controller,
                [&datasets](const nlohmann::json& node) { return DatasetsOfDataNode(node, datasets); });
  return controller;
}

}  // namespace oncoatlas::op
