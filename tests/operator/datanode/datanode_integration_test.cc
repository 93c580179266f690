// The DataNode reconciler against two real API servers at once: the hub (the
// test environment's control plane) and a site cluster (a second control
// plane). The controller runs in-process on a Manager; the test plays
// the kubelet-less parts (it writes the heartbeat Lease with the agent's own
// minted token where an agent would).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "api/resources.h"
#include "core/base64.h"
#include "datanode_controller.h"
#include "kube/client_config.h"
#include "kube/core_resources.h"
#include "kube/lease_json.h"
#include "manager.h"
#include "support/control_plane.h"
#include "support/files.h"

namespace oncoatlas::datanode {
namespace {

using kube::Json;
using oncoatlas::testing::ControlPlane;
using oncoatlas::testing::ControlPlaneEnvironment;
using oncoatlas::testing::ReadFile;
using oncoatlas::testing::WaitFor;
using std::chrono::seconds;

constexpr const char* kOperatorNamespace = "oncoatlas-system";

std::shared_ptr<kube::RestClient> ClientFromFile(const std::string& kubeconfig) {
  kube::KubeconfigOptions options;
  options.path = kubeconfig;
  auto config = kube::LoadKubeconfig(options);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  auto client = kube::RestClient::Create(*config);
  EXPECT_TRUE(client.ok());
  return std::shared_ptr<kube::RestClient>(std::move(client).value());
}

// A client that authenticates with `token` only.
std::unique_ptr<kube::RestClient> TokenClient(const kube::RestClient& base, const std::string& token) {
  kube::ClientConfig config = base.config();
  config.client_cert_pem.clear();
  config.client_key_pem.clear();
  config.token_source = std::make_shared<kube::StaticTokenSource>(token);
  return std::move(kube::RestClient::Create(config)).value();
}

kube::LeaseRecord Record(const std::string& holder, int duration) {
  kube::LeaseRecord record;
  record.holder_identity = holder;
  record.lease_duration_seconds = duration;
  return record;
}

class DataNodeIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ControlPlane& hub = ControlPlaneEnvironment::Get();
    for (const char* crd : {"datanode.yaml", "dataset.yaml"}) {
      auto r = hub.Kubectl({"apply", "-f", oncoatlas::testing::SourceDir() + "/crds/" + crd});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    auto r = hub.Kubectl({"wait", "--for=condition=Established", "crd/datanodes.oncoatlas.io",
                          "crd/datasets.oncoatlas.io", "--timeout=60s"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    hub.Kubectl({"create", "namespace", kOperatorNamespace});
    auto site = ControlPlane::Start("site");
    ASSERT_TRUE(site.ok()) << site.status().ToString();
    site_ = std::move(site).value().release();

    hub_client_ = new std::shared_ptr<kube::RestClient>(ClientFromFile(hub.kubeconfig()));
    site_client_ = new std::shared_ptr<kube::RestClient>(ClientFromFile(site_->kubeconfig()));
    op::OperatorOptions manager_options;
    manager_options.operator_namespace = kOperatorNamespace;
    manager_options.metrics_address = {};
    manager_options.health_address = {};
    manager_options.workers = 4;
    manager_ = new op::Manager(manager_options, *hub_client_);
    ReconcilerOptions options;
    options.operator_namespace = kOperatorNamespace;
    options.render.local_hub_server = (*hub_client_)->config().ServerUrl();
    options.render.hub_ca_pem = (*hub_client_)->config().ca_pem;
    options.token_lifetime = seconds(600);   // the API server's minimum
    options.token_renew_after = seconds(4);  // several renewals within a test
    options.site_resync = seconds(2);
    op::RegisterDataNodeController(*manager_, options);
    manager_thread_ = new std::thread([] { manager_->Run(); });
  }

  static void TearDownTestSuite() {
    if (manager_thread_ != nullptr) {
      manager_->RequestShutdown();
      manager_thread_->join();
    }
    delete manager_thread_;
    delete manager_;
    delete hub_client_;
    delete site_client_;
    delete site_;
  }

  static kube::RestClient& Hub() { return **hub_client_; }
  static kube::RestClient& Site() { return **site_client_; }

  static void Apply(const Json& object) {
    auto r = ControlPlaneEnvironment::Get().Kubectl({"apply", "-f", "-"}, object.dump());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static Json LocalNode(const std::string& name) {
    return {{"apiVersion", "oncoatlas.io/v1alpha1"},
            {"kind", "DataNode"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"organisation", {{"name", "Test Hospital"}}},
              {"country", "SE"},
              {"tier", 2},
              {"cluster", {{"local", {{"agentNamespace", "agents-" + name}}}}},
              {"pacs", {{"dimse", {{"host", "127.0.0.1"}, {"port", 4242}, {"calledAETitle", "ORTHANC"}}}}},
              {"storage", {{"size", "1Gi"}, {"retainOnDelete", false}}}}}};
  }

  static Json RemoteNode(const std::string& name, const std::string& secret) {
    return {{"apiVersion", "oncoatlas.io/v1alpha1"},
            {"kind", "DataNode"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"organisation", {{"name", "Site Hospital"}}},
              {"country", "DE"},
              {"tier", 2},
              {"cluster",
               {{"remote",
                 {{"kubeconfigSecretRef", {{"name", secret}}},
                  {"agentNamespace", "agent-" + name},
                  {"hubServer", Hub().config().ServerUrl()}}}}},
              {"pacs", {{"dicomweb", {{"url", "http://127.0.0.1:8042/dicom-web"}}}}},
              {"storage", {{"size", "1Gi"}}}}}};
  }

  static void PutKubeconfigSecret(const std::string& name, const std::string& kubeconfig) {
    Json secret = {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", name}, {"namespace", kOperatorNamespace}}},
                   {"data", {{"kubeconfig", EncodeBase64(kubeconfig)}}}};
    auto r = Hub().Apply(kube::core::kSecrets, kOperatorNamespace, secret, {.field_manager = "test", .force = true});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }

  static Json Node(const std::string& name) {
    auto got = Hub().Get(api::kDataNodes, "", name);
    return got.ok() ? *got : Json();
  }

  static Json Condition(const std::string& name, const std::string& type) {
    const Json node = Node(name);
    if (!node.is_object() || !node.contains("status") || !node["status"].contains("conditions")) return Json();
    for (const auto& c : node["status"]["conditions"]) {
      if (c["type"] == type) return c;
    }
    return Json();
  }

  static bool ConditionIs(const std::string& name, const std::string& type, const std::string& status,
                          const std::string& reason = "") {
    const Json c = Condition(name, type);
    return c.is_object() && c["status"] == status && (reason.empty() || c["reason"] == reason);
  }

  static Json Get(kube::RestClient& client, const kube::GroupVersionResource& gvr, const std::string& ns,
                  const std::string& name) {
    auto got = client.Get(gvr, ns, name);
    return got.ok() ? *got : Json();
  }

  static std::string Token(kube::RestClient& site, const std::string& ns, const std::string& node) {
    const Json secret = Get(site, kube::core::kSecrets, ns, HubSecretName(node));
    if (!secret.is_object()) return "";
    return *DecodeBase64(secret["data"]["token"].get<std::string>());
  }

  // Who the API server says `token` is; "" when it does not authenticate.
  static std::string WhoAmI(const std::string& token) {
    auto client = TokenClient(Hub(), token);
    const Json review = {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}};
    auto r = client->Create(
        kube::GroupVersionResource{"authentication.k8s.io", "v1", "selfsubjectreviews", false, "SelfSubjectReview"}, "",
        review);
    if (!r.ok()) return "";
    return (*r)["status"]["userInfo"].value("username", "");
  }

  static void ExpectDeleted(kube::RestClient& client, const kube::GroupVersionResource& gvr, const std::string& ns,
                            const std::string& name) {
    EXPECT_TRUE(WaitFor(
        [&] {
          auto got = client.Get(gvr, ns, name);
          return !got.ok() && got.error().http_code() == 404;
        },
        seconds(60)))
        << gvr.resource << " " << ns << "/" << name << " still exists";
  }

  static ControlPlane* site_;
  static std::shared_ptr<kube::RestClient>* hub_client_;
  static std::shared_ptr<kube::RestClient>* site_client_;
  static op::Manager* manager_;
  static std::thread* manager_thread_;
};

ControlPlane* DataNodeIntegration::site_ = nullptr;
std::shared_ptr<kube::RestClient>* DataNodeIntegration::hub_client_ = nullptr;
std::shared_ptr<kube::RestClient>* DataNodeIntegration::site_client_ = nullptr;
op::Manager* DataNodeIntegration::manager_ = nullptr;
std::thread* DataNodeIntegration::manager_thread_ = nullptr;

TEST_F(DataNodeIntegration, LocalNodeGetsEveryChildAndDriftIsUndone) {
  const std::string name = "local-a";
  const std::string hub_ns = api::NodeNamespace(name);
  const std::string agent_ns = "agents-" + name;
  Apply(LocalNode(name));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "AgentDeployed", "True"); }, seconds(60))) << Node(name).dump(2);

  // Hub side.
  EXPECT_TRUE(Get(Hub(), kube::core::kNamespaces, "", hub_ns).is_object());
  const Json role = Get(Hub(), kube::core::kRoles, hub_ns, "oncoatlas-agent");
  ASSERT_TRUE(role.is_object());
  EXPECT_EQ(role["rules"], RenderHubObjects(*api::FromJson<api::DataNode>(Node(name)), "")[2]["rules"]);
  EXPECT_EQ(Get(Hub(), kube::core::kRoleBindings, hub_ns, "oncoatlas-agent")["subjects"][0]["name"], "oncoatlas-agent");
  const Json sa = Get(Hub(), kube::core::kServiceAccounts, hub_ns, "oncoatlas-agent");
  ASSERT_TRUE(sa.is_object());

  // Site side, here on the hub.
  const Json cm = Get(Hub(), kube::core::kConfigMaps, agent_ns, AgentObjectName(name));
  ASSERT_TRUE(cm.is_object());
  EXPECT_NE(cm["data"]["agent.yaml"].get<std::string>().find("namespace: " + hub_ns), std::string::npos);
  const Json deployment = Get(Hub(), kube::core::kDeployments, agent_ns, AgentObjectName(name));
  ASSERT_TRUE(deployment.is_object());
  EXPECT_EQ(deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_TRUE(Get(Hub(), kube::core::kServices, agent_ns, AgentObjectName(name)).is_object());
  EXPECT_TRUE(Get(Hub(), kube::core::kNetworkPolicies, agent_ns, AgentObjectName(name)).is_object());
  EXPECT_TRUE(Get(Hub(), kube::core::kPersistentVolumeClaims, agent_ns, StoreClaimName(name)).is_object());
  const std::string token = Token(Hub(), agent_ns, name);
  EXPECT_EQ(WhoAmI(token), "system:serviceaccount:" + hub_ns + ":oncoatlas-agent");
  const Json node = Node(name);
  EXPECT_EQ(node["status"]["namespace"], hub_ns);
  EXPECT_TRUE(node["status"].contains("credentialExpiry"));
  EXPECT_EQ(node["status"]["observedGeneration"], node["metadata"]["generation"]);
  EXPECT_EQ(node["metadata"]["finalizers"][0], kFinalizer);

  // kubectl delete of children, on both sides, is undone.
  const std::string cm_uid = cm["metadata"]["uid"];
  ASSERT_EQ(
      ControlPlaneEnvironment::Get().Kubectl({"delete", "configmap", "-n", agent_ns, AgentObjectName(name)}).exit_code,
      0);
  ASSERT_EQ(ControlPlaneEnvironment::Get().Kubectl({"delete", "role", "-n", hub_ns, "oncoatlas-agent"}).exit_code, 0);
  EXPECT_TRUE(WaitFor(
      [&] {
        const Json again = Get(Hub(), kube::core::kConfigMaps, agent_ns, AgentObjectName(name));
        return again.is_object() && again["metadata"]["uid"] != cm_uid;
      },
      seconds(30)));
  EXPECT_TRUE(
      WaitFor([&] { return Get(Hub(), kube::core::kRoles, hub_ns, "oncoatlas-agent").is_object(); }, seconds(30)));

  // An edited child is set back.
  ASSERT_EQ(ControlPlaneEnvironment::Get()
                .Kubectl({"set", "image", "-n", agent_ns, "deployment/" + AgentObjectName(name), "agent=evil:1"})
                .exit_code,
            0);
  EXPECT_TRUE(WaitFor(
      [&] {
        const Json d = Get(Hub(), kube::core::kDeployments, agent_ns, AgentObjectName(name));
        return d.is_object() && d["spec"]["template"]["spec"]["containers"][0]["image"] != "evil:1";
      },
      seconds(30)));
}

TEST_F(DataNodeIntegration, AgentCredentialsAreScopedToTheirNamespace) {
  Apply(LocalNode("scope-a"));
  Apply(LocalNode("scope-b"));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs("scope-a", "AgentDeployed", "True"); }, seconds(60)));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs("scope-b", "AgentDeployed", "True"); }, seconds(60)));
  const std::string token = Token(Hub(), "agents-scope-a", "scope-a");
  ASSERT_FALSE(token.empty());
  auto agent = TokenClient(Hub(), token);

  // What it may do: read its Datasets, write its heartbeat.
  auto own = agent->List(api::kDatasets, api::NodeNamespace("scope-a"));
  EXPECT_TRUE(own.ok()) << own.error().ToString();
  // What it may not: another node's Datasets, or anything its Role does not name.
  auto other = agent->List(api::kDatasets, api::NodeNamespace("scope-b"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().http_code(), 403);
  auto own_config = agent->List(kube::core::kConfigMaps, api::NodeNamespace("scope-a"));
  ASSERT_FALSE(own_config.ok());
  EXPECT_EQ(own_config.error().http_code(), 403);
  auto other_secret = agent->List(kube::core::kSecrets, api::NodeNamespace("scope-b"));
  ASSERT_FALSE(other_secret.ok());
  EXPECT_EQ(other_secret.error().http_code(), 403);
  auto all_secrets = agent->List(kube::core::kSecrets, "");
  ASSERT_FALSE(all_secrets.ok());
  EXPECT_EQ(all_secrets.error().http_code(), 403);
  auto patch =
      agent->Patch(api::kDataNodes, "", "scope-a", kube::PatchType::kMerge, {{"metadata", {{"labels", {{"x", "y"}}}}}});
  ASSERT_FALSE(patch.ok());
  EXPECT_EQ(patch.error().http_code(), 403);
  auto status = agent->PatchStatus(api::kDataNodes, "", "scope-a", kube::PatchType::kMerge,
                                   {{"status", {{"agentVersion", "9"}}}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().http_code(), 403);
  auto lease_elsewhere =
      agent->Create(kube::core::kLeases, api::NodeNamespace("scope-b"),
                    kube::LeaseToJson(Record("x", 10), "oncoatlas-agent", api::NodeNamespace("scope-b")));
  ASSERT_FALSE(lease_elsewhere.ok());
  EXPECT_EQ(lease_elsewhere.error().http_code(), 403);
}

TEST_F(DataNodeIntegration, HeartbeatDrivesConnectedPacsAndReady) {
  const std::string name = "beat";
  const std::string hub_ns = api::NodeNamespace(name);
  Apply(LocalNode(name));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "AgentDeployed", "True"); }, seconds(60)));
  EXPECT_TRUE(ConditionIs(name, "AgentConnected", "False", "NoHeartbeat"));
  auto agent = TokenClient(Hub(), Token(Hub(), "agents-" + name, name));

  const auto renew = [&](const std::string& reachable, const std::string& message) {
    kube::LeaseRecord record = Record(name + "/test-1", 4);
    record.renew_time = std::chrono::system_clock::now();
    Json lease = kube::LeaseToJson(record, "oncoatlas-agent", hub_ns);
    lease["metadata"]["labels"] = {{"oncoatlas.io/node", name}};
    lease["metadata"]["annotations"] = {{"oncoatlas.io/agent-version", "0.1.0"},
                                        {"oncoatlas.io/capabilities", "dimse-source,deidentify"},
                                        {"oncoatlas.io/pacs-reachable", reachable},
                                        {"oncoatlas.io/pacs-message", message}};
    auto current = agent->Get(kube::core::kLeases, hub_ns, "oncoatlas-agent");
    if (current.ok()) {
      lease["metadata"]["resourceVersion"] = (*current)["metadata"]["resourceVersion"];
      auto r = agent->Update(kube::core::kLeases, hub_ns, lease);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
    } else {
      auto r = agent->Create(kube::core::kLeases, hub_ns, lease);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
    }
  };
  renew("true", "C-ECHO to ORTHANC@127.0.0.1:4242 succeeded");
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "Ready", "True"); }, seconds(30))) << Node(name).dump(2);
  EXPECT_TRUE(ConditionIs(name, "AgentConnected", "True", "HeartbeatFresh"));
  EXPECT_TRUE(ConditionIs(name, "PACSReachable", "True"));
  Json node = Node(name);
  EXPECT_EQ(node["status"]["agentVersion"], "0.1.0");
  EXPECT_EQ(node["status"]["capabilities"], Json({"dimse-source", "deidentify"}));
  EXPECT_TRUE(node["status"].contains("lastHeartbeat"));
  EXPECT_EQ(node["status"]["phase"], "Connected");

  renew("false", "C-ECHO to ORTHANC@127.0.0.1:4242 failed: connection refused");
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "PACSReachable", "False", "PACSUnreachable"); }, seconds(30)));
  EXPECT_NE(Condition(name, "PACSReachable")["message"].get<std::string>().find("connection refused"),
            std::string::npos);
  EXPECT_TRUE(ConditionIs(name, "Ready", "False", "PACSUnreachable"));

  // No more renewals: stale once the 4 s lease has passed, with no event to trigger it.
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "AgentConnected", "False", "HeartbeatStale"); }, seconds(15)));
  EXPECT_EQ(Node(name)["status"]["phase"], "Disconnected");
  renew("true", "ok");
  EXPECT_TRUE(WaitFor([&] { return ConditionIs(name, "AgentConnected", "True"); }, seconds(30)));
}

TEST_F(DataNodeIntegration, TokenIsRenewedInPlace) {
  const std::string name = "renew";
  Apply(LocalNode(name));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "AgentDeployed", "True"); }, seconds(60)));
  const std::string agent_ns = "agents-" + name;
  const std::string deployment_version =
      Get(Hub(), kube::core::kDeployments, agent_ns, AgentObjectName(name))["metadata"]["resourceVersion"];
  std::vector<std::string> tokens = {Token(Hub(), agent_ns, name)};
  // The test's renewal period is 4 s: three renewals within a minute.
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string t = Token(Hub(), agent_ns, name);
        if (!t.empty() && t != tokens.back()) tokens.push_back(t);
        return tokens.size() >= 4;
      },
      seconds(60), std::chrono::milliseconds(200)));
  for (const auto& t : tokens)
    EXPECT_EQ(WhoAmI(t), "system:serviceaccount:" + api::NodeNamespace(name) + ":oncoatlas-agent");
  // Only the Secret changed: the agent's Deployment (and so its pods) stayed as they were.
  EXPECT_EQ(Get(Hub(), kube::core::kDeployments, agent_ns, AgentObjectName(name))["metadata"]["resourceVersion"],
            deployment_version);
  const Json secret = Get(Hub(), kube::core::kSecrets, agent_ns, HubSecretName(name));
  EXPECT_EQ(Node(name)["status"]["credentialExpiry"], secret["metadata"]["annotations"][kTokenExpiryAnnotation]);
}

TEST_F(DataNodeIntegration, RemoteNodeDeploysToTheSiteCluster) {
  const std::string name = "remote-a";
  const std::string agent_ns = "agent-" + name;
  PutKubeconfigSecret("remote-a-kubeconfig", ReadFile(site_->kubeconfig()));
  Apply(RemoteNode(name, "remote-a-kubeconfig"));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "AgentDeployed", "True"); }, seconds(60))) << Node(name).dump(2);
  for (const auto* g :
       {&kube::core::kConfigMaps, &kube::core::kServices, &kube::core::kNetworkPolicies, &kube::core::kDeployments}) {
    EXPECT_TRUE(Get(Site(), *g, agent_ns, AgentObjectName(name)).is_object()) << g->resource;
    EXPECT_FALSE(Get(Hub(), *g, agent_ns, AgentObjectName(name)).is_object()) << g->resource;
  }
  EXPECT_TRUE(Get(Site(), kube::core::kPersistentVolumeClaims, agent_ns, StoreClaimName(name)).is_object());
  const Json secret = Get(Site(), kube::core::kSecrets, agent_ns, HubSecretName(name));
  ASSERT_TRUE(secret.is_object());
  EXPECT_NE(DecodeBase64(secret["data"]["kubeconfig"].get<std::string>())->find(Hub().config().ServerUrl()),
            std::string::npos);
  EXPECT_EQ(WhoAmI(Token(Site(), agent_ns, name)),
            "system:serviceaccount:" + api::NodeNamespace(name) + ":oncoatlas-agent");

  // Drift on the site is undone by the periodic re-check.
  const std::string uid = Get(Site(), kube::core::kServices, agent_ns, AgentObjectName(name))["metadata"]["uid"];
  ASSERT_EQ(site_->Kubectl({"delete", "service", "-n", agent_ns, AgentObjectName(name)}).exit_code, 0);
  EXPECT_TRUE(WaitFor(
      [&] {
        const Json s = Get(Site(), kube::core::kServices, agent_ns, AgentObjectName(name));
        return s.is_object() && s["metadata"]["uid"] != uid;
      },
      seconds(30)));
}

TEST_F(DataNodeIntegration, BadKubeconfigSecretsSayWhichAndRecover) {
  const std::string name = "remote-bad";
  Apply(RemoteNode(name, "remote-bad-kubeconfig"));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "Ready", "False", "KubeconfigSecretNotFound"); }, seconds(30)))
      << Node(name).dump(2);
  EXPECT_NE(Condition(name, "Ready")["message"].get<std::string>().find("remote-bad-kubeconfig"), std::string::npos);

  PutKubeconfigSecret("remote-bad-kubeconfig", "this: is: not: a kubeconfig");
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(name, "Ready", "False", "KubeconfigInvalid"); }, seconds(30)))
      << Node(name).dump(2);

  // A kubeconfig for a server nobody listens on.
  std::string unreachable = ReadFile(site_->kubeconfig());
  const std::string server = site_->server();
  unreachable.replace(unreachable.find(server), server.size(), "https://127.0.0.1:1");
  PutKubeconfigSecret("remote-bad-kubeconfig", unreachable);
  ASSERT_TRUE(
      WaitFor([&] { return ConditionIs(name, "AgentDeployed", "False", "SiteClusterUnreachable"); }, seconds(60)))
      << Node(name).dump(2);
  EXPECT_NE(Condition(name, "AgentDeployed")["message"].get<std::string>().find("127.0.0.1:1"), std::string::npos);

  PutKubeconfigSecret("remote-bad-kubeconfig", ReadFile(site_->kubeconfig()));
  EXPECT_TRUE(WaitFor([&] { return ConditionIs(name, "AgentDeployed", "True"); }, seconds(60))) << Node(name).dump(2);
}

TEST_F(DataNodeIntegration, DeletionWaitsForDatasetsThenRemovesEverythingAndRevokesTheToken) {
  const std::string local = "gone-local";
  const std::string remote = "gone-remote";
  PutKubeconfigSecret("gone-remote-kubeconfig", ReadFile(site_->kubeconfig()));
  Apply(LocalNode(local));
  Apply(RemoteNode(remote, "gone-remote-kubeconfig"));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(local, "AgentDeployed", "True"); }, seconds(60)));
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(remote, "AgentDeployed", "True"); }, seconds(60)));
  const std::string local_token = Token(Hub(), "agents-" + local, local);
  const std::string remote_token = Token(Site(), "agent-" + remote, remote);
  ASSERT_FALSE(WhoAmI(local_token).empty());
  ASSERT_FALSE(WhoAmI(remote_token).empty());

  // A Dataset holds the local node's deletion back, visibly.
  const Json dataset = {{"apiVersion", "oncoatlas.io/v1alpha1"},
                        {"kind", "Dataset"},
                        {"metadata", {{"name", "lung-ct"}, {"namespace", api::NodeNamespace(local)}}},
                        {"spec",
                         {{"node", local},
                          {"source", {{"protocol", "dimse"}}},
                          {"cancerType", {{"code", "C34"}}},
                          {"deidentification", {{"profile", "BasicProfile"}}},
                          {"pseudonymisation", {{"keySecretRef", {{"name", "pseudonymisation-key"}}}}},
                          {"dataUse", {{"permission", "DUO:0000042"}}}}}};
  auto created = Hub().Create(api::kDatasets, api::NodeNamespace(local), dataset);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(WaitFor([&] { return Node(local)["status"].value("datasetCount", 0) == 1; }, seconds(30)));
  ASSERT_EQ(ControlPlaneEnvironment::Get().Kubectl({"delete", "datanode", local, "--wait=false"}).exit_code, 0);
  ASSERT_EQ(ControlPlaneEnvironment::Get().Kubectl({"delete", "datanode", remote, "--wait=false"}).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return ConditionIs(local, "Ready", "False", "DeletionBlockedByDatasets"); }, seconds(30)))
      << Node(local).dump(2);
  EXPECT_NE(Condition(local, "Ready")["message"].get<std::string>().find("lung-ct"), std::string::npos);
  EXPECT_TRUE(Get(Hub(), kube::core::kDeployments, "agents-" + local, AgentObjectName(local)).is_object());
  ASSERT_TRUE(Hub().Delete(api::kDatasets, api::NodeNamespace(local), "lung-ct").ok());

  struct Placed {
    kube::RestClient* client;
    std::string name;
    std::string ns;
  };
  for (const Placed& p :
       std::vector<Placed>{{&Hub(), local, "agents-" + local}, {&Site(), remote, "agent-" + remote}}) {
    kube::RestClient* client = p.client;
    const std::string& name = p.name;
    const std::string& ns = p.ns;
    ExpectDeleted(Hub(), api::kDataNodes, "", name);
    for (const auto* g :
         {&kube::core::kConfigMaps, &kube::core::kServices, &kube::core::kNetworkPolicies, &kube::core::kDeployments}) {
      ExpectDeleted(*client, *g, ns, AgentObjectName(name));
    }
    ExpectDeleted(*client, kube::core::kSecrets, ns, HubSecretName(name));
    ExpectDeleted(Hub(), kube::core::kServiceAccounts, api::NodeNamespace(name), "oncoatlas-agent");
  }
  // retainOnDelete: false for the local node, the default (true) for the remote one.
  // (The PVC-protection finalizer keeps a deleted claim until a controller this control plane
  // does not run removes it: deleted means gone or being deleted.)
  EXPECT_TRUE(WaitFor(
      [&] {
        const Json pvc = Get(Hub(), kube::core::kPersistentVolumeClaims, "agents-" + local, StoreClaimName(local));
        return !pvc.is_object() || pvc["metadata"].contains("deletionTimestamp");
      },
      seconds(30)));
  EXPECT_TRUE(Get(Site(), kube::core::kPersistentVolumeClaims, "agent-" + remote, StoreClaimName(remote)).is_object());
  // The tokens no longer authenticate.
  EXPECT_TRUE(WaitFor([&] { return WhoAmI(local_token).empty() && WhoAmI(remote_token).empty(); }, seconds(30)));
  // The node namespaces go (the namespace controller empties them first).
  EXPECT_TRUE(WaitFor(
      [&] {
        const Json a = Get(Hub(), kube::core::kNamespaces, "", api::NodeNamespace(local));
        const Json b = Get(Hub(), kube::core::kNamespaces, "", api::NodeNamespace(remote));
        return (!a.is_object() || a["metadata"].contains("deletionTimestamp")) &&
               (!b.is_object() || b["metadata"].contains("deletionTimestamp"));
      },
      seconds(30)));
}

}  // namespace
}  // namespace oncoatlas::datanode

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("hub"));
  return RUN_ALL_TESTS();
}
