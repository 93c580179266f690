#include "datanode/node_status.h"

#include <gtest/gtest.h>

#include "kube/lease_json.h"

namespace oncoatlas::datanode {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow = Clock::from_time_t(1900000000);

nlohmann::json Lease(Clock::time_point renew, int duration, const std::string& pacs_reachable = "",
                     const std::string& pacs_message = "") {
  nlohmann::json l = {{"apiVersion", "coordination.k8s.io/v1"},
                      {"kind", "Lease"},
                      {"metadata", {{"name", "oncoatlas-agent"}, {"namespace", "oncoatlas-node-n"}}},
                      {"spec",
                       {{"holderIdentity", "n/host-1"},
                        {"leaseDurationSeconds", duration},
                        {"renewTime", kube::FormatMicroTime(renew)}}}};
  l["metadata"]["annotations"] = {{"oncoatlas.io/agent-version", "0.1.0"},
                                  {"oncoatlas.io/capabilities", "dimse-source, deidentify,index,index"}};
  if (!pacs_reachable.empty()) l["metadata"]["annotations"]["oncoatlas.io/pacs-reachable"] = pacs_reachable;
  if (!pacs_message.empty()) l["metadata"]["annotations"]["oncoatlas.io/pacs-message"] = pacs_message;
  return l;
}

const nlohmann::json& Condition(const nlohmann::json& status, const std::string& type) {
  for (const auto& c : status["conditions"]) {
    if (c["type"] == type) return c;
  }
  static const nlohmann::json kNone;
  ADD_FAILURE() << "no condition " << type;
  return kNone;
}

NodeObservation Deployed() {
  NodeObservation o;
  o.generation = 3;
  o.hub_namespace = "oncoatlas-node-n";
  o.deployed = true;
  o.credential_expiry = "2030-01-01T00:00:00Z";
  o.dataset_count = 2;
  return o;
}

TEST(NodeStatus, NotDeployedCarriesTheReasonIntoReady) {
  NodeObservation o = Deployed();
  o.deployed = false;
  o.deploy_reason = "KubeconfigSecretNotFound";
  o.deploy_message = "Secret x/y does not exist";
  auto r = ComputeNodeStatus(o, {}, kNow);
  EXPECT_EQ(Condition(r.status, "AgentDeployed")["status"], "False");
  EXPECT_EQ(Condition(r.status, "Ready")["reason"], "KubeconfigSecretNotFound");
  EXPECT_NE(Condition(r.status, "Ready")["message"].get<std::string>().find("Secret x/y"), std::string::npos);
  EXPECT_EQ(r.status["phase"], "Deploying");
  EXPECT_EQ(r.status["observedGeneration"], 3);
}

TEST(NodeStatus, FreshHeartbeatReachablePacsIsReady) {
  NodeObservation o = Deployed();
  o.lease = Lease(kNow - seconds(5), 40, "true", "C-ECHO ok");
  auto r = ComputeNodeStatus(o, {}, kNow);
  EXPECT_EQ(Condition(r.status, "AgentConnected")["status"], "True");
  EXPECT_EQ(Condition(r.status, "PACSReachable")["status"], "True");
  EXPECT_EQ(Condition(r.status, "Ready")["status"], "True");
  EXPECT_EQ(r.status["agentVersion"], "0.1.0");
  EXPECT_EQ(r.status["capabilities"], nlohmann::json({"dimse-source", "deidentify", "index"}));
  EXPECT_EQ(r.status["datasetCount"], 2);
  EXPECT_EQ(r.status["phase"], "Connected");
  // Stale at renew + 40 s: look again just after that.
  ASSERT_TRUE(r.recheck_after);
  EXPECT_EQ(std::chrono::duration_cast<seconds>(*r.recheck_after), seconds(36));
}

TEST(NodeStatus, HeartbeatOlderThanTheLeaseIsStale) {
  NodeObservation o = Deployed();
  o.lease = Lease(kNow - seconds(41), 40, "true");
  auto r = ComputeNodeStatus(o, {}, kNow);
  EXPECT_EQ(Condition(r.status, "AgentConnected")["status"], "False");
  EXPECT_EQ(Condition(r.status, "AgentConnected")["reason"], "HeartbeatStale");
  EXPECT_EQ(Condition(r.status, "PACSReachable")["status"], "Unknown");
  EXPECT_EQ(Condition(r.status, "Ready")["reason"], "HeartbeatStale");
  EXPECT_EQ(r.status["phase"], "Disconnected");
  EXPECT_FALSE(r.recheck_after);
}

TEST(NodeStatus, UnreachablePacsIsDegradedWithTheAgentsMessage) {
  NodeObservation o = Deployed();
  o.lease = Lease(kNow, 40, "false", "C-ECHO to ORTHANC@127.0.0.1:4242 failed: connection refused");
  auto r = ComputeNodeStatus(o, {}, kNow);
  EXPECT_EQ(Condition(r.status, "PACSReachable")["reason"], "PACSUnreachable");
  EXPECT_NE(Condition(r.status, "PACSReachable")["message"].get<std::string>().find("connection refused"),
            std::string::npos);
  EXPECT_EQ(Condition(r.status, "Ready")["status"], "False");
  EXPECT_EQ(r.status["phase"], "Degraded");
}

TEST(NodeStatus, NoLeaseMeansNoHeartbeat) {
  auto r = ComputeNodeStatus(Deployed(), {}, kNow);
  EXPECT_EQ(Condition(r.status, "AgentConnected")["reason"], "NoHeartbeat");
  EXPECT_FALSE(r.status.contains("lastHeartbeat"));
}

TEST(NodeStatus, TransitionTimeKeptWhileStatusUnchanged) {
  NodeObservation o = Deployed();
  o.lease = Lease(kNow, 40, "true");
  auto first = ComputeNodeStatus(o, {}, kNow);
  o.lease = Lease(kNow + seconds(10), 40, "true");
  auto second = ComputeNodeStatus(o, first.status, kNow + seconds(10));
  EXPECT_EQ(Condition(second.status, "Ready")["lastTransitionTime"],
            Condition(first.status, "Ready")["lastTransitionTime"]);
  auto stale = ComputeNodeStatus(o, second.status, kNow + seconds(100));
  EXPECT_NE(Condition(stale.status, "Ready")["lastTransitionTime"],
            Condition(second.status, "Ready")["lastTransitionTime"]);
}

TEST(NodeStatus, DeletionReasonOverridesReady) {
  NodeObservation o = Deployed();
  o.lease = Lease(kNow, 40, "true");
  o.deletion_reason = "DeletionBlockedByDatasets";
  o.deletion_message = "2 Datasets remain";
  auto r = ComputeNodeStatus(o, {}, kNow);
  EXPECT_EQ(Condition(r.status, "Ready")["reason"], "DeletionBlockedByDatasets");
}

TEST(NodeStatus, DeletionKeepsTheLastDeploymentAndToken) {
  NodeObservation last = Deployed();
  last.deployed = false;
  last.deploy_reason = "SiteClusterUnreachable";
  last.deploy_message = "no answer";
  const auto previous = ComputeNodeStatus(last, {}, kNow).status;
  NodeObservation deleting;
  KeepDeployment(previous, deleting);
  EXPECT_FALSE(deleting.deployed);
  EXPECT_EQ(deleting.deploy_reason, "SiteClusterUnreachable");
  EXPECT_EQ(deleting.deploy_message, "no answer");
  EXPECT_EQ(deleting.credential_expiry, "2030-01-01T00:00:00Z");
  NodeObservation fresh;
  KeepDeployment(nlohmann::json::object(), fresh);
  EXPECT_FALSE(fresh.deployed);
  EXPECT_TRUE(fresh.credential_expiry.empty());
}

}  // namespace
}  // namespace oncoatlas::datanode
