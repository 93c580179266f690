// The shipped parts together: the real oncoatlas-operator binary, running
// with exactly charts/oncoatlas's RBAC on a hub control plane and reaching a
// second (site) control plane with exactly the identity charts/oncoatlas-site
// creates; real `oncoatlas-agent run` processes started by e2e/node-agent from
// the ConfigMap and Secret the operator rendered; real Orthanc PACS (DIMSE).
// The scenarios run in this order on one local and one remote DataNode: both
// are deployed where they belong; their agents bring them to Ready; a killed
// agent turns AgentConnected False (HeartbeatStale) within its lease and True
// again when it comes back; a stopped PACS turns PACSReachable False with the
// agent's message and True again; deleting the DataNodes removes their
// children on both clusters and their tokens stop authenticating (401).
// What the reconciler does in detail is proven in-process by
// tests/operator/datanode/datanode_integration_test.
#include <signal.h>
#include <sys/wait.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chart_install.h"
#include "core/base64.h"
#include "core/subprocess.h"
#include "operator_process.h"
#include "support/agent_process.h"
#include "support/control_plane.h"
#include "support/orthanc.h"

namespace oncoatlas::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

constexpr char kSystemNamespace[] = "oncoatlas-system";
constexpr char kLocalNode[] = "lund";
constexpr char kRemoteNode[] = "oslo";
constexpr char kLocalAgentNamespace[] = "oncoatlas-agents";
constexpr char kRemoteAgentNamespace[] = "oncoatlas-agent";  // charts/oncoatlas-site's default
constexpr char kSiteSecret[] = "oslo-site-kubeconfig";
constexpr int kLeaseSeconds = 4;

ControlPlane& Hub() { return ControlPlaneEnvironment::Get(); }

json GetJson(const ControlPlane& cp, const std::vector<std::string>& args) {
  std::vector<std::string> full = {"get"};
  full.insert(full.end(), args.begin(), args.end());
  full.insert(full.end(), {"-o", "json"});
  const SubprocessResult r = cp.Kubectl(full);
  if (!r.success()) return nullptr;
  return json::parse(r.out, nullptr, false);
}

// Whether `kubectl get` says NotFound (not just any failure).
bool Gone(const ControlPlane& cp, const std::vector<std::string>& args) {
  std::vector<std::string> full = {"get"};
  full.insert(full.end(), args.begin(), args.end());
  const SubprocessResult r = cp.Kubectl(full);
  return !r.success() && r.err.find("NotFound") != std::string::npos;
}

json Condition(const std::string& node, const std::string& type) {
  const json object = GetJson(Hub(), {"datanode", node});
  if (!object.is_object() || !object.contains("status")) return nullptr;
  for (const json& c : object["status"].value("conditions", json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

bool ConditionIs(const std::string& node, const std::string& type, const std::string& status,
                 const std::string& reason = "") {
  const json c = Condition(node, type);
  return c.is_object() && c.value("status", "") == status && (reason.empty() || c.value("reason", "") == reason);
}

std::time_t ParseRfc3339(const std::string& text) {
  std::tm tm{};
  strptime(text.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  return timegm(&tm);
}

// "system:serviceaccount:..." when `token` authenticates at the hub; the
// error text (e.g. "Unauthorized") when not.
std::string WhoAmI(const std::string& token) {
  auto r = RunSubprocess({KubectlPath(), "--kubeconfig", "/dev/null", "--server", Hub().server(),
                          "--certificate-authority", Hub().dir() + "/pki/ca.crt", "--token", token, "auth", "whoami",
                          "-o", "jsonpath={.status.userInfo.username}"});
  if (!r.ok()) return r.status().ToString();
  return r->success() ? r->out : r->err;
}

std::string DataNode(const std::string& name, const std::string& cluster, const OrthancServer& pacs) {
  return "apiVersion: oncoatlas.io/v1alpha1\nkind: DataNode\nmetadata:\n  name: " + name +
         "\nspec:\n  organisation: {name: Test Hospital}\n  country: SE\n  tier: 1\n  cluster: " + cluster +
         "\n  pacs: {dimse: {host: 127.0.0.1, port: " + std::to_string(pacs.dicom_port()) +
         ", calledAETitle: " + pacs.aet() + "}}\n";
}

class OperatorAgentsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The hub: the five CRDs, the operator's namespace and the chart's RBAC.
    const fs::path crds = fs::path(SourceDir()) / "crds";
    for (const auto& e : fs::directory_iterator(crds)) {
      if (e.path().extension() != ".yaml") continue;
      const SubprocessResult r = Hub().Kubectl({"apply", "--server-side", "-f", e.path().string()});
      ASSERT_TRUE(r.success()) << r.Describe();
    }
    SubprocessResult r = Hub().Kubectl({"wait", "--for", "condition=Established", "--timeout", "60s", "crd", "--all"});
    ASSERT_TRUE(r.success()) << r.Describe();
    r = Hub().Kubectl({"create", "namespace", kSystemNamespace});
    ASSERT_TRUE(r.success()) << r.Describe();
    Status s = InstallChart(
        Hub(), "oncoatlas", "oncoatlas", kSystemNamespace,
        {"--show-only", "templates/operator-rbac.yaml", "--show-only", "templates/operator-serviceaccount.yaml"});
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = WriteServiceAccountKubeconfig(Hub(), kSystemNamespace, "oncoatlas-operator", OperatorKubeconfig());
    ASSERT_TRUE(s.ok()) << s.ToString();

    // The site: charts/oncoatlas-site, and its identity's kubeconfig in the
    // Secret the remote DataNode names.
    auto site = ControlPlane::Start("site");
    ASSERT_TRUE(site.ok()) << site.status().ToString();
    site_ = std::move(site).value().release();
    // The site's IT creates the agent namespace (helm install --create-namespace).
    r = site_->Kubectl({"create", "namespace", kRemoteAgentNamespace});
    ASSERT_TRUE(r.success()) << r.Describe();
    s = InstallChart(*site_, "oncoatlas-site", "oncoatlas-site", kRemoteAgentNamespace);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const std::string site_kubeconfig = site_->dir() + "/hub-operator.kubeconfig";
    s = WriteServiceAccountKubeconfig(*site_, kRemoteAgentNamespace, "oncoatlas-hub-operator", site_kubeconfig,
                                      /*embed_ca=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
    r = Hub().Kubectl({"-n", kSystemNamespace, "create", "secret", "generic", kSiteSecret,
                       "--from-file=kubeconfig=" + site_kubeconfig});
    ASSERT_TRUE(r.success()) << r.Describe();

    for (auto* slot : {&local_pacs_, &remote_pacs_}) {
      auto pacs = OrthancServer::Start(slot == &local_pacs_ ? "lund" : "oslo", slot == &local_pacs_ ? "LUND" : "OSLO");
      ASSERT_TRUE(pacs.ok()) << pacs.status().ToString();
      *slot = std::move(pacs).value().release();
    }

    operator_ = new OperatorProcess(OperatorBinary(),
                                    {"--kubeconfig",
                                     OperatorKubeconfig(),
                                     "--operator-namespace",
                                     kSystemNamespace,
                                     "--metrics-bind-address",
                                     "0",
                                     "--health-probe-bind-address",
                                     "127.0.0.1:0",
                                     "--leader-elect",
                                     "--lease-duration",
                                     "4s",
                                     "--renew-deadline",
                                     "3s",
                                     "--retry-period",
                                     "1s",
                                     "--agent-lease-duration",
                                     std::to_string(kLeaseSeconds) + "s",
                                     "--agent-renew-interval",
                                     "1s",
                                     "--pacs-check-interval",
                                     "1s",
                                     "--agent-token-lifetime",
                                     "10m",
                                     "--site-resync-period",
                                     "10s",
                                     "--agent-image",
                                     "registry.example.eu/agent:test"},
                                    Hub().dir() + "/operator.log");
    ASSERT_TRUE(operator_->started());

    r = Hub().Kubectl(
        {"apply", "-f", "-"},
        DataNode(kLocalNode, std::string("{local: {agentNamespace: ") + kLocalAgentNamespace + "}}", *local_pacs_));
    ASSERT_TRUE(r.success()) << r.Describe();
    r = Hub().Kubectl({"apply", "-f", "-"}, DataNode(kRemoteNode,
                                                     std::string("{remote: {kubeconfigSecretRef: {name: ") +
                                                         kSiteSecret + "}, agentNamespace: " + kRemoteAgentNamespace +
                                                         ", hubServer: \"" + Hub().server() + "\"}}",
                                                     *remote_pacs_));
    ASSERT_TRUE(r.success()) << r.Describe();
  }

  static void TearDownTestSuite() {
    if (operator_ != nullptr) {
      EXPECT_TRUE(operator_->Running()) << operator_->Log();
      operator_->Signal(SIGTERM);
      operator_->Wait(seconds(30));
    }
    delete local_agent_;
    delete remote_agent_;
    delete operator_;
    delete local_pacs_;
    delete remote_pacs_;
    delete site_;
  }

  static std::string OperatorBinary() { return ONCOATLAS_OPERATOR_BINARY; }
  static std::string OperatorKubeconfig() { return Hub().dir() + "/operator-sa.kubeconfig"; }
  static std::string Describe(const char* node) {
    return std::string(node) + "\n" + GetJson(Hub(), {"datanode", node}).dump(2);
  }
  static std::string TokenOf(const ControlPlane& cp, const std::string& ns, const std::string& node) {
    const json secret = GetJson(cp, {"secret", "-n", ns, "oncoatlas-agent-" + node + "-hub"});
    auto token = DecodeBase64(secret.is_object() ? secret["data"].value("token", "") : "");
    return token.ok() ? *token : std::string();
  }

  static ControlPlane* site_;
  static OrthancServer* local_pacs_;
  static OrthancServer* remote_pacs_;
  static OperatorProcess* operator_;
  static AgentProcess* local_agent_;  // started by AgentsBringTheirNodesToReady
  static AgentProcess* remote_agent_;
};

ControlPlane* OperatorAgentsTest::site_ = nullptr;
OrthancServer* OperatorAgentsTest::local_pacs_ = nullptr;
OrthancServer* OperatorAgentsTest::remote_pacs_ = nullptr;
OperatorProcess* OperatorAgentsTest::operator_ = nullptr;
AgentProcess* OperatorAgentsTest::local_agent_ = nullptr;
AgentProcess* OperatorAgentsTest::remote_agent_ = nullptr;

// The local agent's objects on the hub, the remote one's on the site only,
// with the operator's --agent-image.
TEST_F(OperatorAgentsTest, NodesAreDeployedLocallyAndOnTheSite) {
  for (const char* node : {kLocalNode, kRemoteNode}) {
    ASSERT_TRUE(WaitFor([&] { return ConditionIs(node, "AgentDeployed", "True"); }, seconds(60)))
        << Describe(node) << "\n"
        << operator_->Log();
  }
  const std::string remote_deployment = std::string("oncoatlas-agent-") + kRemoteNode;
  const json deployment = GetJson(*site_, {"deployment", "-n", kRemoteAgentNamespace, remote_deployment});
  ASSERT_TRUE(deployment.is_object());
  EXPECT_EQ(deployment["spec"]["template"]["spec"]["containers"][0]["image"], "registry.example.eu/agent:test");
  EXPECT_TRUE(Gone(Hub(), {"deployment", "-n", kRemoteAgentNamespace, remote_deployment}));
  EXPECT_TRUE(GetJson(Hub(), {"deployment", "-n", kLocalAgentNamespace, std::string("oncoatlas-agent-") + kLocalNode})
                  .is_object());
  const json config = GetJson(*site_, {"configmap", "-n", kRemoteAgentNamespace, remote_deployment});
  ASSERT_TRUE(config.is_object());
  EXPECT_NE(config["data"]["agent.yaml"].get<std::string>().find("leaseDurationSeconds: 4"), std::string::npos)
      << config.dump();
}

// The agents, from exactly what was rendered (the kubelet's part).
TEST_F(OperatorAgentsTest, AgentsBringTheirNodesToReady) {
  for (const char* node : {kLocalNode, kRemoteNode}) {
    ASSERT_TRUE(WaitFor([&] { return ConditionIs(node, "AgentDeployed", "True"); }, seconds(60))) << Describe(node);
  }
  auto local = AgentProcess::Start(
      {.node = kLocalNode, .site_kubeconfig = Hub().kubeconfig(), .site_namespace = kLocalAgentNamespace});
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  local_agent_ = std::move(local).value().release();
  auto remote = AgentProcess::Start(
      {.node = kRemoteNode, .site_kubeconfig = site_->kubeconfig(), .site_namespace = kRemoteAgentNamespace});
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  remote_agent_ = std::move(remote).value().release();
  for (const char* node : {kLocalNode, kRemoteNode}) {
    ASSERT_TRUE(WaitFor([&] { return ConditionIs(node, "Ready", "True", "Ready"); }, seconds(60)))
        << Describe(node) << "\n"
        << local_agent_->Log() << "\n"
        << remote_agent_->Log();
    const json status = GetJson(Hub(), {"datanode", node})["status"];
    EXPECT_EQ(status.value("phase", ""), "Connected");
    EXPECT_FALSE(status.value("agentVersion", "").empty()) << status.dump();
  }
}

// HeartbeatStale once the 4 s lease has run out, with no event to trigger it,
// and so within the lease (read off the status).
TEST_F(OperatorAgentsTest, KilledAgentTurnsStaleWithinItsLease) {
  ASSERT_NE(local_agent_, nullptr) << "started by AgentsBringTheirNodesToReady";
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(kLocalNode, "Ready", "True"); }, seconds(30))) << Describe(kLocalNode);
  ASSERT_TRUE(local_agent_->Kill().ok());
  ASSERT_TRUE(
      WaitFor([&] { return ConditionIs(kLocalNode, "AgentConnected", "False", "HeartbeatStale"); }, seconds(30)))
      << Describe(kLocalNode);
  const json status = GetJson(Hub(), {"datanode", kLocalNode})["status"];
  const json stale = Condition(kLocalNode, "AgentConnected");
  const std::time_t turned = ParseRfc3339(stale.value("lastTransitionTime", ""));
  const std::time_t last_beat = ParseRfc3339(status.value("lastHeartbeat", ""));
  EXPECT_GE(turned - last_beat, kLeaseSeconds - 1) << status.dump(2);
  EXPECT_LE(turned - last_beat, kLeaseSeconds + 3) << "stale well after the lease ran out\n" << status.dump(2);
  EXPECT_EQ(status.value("phase", ""), "Disconnected");
  EXPECT_TRUE(ConditionIs(kLocalNode, "Ready", "False", "HeartbeatStale"));
  EXPECT_TRUE(ConditionIs(kRemoteNode, "Ready", "True")) << "the other node is not affected";
}

TEST_F(OperatorAgentsTest, RestartedAgentIsConnectedAgain) {
  ASSERT_NE(local_agent_, nullptr) << "started by AgentsBringTheirNodesToReady";
  ASSERT_TRUE(local_agent_->Restart().ok()) << local_agent_->Log();
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(kLocalNode, "Ready", "True"); }, seconds(30))) << Describe(kLocalNode);
  EXPECT_TRUE(ConditionIs(kLocalNode, "AgentConnected", "True", "HeartbeatFresh"));
}

// The agent's C-ECHO fails and the DataNode says so.
TEST_F(OperatorAgentsTest, StoppedPacsIsUnreachableWithTheAgentsMessage) {
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(kLocalNode, "Ready", "True"); }, seconds(30))) << Describe(kLocalNode);
  ASSERT_TRUE(local_pacs_->Pause().ok());
  ASSERT_TRUE(
      WaitFor([&] { return ConditionIs(kLocalNode, "PACSReachable", "False", "PACSUnreachable"); }, seconds(30)))
      << Describe(kLocalNode);
  const std::string message = Condition(kLocalNode, "PACSReachable").value("message", "");
  EXPECT_NE(message.find("C-ECHO to LUND@127.0.0.1:" + std::to_string(local_pacs_->dicom_port())), std::string::npos)
      << message;
  EXPECT_NE(message.find("failed"), std::string::npos) << message;
  EXPECT_TRUE(ConditionIs(kLocalNode, "Ready", "False", "PACSUnreachable"));
  EXPECT_EQ(GetJson(Hub(), {"datanode", kLocalNode})["status"].value("phase", ""), "Degraded");
}

TEST_F(OperatorAgentsTest, ResumedPacsIsReachableAgain) {
  ASSERT_TRUE(local_pacs_->Resume().ok());
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(kLocalNode, "Ready", "True"); }, seconds(30))) << Describe(kLocalNode);
  EXPECT_TRUE(ConditionIs(kLocalNode, "PACSReachable", "True"));
}

// Children go on both clusters, the tokens stop authenticating.
TEST_F(OperatorAgentsTest, DeletedNodesLeaveNothingBehindAndTheirTokensAreRevoked) {
  const std::string local_token = TokenOf(Hub(), kLocalAgentNamespace, kLocalNode);
  const std::string remote_token = TokenOf(*site_, kRemoteAgentNamespace, kRemoteNode);
  EXPECT_EQ(WhoAmI(local_token),
            std::string("system:serviceaccount:oncoatlas-node-") + kLocalNode + ":oncoatlas-agent");
  EXPECT_EQ(WhoAmI(remote_token),
            std::string("system:serviceaccount:oncoatlas-node-") + kRemoteNode + ":oncoatlas-agent");
  const SubprocessResult r = Hub().Kubectl({"delete", "datanode", kLocalNode, kRemoteNode, "--wait=false"});
  ASSERT_TRUE(r.success()) << r.Describe();
  for (const char* node : {kLocalNode, kRemoteNode}) {
    EXPECT_TRUE(WaitFor(
        [&] {
          return Gone(Hub(), {"datanode", node});
        },
        seconds(60)))
        << Describe(node) << "\n"
        << operator_->Log();
  }
  const std::vector<std::pair<std::string, std::string>> children = {
      {"deployment", ""}, {"service", ""}, {"networkpolicy", ""}, {"configmap", ""}, {"secret", "-hub"}};
  for (const auto& [kind, suffix] : children) {
    EXPECT_TRUE(WaitFor(
        [&] {
          return Gone(*site_,
                      {kind, "-n", kRemoteAgentNamespace, std::string("oncoatlas-agent-") + kRemoteNode + suffix});
        },
        seconds(30)))
        << kind << " on the site";
    EXPECT_TRUE(WaitFor(
        [&] {
          return Gone(Hub(), {kind, "-n", kLocalAgentNamespace, std::string("oncoatlas-agent-") + kLocalNode + suffix});
        },
        seconds(30)))
        << kind << " on the hub";
  }
  for (const char* node : {kLocalNode, kRemoteNode}) {
    EXPECT_TRUE(Gone(Hub(), {"serviceaccount", "-n", std::string("oncoatlas-node-") + node, "oncoatlas-agent"}));
    // The namespace is gone or on its way (the namespace controller empties it).
    const json ns = GetJson(Hub(), {"namespace", std::string("oncoatlas-node-") + node});
    EXPECT_TRUE(!ns.is_object() || ns["metadata"].contains("deletionTimestamp")) << ns.dump();
  }
  // Revoked: the API server's token authenticator sees the ServiceAccount's
  // deletion through its own cache, a moment later.
  for (const std::string* token : {&local_token, &remote_token}) {
    std::string who;
    EXPECT_TRUE(WaitFor(
        [&] {
          who = WhoAmI(*token);
          return who.find("Unauthorized") != std::string::npos;
        },
        seconds(30)))
        << who;
  }
}

}  // namespace
}  // namespace oncoatlas::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("opagents"));
  return RUN_ALL_TESTS();
}
