// DataNodeReconciler passes that need no API server: a deletion held back by
// Datasets is reported through ComputeNodeStatus and the StatusWriter, keeps
// the last AgentDeployed and credentialExpiry, records no Event for Ready and
// writes nothing when run again; the kubeconfig Secret watch finds the
// DataNodes that name a Secret.
#include "datanode/reconciler.h"

#include <gtest/gtest.h>

#include "datanode_controller.h"
#include "kube/clock.h"
#include "support/api_objects.h"

namespace oncoatlas::datanode {
namespace {

using nlohmann::json;

json DataNode(const std::string& name, json cluster) {
  return oncoatlas::testing::DataNodeObject(name, std::move(cluster), 2);
}

// These passes make no API request: the reconciler gets no client.
const std::shared_ptr<kube::RestClient> kNoClient;

TEST(DataNodeReconciler, DeletionWaitingForDatasetsIsReportedOnceAndKeepsTheDeployment) {
  kube::FakeClock clock;
  op::FakeStatusWriter writer;
  kube::FakeEventSink sink;
  kube::EventRecorder recorder({.component = "test", .clock = &clock}, sink);
  op::FakeObjectLookup datanodes, leases, datasets, kubeconfigs;
  ReconcilerCaches caches{&datanodes, &leases, &datasets, &kubeconfigs, {}};
  DataNodeReconciler reconciler(kNoClient, {}, caches, {&writer, &recorder, &clock});

  // As the last normal pass left it: deployed, with a token.
  NodeObservation deployed;
  deployed.generation = 2;
  deployed.hub_namespace = "oncoatlas-node-n";
  deployed.deployed = true;
  deployed.deploy_message = "the agent's local objects are in place";
  deployed.credential_expiry = "2030-01-01T00:00:00Z";
  json node = DataNode("n", {{"local", json::object()}});
  node["status"] = ComputeNodeStatus(deployed, {}, clock.WallNow()).status;
  node["metadata"]["finalizers"] = {kFinalizer};
  node["metadata"]["deletionTimestamp"] = "2030-01-01T00:00:00Z";
  datanodes.Put(node);
  datasets.Put({{"metadata", {{"name", "lung-ct"}, {"namespace", "oncoatlas-node-n"}}}});
  datasets.Put({{"metadata", {{"name", "elsewhere"}, {"namespace", "oncoatlas-node-m"}}}});

  EXPECT_EQ(reconciler.Reconcile({"", "n"}).kind(), kube::ReconcileResult::Kind::kDone);
  ASSERT_EQ(writer.writes().size(), 1u);
  const json status = writer.writes()[0].status;
  EXPECT_EQ(status["datasetCount"], 1);
  EXPECT_EQ(status["credentialExpiry"], "2030-01-01T00:00:00Z");
  const json ready = kube::FindCondition(json{{"status", status}}, "Ready");
  EXPECT_EQ(ready["status"], "False");
  EXPECT_EQ(ready["reason"], "DeletionBlockedByDatasets");
  EXPECT_NE(ready["message"].get<std::string>().find("lung-ct"), std::string::npos) << ready.dump();
  EXPECT_TRUE(kube::IsConditionTrue(json{{"status", status}}, "AgentDeployed"));
  EXPECT_TRUE(sink.events.empty()) << "Ready repeats the others; nothing else changed";

  node["status"] = status;
  datanodes.Put(node);
  reconciler.Reconcile({"", "n"});
  EXPECT_EQ(writer.writes().size(), 1u) << "a pass that changes nothing writes nothing";
}

TEST(DataNodeReconciler, GoneDataNodeIsDone) {
  op::FakeStatusWriter writer;
  op::FakeObjectLookup datanodes, leases, datasets, kubeconfigs;
  DataNodeReconciler reconciler(kNoClient, {}, {&datanodes, &leases, &datasets, &kubeconfigs, {}},
                                {&writer, nullptr, nullptr});
  EXPECT_EQ(reconciler.Reconcile({"", "gone"}).kind(), kube::ReconcileResult::Kind::kDone);
  EXPECT_TRUE(writer.writes().empty());
}

TEST(DataNodesOfKubeconfigSecret, NamesTheRemoteNodesThatReferToIt) {
  op::FakeObjectLookup datanodes;
  datanodes.Put(DataNode("local", {{"local", json::object()}}));
  datanodes.Put(DataNode("a", {{"remote", {{"kubeconfigSecretRef", {{"name", "site"}}}}}}));
  datanodes.Put(DataNode("b", {{"remote", {{"kubeconfigSecretRef", {{"name", "other"}}}}}}));
  const json secret = {{"metadata", {{"name", "site"}, {"namespace", "oncoatlas-system"}}}};
  EXPECT_EQ(op::DataNodesOfKubeconfigSecret(secret, datanodes), (std::vector<kube::Request>{{"", "a"}}));
}

}  // namespace
}  // namespace oncoatlas::datanode
