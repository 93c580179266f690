#include "datanode/node_status.h"

#include <sstream>
#include <vector>

#include "api/node_contract.h"
#include "kube/conditions.h"
#include "kube/lease_json.h"
#include "kube/object_meta.h"
#include "kube/rfc3339.h"

namespace oncoatlas::datanode {
namespace {

using Json = nlohmann::json;

using Cond = kube::ConditionSpec;

std::vector<std::string> SplitCapabilities(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(' ');
    const auto e = item.find_last_not_of(' ');
    if (b == std::string::npos) continue;
    item = item.substr(b, e - b + 1);
    bool seen = false;
    for (const auto& o : out) seen = seen || o == item;
    if (!seen && out.size() < 64) out.push_back(item);
  }
  return out;
}

}  // namespace

NodeStatusResult ComputeNodeStatus(const NodeObservation& o, const Json& previous,
                                   std::chrono::system_clock::time_point now) {
  NodeStatusResult result;
  Json status = Json::object();
  status["observedGeneration"] = o.generation;
  if (!o.hub_namespace.empty()) status["namespace"] = o.hub_namespace;
  if (!o.credential_expiry.empty()) status["credentialExpiry"] = o.credential_expiry;
  if (o.dataset_count) status["datasetCount"] = *o.dataset_count;

  Cond deployed{"AgentDeployed", o.deployed ? "True" : "False", o.deploy_reason, o.deploy_message};
  if (o.deployed && deployed.reason.empty()) deployed.reason = "Deployed";

  Cond connected{kConditionAgentConnected, "False", "NoHeartbeat",
                 "the agent has not reported in yet: no heartbeat Lease in " + o.hub_namespace +
                     "; check that the agent runs at the site and reaches the hub"};
  Cond pacs{"PACSReachable", "Unknown", "NoReport", "the agent has not reported on its PACS yet"};
  bool ever_connected = false;
  if (o.lease.is_object()) {
    auto record = kube::LeaseFromJson(o.lease);
    if (record.ok() && record->renew_time) {
      ever_connected = true;
      const auto renew = *record->renew_time;
      const auto duration =
          std::chrono::seconds(record->lease_duration_seconds > 0 ? record->lease_duration_seconds : 1);
      status["lastHeartbeat"] = kube::FormatTime(renew);
      if (const auto v = kube::AnnotationOf(o.lease, api::kAgentVersionAnnotation); !v.empty())
        status["agentVersion"] = v;
      if (const auto caps = SplitCapabilities(kube::AnnotationOf(o.lease, api::kCapabilitiesAnnotation));
          !caps.empty()) {
        status["capabilities"] = caps;
      }
      const auto expires = renew + duration;
      if (now <= expires) {
        connected = {kConditionAgentConnected, "True", "HeartbeatFresh",
                     "the agent " + record->holder_identity + " renewed its heartbeat at " + kube::FormatTime(renew)};
        result.recheck_after = expires - now + std::chrono::seconds(1);
        const std::string reachable = kube::AnnotationOf(o.lease, api::kPacsReachableAnnotation);
        const std::string message = kube::AnnotationOf(o.lease, api::kPacsMessageAnnotation);
        const std::string checked = kube::AnnotationOf(o.lease, api::kPacsCheckedAtAnnotation);
        if (reachable == "true") {
          pacs = {"PACSReachable", "True", "PACSReachable",
                  message.empty() ? "the agent reaches its PACS" + (checked.empty() ? "" : " (checked " + checked + ")")
                                  : message};
        } else if (reachable == "false") {
          pacs = {"PACSReachable", "False", "PACSUnreachable",
                  (message.empty() ? std::string("the agent cannot reach its PACS") : message) +
                      (checked.empty() ? "" : " (checked " + checked + ")")};
        }
      } else {
        connected = {kConditionAgentConnected, "False", kReasonHeartbeatStale,
                     "the agent's last heartbeat was at " + kube::FormatTime(renew) + ", older than its lease of " +
                         std::to_string(duration.count()) + "s; check that the agent process runs and reaches the hub"};
        pacs = {"PACSReachable", "Unknown", "AgentNotConnected",
                "the agent does not report in, so its PACS reachability is unknown"};
      }
    } else {
      connected = {kConditionAgentConnected, "False", "HeartbeatInvalid",
                   "the heartbeat Lease in " + o.hub_namespace + " has no valid spec.renewTime"};
    }
  }

  Cond ready{"Ready", "True", "Ready", "the agent is deployed, reports in and reaches its PACS"};
  for (const Cond* c : {&deployed, &connected, &pacs}) {
    if (c->status != "True") {
      ready = {"Ready", "False", c->reason, c->type + ": " + c->message};
      break;
    }
  }
  if (!o.deletion_reason.empty()) ready = {"Ready", "False", o.deletion_reason, o.deletion_message};

  std::string phase;
  if (!o.deployed) {
    phase = "Deploying";
  } else if (connected.status == "True") {
    phase = pacs.status == "False" ? "Degraded" : "Connected";
  } else {
    phase = ever_connected ? "Disconnected" : "Deploying";
  }
  status["phase"] = phase;

  if (previous.is_object() && previous.contains("conditions")) status["conditions"] = previous["conditions"];
  result.changes = kube::SetConditions(status, {deployed, connected, pacs, ready}, o.generation, now);
  result.status = std::move(status);
  return result;
}

void KeepDeployment(const Json& previous, NodeObservation& o) {
  const Json deployed = kube::FindCondition(Json{{"status", previous}}, "AgentDeployed");
  if (deployed.is_object()) {
    o.deployed = deployed.value("status", "") == kube::kConditionTrue;
    o.deploy_reason = deployed.value("reason", "");
    o.deploy_message = deployed.value("message", "");
  }
  if (previous.is_object()) o.credential_expiry = previous.value("credentialExpiry", "");
}

}  // namespace oncoatlas::datanode
