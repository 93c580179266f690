#include "benchmark_run_controller.h"

#include <algorithm>

#include "access_grant_controller.h"
#include "api/node_contract.h"
#include "api/resources.h"
#include "api/types.h"
#include "manager.h"

namespace oncoatlas::op {

Assessment AssessBenchmarkRun(const nlohmann::json& object, const nlohmann::json* grant, const ObjectLookup& datasets) {
  Assessment a;
  auto set = [&a](bool references_ok, bool ready, const std::string& reason, const std::string& message) {
    a.conditions.push_back({kReferencesResolved, kube::ConditionStatusOf(references_ok), reason, message});
    a.conditions.push_back({kube::kConditionReady, kube::ConditionStatusOf(ready), reason, message});
  };
  auto run = api::FromJson<api::BenchmarkRun>(object);
  if (!run.ok()) {
    set(false, false, "InvalidSpec",
        "The BenchmarkRun cannot be read (" + run.status().message() + "); fix the manifest and apply it again.");
    return a;
  }
  std::vector<std::string> missing;
  std::vector<ObjectPtr> found;
  for (const api::DatasetRef& ref : run->spec.datasets) {
    ObjectPtr ds = datasets.Get(api::NodeNamespace(ref.node), ref.name);
    if (ds == nullptr) {
      missing.push_back(ref.node + "/" + ref.name);
    } else {
      found.push_back(std::move(ds));
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    set(false, false, "DatasetNotFound",
        "Datasets not found: " + list + " (node/name); create them or remove them from spec.datasets.");
    return a;
  }
  const std::string& grant_name = run->spec.grant_ref.name;
  const std::string ns = kube::NamespaceOf(object);
  if (grant == nullptr) {
    set(false, false, "AccessGrantNotFound",
        "AccessGrant " + ns + "/" + grant_name + " does not exist; create it or set spec.grantRef to an existing one.");
    return a;
  }
  for (const ObjectPtr& ds : found) {
    if (!GrantCoversDataset(*grant, *ds)) {
      set(false, false, "DatasetNotCoveredByGrant",
          "AccessGrant " + grant_name + " does not cover Dataset " + kube::NamespaceOf(*ds) + "/" + kube::NameOf(*ds) +
              "; add it to the grant's datasets or use a grant that covers it.");
      return a;
    }
  }
  const nlohmann::json permissions = grant->contains("spec")
                                         ? (*grant)["spec"].value("permissions", nlohmann::json::array())
                                         : nlohmann::json::array();
  if (!permissions.is_array() ||
      std::find(permissions.begin(), permissions.end(), nlohmann::json("Process")) == permissions.end()) {
    set(false, false, "GrantLacksProcessPermission",
        "AccessGrant " + grant_name + " does not allow Process; benchmark runs need a grant with permission Process.");
    return a;
  }
  const nlohmann::json grant_ready = kube::FindCondition(*grant, kube::kConditionReady);
  if (!grant_ready.is_object() || grant_ready.value("status", "") != "True") {
    const std::string why = grant_ready.is_object() ? " (" + grant_ready.value("reason", "") + ")" : "";
    set(true, false, "GrantNotActive",
        "AccessGrant " + grant_name + " is not active" + why + "; the run waits until the grant is Ready.");
    return a;
  }
  set(true, true, "Accepted", "Datasets and grant are in order.");
  return a;
}

namespace {

bool RunNamesDataset(const nlohmann::json& run, const std::string& node, const std::string& name) {
  if (!run.contains("spec") || !run["spec"].is_object()) return false;
  const nlohmann::json datasets = run["spec"].value("datasets", nlohmann::json::array());
  if (!datasets.is_array()) return false;
  for (const nlohmann::json& ref : datasets) {
    if (ref.is_object() && ref.value("node", "") == node && ref.value("name", "") == name) return true;
  }
  return false;
}

std::string GrantRefOf(const nlohmann::json& run) {
  if (!run.contains("spec") || !run["spec"].is_object()) return "";
  const nlohmann::json ref = run["spec"].value("grantRef", nlohmann::json::object());
  return ref.is_object() ? ref.value("name", "") : "";
}

}  // namespace

std::vector<kube::Request> RunsOfGrant(const nlohmann::json& grant, const ObjectLookup& runs) {
  std::vector<kube::Request> out;
  for (const ObjectPtr& run : runs.List()) {
    if (kube::NamespaceOf(*run) == kube::NamespaceOf(grant) && GrantRefOf(*run) == kube::NameOf(grant)) {
      out.push_back({kube::NamespaceOf(*run), kube::NameOf(*run)});
    }
  }
  return out;
}

std::vector<kube::Request> RunsOfDataset(const nlohmann::json& dataset, const ObjectLookup& runs) {
  const nlohmann::json spec = dataset.value("spec", nlohmann::json::object());
  const std::string node = spec.is_object() ? spec.value("node", "") : "";
  std::vector<kube::Request> out;
  for (const ObjectPtr& run : runs.List()) {
    if (RunNamesDataset(*run, node, kube::NameOf(dataset)))
      out.push_back({kube::NamespaceOf(*run), kube::NameOf(*run)});
  }
  return out;
}

BenchmarkRunReconciler::BenchmarkRunReconciler(const ObjectLookup& runs, const ObjectLookup& grants,
                                               const ObjectLookup& datasets, ReconcilerDeps deps)
    : ConditionReconciler(api::kBenchmarkRuns, runs, deps), grants_(grants), datasets_(datasets) {}

Assessment BenchmarkRunReconciler::Assess(const nlohmann::json& run) {
  const std::string grant_name = GrantRefOf(run);
  const ObjectPtr grant = grant_name.empty() ? nullptr : grants_.Get(kube::NamespaceOf(run), grant_name);
  return AssessBenchmarkRun(run, grant.get(), datasets_);
}

kube::Controller& RegisterBenchmarkRunController(Manager& manager) {
  const ObjectLookup& runs = manager.Cache(api::kBenchmarkRuns);
  const ObjectLookup& grants = manager.Cache(api::kAccessGrants);
  const ObjectLookup& datasets = manager.Cache(api::kDatasets);
  ReconcilerDeps deps{&manager.status_writer(), &manager.events(), nullptr};
  kube::Controller& controller =
      manager.AddController("benchmarkrun", std::make_unique<BenchmarkRunReconciler>(runs, grants, datasets, deps));
  manager.Watch(api::kBenchmarkRuns, controller, SelfRequest);
  manager.Watch(api::kAccessGrants, controller,
                [&runs](const nlohmann::json& grant) { return RunsOfGrant(grant, runs); });
  manager.Watch(api::kDatasets, controller, [&runs](const nlohmann::json& ds) { return RunsOfDataset(ds, runs); });
  return controller;
}

}  // namespace oncoatlas::op
