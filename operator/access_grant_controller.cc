#include "access_grant_controller.h"

#include <algorithm>
#include <set>

#include "api/node_contract.h"
#include "api/resources.h"
#include "api/types.h"
#include "kube/rfc3339.h"
#include "label_selector.h"
#include "manager.h"

namespace oncoatlas::op {
namespace {

// Long waits are cut: the decision is re-made at least this often.
constexpr kube::Clock::Duration kMaxRequeue = std::chrono::hours(12);

const nlohmann::json& Field(const nlohmann::json& object, std::initializer_list<const char*> path) {
  static const nlohmann::json kNull;
  const nlohmann::json* p = &object;
  for (const char* key : path) {
    if (!p->is_object()) return kNull;
    auto it = p->find(key);
    if (it == p->end()) return kNull;
    p = &*it;
  }
  return *p;
}

std::string DatasetNode(const nlohmann::json& dataset) {
  const nlohmann::json& node = Field(dataset, {"spec", "node"});
  return node.is_string() ? node.get<std::string>() : "";
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

bool GrantCoversDataset(const nlohmann::json& grant, const nlohmann::json& dataset) {
  const std::string node = DatasetNode(dataset);
  const std::string name = kube::NameOf(dataset);
  const nlohmann::json& names = Field(grant, {"spec", "datasets", "names"});
  if (names.is_array()) {
    for (const nlohmann::json& ref : names) {
      if (ref.is_object() && ref.value("node", "") == node && ref.value("name", "") == name) return true;
    }
  }
  const nlohmann::json& selector = Field(grant, {"spec", "datasets", "selector"});
  return selector.is_object() && SelectorMatches(selector, dataset);
}

GrantDatasets ResolveGrantDatasets(const nlohmann::json& grant, const ObjectLookup& datasets) {
  std::set<std::string> found;
  std::vector<std::string> missing;
  const nlohmann::json& names = Field(grant, {"spec", "datasets", "names"});
  if (names.is_array()) {
    for (const nlohmann::json& ref : names) {
      if (!ref.is_object()) continue;
      const std::string node = ref.value("node", "");
      const std::string name = ref.value("name", "");
      const ObjectPtr ds = datasets.Get(api::NodeNamespace(node), name);
      if (ds != nullptr && DatasetNode(*ds) == node) {
        found.insert(node + "/" + name);
      } else {
        missing.push_back(node + "/" + name);
      }
    }
  }
  const nlohmann::json& selector = Field(grant, {"spec", "datasets", "selector"});
  if (selector.is_object()) {
    for (const ObjectPtr& ds : datasets.List()) {
      if (SelectorMatches(selector, *ds)) found.insert(DatasetNode(*ds) + "/" + kube::NameOf(*ds));
    }
  }
  return {std::vector<std::string>(found.begin(), found.end()), missing};
}

Assessment AssessAccessGrant(const nlohmann::json& object, const GrantDatasets& datasets,
                             std::chrono::system_clock::time_point now) {
  Assessment a;
  auto grant = api::FromJson<api::AccessGrant>(object);
  if (!grant.ok()) {
    const std::string message =
        "The AccessGrant cannot be read (" + grant.status().message() + "); fix the manifest and apply it again.";
    a.conditions.push_back({kDatasetsResolved, kube::kConditionFalse, "InvalidSpec", message});
    a.conditions.push_back({kube::kConditionReady, kube::kConditionFalse, "InvalidSpec", message});
    return a;
  }
  a.fields["datasetCount"] = static_cast<std::int64_t>(datasets.found.size());

  std::optional<kube::ConditionSpec> blocker;
  if (!datasets.missing.empty()) {
    const std::string message = "Datasets not found: " + Join(datasets.missing) +
                                " (node/name, in namespace oncoatlas-node-<node>); create them or remove them "
                                "from spec.datasets.names.";
    a.conditions.push_back({kDatasetsResolved, kube::kConditionFalse, "DatasetNotFound", message});
    blocker = kube::ConditionSpec{kube::kConditionReady, kube::kConditionFalse, "DatasetNotFound", message};
  } else if (datasets.found.empty()) {
    const std::string message =
        "No Dataset matches spec.datasets; name Datasets or change the selector so it matches their labels.";
    a.conditions.push_back({kDatasetsResolved, kube::kConditionFalse, "NoDatasets", message});
    blocker = kube::ConditionSpec{kube::kConditionReady, kube::kConditionFalse, "NoDatasets", message};
  } else {
    a.conditions.push_back({kDatasetsResolved, kube::kConditionTrue, "DatasetsFound",
                            std::to_string(datasets.found.size()) + " Datasets found: " + Join(datasets.found) + "."});
  }

  const auto from = kube::ParseTime(grant->spec.valid_from);
  const auto until = kube::ParseTime(grant->spec.valid_until);
  if (!blocker && until && now >= *until) {
    blocker =
        kube::ConditionSpec{kube::kConditionReady, kube::kConditionFalse, "Expired",
                            "The grant expired at " + grant->spec.valid_until + "; request a new grant to continue."};
  } else if (!blocker && from && now < *from) {
    blocker = kube::ConditionSpec{kube::kConditionReady, kube::kConditionFalse, "NotYetValid",
                                  "The grant becomes valid at " + grant->spec.valid_from + "."};
  }
  // Re-decide when the window opens or closes.
  if (from && now < *from) {
    a.requeue_after = std::chrono::duration_cast<kube::Clock::Duration>(*from - now) + std::chrono::seconds(1);
  } else if (until && now < *until) {
    a.requeue_after = std::chrono::duration_cast<kube::Clock::Duration>(*until - now) + std::chrono::seconds(1);
  }
  if (a.requeue_after && *a.requeue_after > kMaxRequeue) a.requeue_after = kMaxRequeue;
  if (!blocker) {
    blocker =
        kube::ConditionSpec{kube::kConditionReady, kube::kConditionFalse, "PolicyEvaluationPending",
                            "References and validity window are in order; this operator version does not evaluate "
                            "AccessPolicies or approvals yet, so the grant gives no access."};
  }
  a.conditions.push_back(*blocker);
  return a;
}

std::vector<kube::Request> GrantsOfDataset(const nlohmann::json& dataset, const ObjectLookup& grants) {
  std::vector<kube::Request> out;
  for (const ObjectPtr& grant : grants.List()) {
    // A grant with a selector may start or stop matching on a label change;
    // re-deciding it is cheap, so every selecting grant is re-enqueued.
    if (GrantCoversDataset(*grant, dataset) || Field(*grant, {"spec", "datasets", "selector"}).is_object()) {
      out.push_back({kube::NamespaceOf(*grant), kube::NameOf(*grant)});
    }
  }
  return out;
}

AccessGrantReconciler::AccessGrantReconciler(const ObjectLookup& grants, const ObjectLookup& datasets,
                                             ReconcilerDeps deps)
    : ConditionReconciler(api::kAccessGrants, grants, deps), datasets_(datasets) {}

Assessment AccessGrantReconciler::Assess(const nlohmann::json& grant) {
  return AssessAccessGrant(grant, ResolveGrantDatasets(grant, datasets_), clock().WallNow());
}

kube::Controller& RegisterAccessGrantController(Manager& manager) {
  const ObjectLookup& grants = manager.Cache(api::kAccessGrants);
  const ObjectLookup& datasets = manager.Cache(api::kDatasets);
  ReconcilerDeps deps{&manager.status_writer(), &manager.events(), nullptr};
  kube::Controller& controller =
      manager.AddController("accessgrant", std::make_unique<AccessGrantReconciler>(grants, datasets, deps));
  manager.Watch(api::kAccessGrants, controller, SelfRequest);
  manager.Watch(api::kDatasets, controller,
                [&grants](const nlohmann::json& dataset) { return GrantsOfDataset(dataset, grants); });
  return controller;
}

}  // namespace oncoatlas::op
