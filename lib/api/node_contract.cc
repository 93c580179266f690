#include "api/node_contract.h"

namespace oncoatlas::api {

std::string NodeNamespace(const std::string& node) { return kNodeNamespacePrefix + node; }

std::string NodeOfNamespace(const std::string& ns) {
  const std::string prefix = kNodeNamespacePrefix;
  if (ns.size() <= prefix.size() || ns.compare(0, prefix.size(), prefix) != 0) return "";
  return ns.substr(prefix.size());
}

const std::vector<RbacRule>& AgentHubRules() {
  static const std::vector<RbacRule> kRules = {
      {{"oncoatlas.io"}, {"datasets"}, {"get", "list", "watch"}},
      {{"oncoatlas.io"}, {"datasets/status"}, {"update"}},
      {{""}, {"secrets"}, {"get"}},
      {{"coordination.k8s.io"}, {"leases"}, {"get", "create", "update"}},
  };
  return kRules;
}

nlohmann::json AgentHubRulesJson() {
  nlohmann::json rules = nlohmann::json::array();
  for (const RbacRule& r : AgentHubRules()) {
    rules.push_back({{"apiGroups", r.api_groups}, {"resources", r.resources}, {"verbs", r.verbs}});
  }
  return rules;
}

}  // namespace oncoatlas::api
