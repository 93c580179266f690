// `oncoatlas-agent run` against a real control plane and a real Orthanc,
// started by the test-support runner (e2e/node-agent) from a ConfigMap and a
// Secret exactly as the operator renders them (agents/README.md). The test
// plays the operator: it creates the node's hub namespace, the ServiceAccount,
// Role and RoleBinding of the contract and a TokenRequest token.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/resources.h"
#include "core/base64.h"
#include "http/client.h"
#include "kube/client_config.h"
#include "kube/core_resources.h"
#include "kube/lease_json.h"
#include "kube/rest_client.h"
#include "support/agent_process.h"
#include "support/control_plane.h"
#include "support/files.h"
#include "support/node_hub.h"
#include "support/orthanc.h"

namespace oncoatlas::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr const char* kNode = "x";
constexpr const char* kHubNs = "oncoatlas-node-x";
constexpr const char* kSiteNs = "oncoatlas-agent-x";

ControlPlane& Cp() { return ControlPlaneEnvironment::Get(); }

void Kubectl(const std::vector<std::string>& args, const std::string& stdin_data = "") {
  auto r = Cp().Kubectl(args, stdin_data);
  ASSERT_TRUE(r.success()) << r.Describe();
}

std::unique_ptr<kube::RestClient> AdminClient() {
  auto cfg = kube::LoadKubeconfig({.path = Cp().kubeconfig()});
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto c = kube::RestClient::Create(*cfg);
  EXPECT_TRUE(c.ok());
  return std::move(c).value();
}

// A client that authenticates with `token` only.
std::unique_ptr<kube::RestClient> TokenClient(const std::string& token) {
  kube::ClientConfig cfg;
  EXPECT_TRUE(kube::ParseServerUrl(Cp().server(), cfg).ok());
  cfg.ca_pem = ReadFile(Cp().dir() + "/pki/ca.crt");
  cfg.token_source = std::make_shared<kube::StaticTokenSource>(token);
  cfg.source = "test token";
  auto c = kube::RestClient::Create(cfg);
  EXPECT_TRUE(c.ok());
  return std::move(c).value();
}

// TokenRequest for a ServiceAccount, as the operator does.
std::string MintToken(kube::RestClient& admin, const std::string& ns, const std::string& sa) {
  json body = {
      {"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", {{"expirationSeconds", 3600}}}};
  auto r = admin.Request("POST", "/api/v1/namespaces/" + ns + "/serviceaccounts/" + sa + "/token", &body);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->at("status").value("token", "") : "";
}

// The hub side of the contract for node `node`, as the operator renders it.
void CreateNodeNamespace(const std::string& node) {
  Kubectl({"apply", "--server-side", "-f", "-"}, NodeHubObjects(node).dump());
}

std::string HubKubeconfig() {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: hub\n  cluster:\n    server: " + Cp().server() +
         "\n    certificate-authority: ca.crt\nusers:\n- name: agent\n  user:\n    tokenFile: token\n"
         "contexts:\n- name: hub\n  context: {cluster: hub, user: agent, namespace: " +
         std::string(kHubNs) + "}\ncurrent-context: hub\n";
}

void SetSecretToken(const std::string& token) {
  Kubectl({"-n", kSiteNs, "patch", "secret", "oncoatlas-agent-x-hub", "--type=merge", "-p",
           json({{"data", {{"token", EncodeBase64(token)}}}}).dump()});
}

// What a DataNode's Lease says now (null when absent).
json Lease(kube::RestClient& admin) {
  auto r = admin.Get(kube::core::kLeases, kHubNs, "oncoatlas-agent");
  return r.ok() ? *r : json();
}

std::string Annotation(const json& lease, const std::string& key) {
  if (lease.is_null()) return "";
  return lease["metadata"].value("annotations", json::object()).value(key, "");
}

std::chrono::system_clock::time_point RenewTime(const json& lease) {
  if (lease.is_null()) return {};
  auto rec = kube::LeaseFromJson(lease);
  return rec.ok() && rec->renew_time ? *rec->renew_time : std::chrono::system_clock::time_point{};
}

// The site side as the operator renders it (local mode: the same cluster):
// the agent's ConfigMap, its hub Secret, the PACS credentials and the
// Deployment that mounts them.
std::string AgentYaml(const OrthancServer& pacs) {
  return std::string("node: x\nhub:\n  kubeconfig: /etc/oncoatlas/hub/kubeconfig\n") +
         "  namespace: oncoatlas-node-x\n  heartbeat:\n    leaseName: oncoatlas-agent\n"
         "    leaseDurationSeconds: 8\n    renewIntervalSeconds: 1\n"
         "pacs:\n  dicomweb: {url: \"" +
         pacs.dicomweb_url() +
         "\", credentialsDir: /etc/oncoatlas/pacs}\n  checkIntervalSeconds: 1\n"
         "store: {path: /var/lib/oncoatlas}\nserver:\n  healthBindAddress: \"0.0.0.0:8081\"\n"
         "  dicomwebBindAddress: \"0.0.0.0:8080\"\nlogLevel: info\nlogFormat: json\n";
}

json SiteObjects(const OrthancServer& pacs, const std::string& token) {
  const std::string ca = ReadFile(Cp().dir() + "/pki/ca.crt");
  return {{"apiVersion", "v1"},
          {"kind", "List"},
          {"items",
           {{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kSiteNs}}}},
            {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "oncoatlas-agent-x"}, {"namespace", kSiteNs}}},
             {"data", {{"agent.yaml", AgentYaml(pacs)}}}},
            {{"apiVersion", "v1"},
             {"kind", "Secret"},
             {"type", "Opaque"},
             {"metadata", {{"name", "oncoatlas-agent-x-hub"}, {"namespace", kSiteNs}}},
             {"data",
              {{"kubeconfig", EncodeBase64(HubKubeconfig())},
               {"token", EncodeBase64(token)},
               {"ca.crt", EncodeBase64(ca)}}}},
            {{"apiVersion", "v1"},
             {"kind", "Secret"},
             {"type", "Opaque"},
             {"metadata", {{"name", "pacs-credentials"}, {"namespace", kSiteNs}}},
             {"data", {{"username", EncodeBase64(pacs.username())}, {"password", EncodeBase64(pacs.password())}}}},
            // The runner finds the PACS credentials where the Deployment mounts them.
            {{"apiVersion", "apps/v1"},
             {"kind", "Deployment"},
             {"metadata", {{"name", "oncoatlas-agent-x"}, {"namespace", kSiteNs}}},
             {"spec",
              {{"replicas", 1},
               {"selector", {{"matchLabels", {{"app.kubernetes.io/instance", "x"}}}}},
               {"template",
                {{"metadata", {{"labels", {{"app.kubernetes.io/instance", "x"}}}}},
                 {"spec",
                  {{"containers",
                    {{{"name", "agent"},
                      {"image", "oncoatlas/agent:test"},
                      {"args", {"run", "--config", "/etc/oncoatlas/config/agent.yaml"}},
                      {"volumeMounts",
                       {{{"name", "hub"}, {"mountPath", "/etc/oncoatlas/hub"}},
                        {{"name", "pacs"}, {"mountPath", "/etc/oncoatlas/pacs"}}}}}}},
                   {"volumes",
                    {{{"name", "hub"}, {"secret", {{"secretName", "oncoatlas-agent-x-hub"}}}},
                     {{"name", "pacs"}, {"secret", {{"secretName", "pacs-credentials"}}}}}}}}}}}}}}}};
}

std::string HolderIdentity(int pid) {
  char h[256] = {};
  ::gethostname(h, sizeof(h) - 1);
  return std::string("x/") + h + "-" + std::to_string(pid);
}

// Each test gets a PACS, the rendered site objects with a valid token, no
// Lease yet, and a running agent whose first heartbeat reported the PACS.
class AgentRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Kubectl({"apply", "--server-side", "-f", SourceDir() + "/crds/"});
    Kubectl({"wait", "--for=condition=Established", "--timeout=60s", "crd/datanodes.oncoatlas.io",
             "crd/datasets.oncoatlas.io"});
    admin_ = AdminClient().release();
    CreateNodeNamespace(kNode);
    CreateNodeNamespace("y");
    token_ = MintToken(*admin_, kHubNs, "oncoatlas-agent");
    ASSERT_FALSE(token_.empty());
  }
  static void TearDownTestSuite() {
    delete admin_;
    admin_ = nullptr;
  }

  void SetUp() override {
    auto started = OrthancServer::Start("agentrun", "SITEPACS");
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    pacs_ = std::move(started).value();
    Kubectl({"apply", "-f", "-"}, SiteObjects(*pacs_, token_).dump());
    Kubectl({"-n", kHubNs, "delete", "lease", "oncoatlas-agent", "--ignore-not-found"});

    auto agent_or = AgentProcess::Start({.node = kNode, .site_kubeconfig = Cp().kubeconfig()});
    ASSERT_TRUE(agent_or.ok()) << agent_or.status().ToString();
    agent_ = std::move(agent_or).value();
    ASSERT_TRUE(WaitFor(
        [&] {
          lease_ = Lease(*admin_);
          return Annotation(lease_, "oncoatlas.io/pacs-reachable") == "true";
        },
        seconds(60)))
        << lease_.dump() << agent_->Log();
  }

  void TearDown() override {
    if (agent_) {
      EXPECT_TRUE(agent_->Down().ok());
    }
    if (pacs_) {
      EXPECT_TRUE(pacs_->Stop().ok());
    }
  }

  static kube::RestClient* admin_;
  static std::string token_;
  std::unique_ptr<OrthancServer> pacs_;
  std::unique_ptr<AgentProcess> agent_;
  json lease_;  // the Lease once the PACS was first reported reachable
};

kube::RestClient* AgentRunTest::admin_ = nullptr;
std::string AgentRunTest::token_;

// The kubelet's part: private files, the exact rendered configuration.
TEST_F(AgentRunTest, RunnerWritesPrivateFilesAndTheRenderedConfiguration) {
  struct stat st {};
  ASSERT_EQ(::stat(agent_->dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  ASSERT_EQ(::stat(agent_->hub_token_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(ReadFile(agent_->hub_token_path()), token_);
  EXPECT_EQ(ReadFile(agent_->dir() + "/config/agent.yaml"), AgentYaml(*pacs_));
  EXPECT_EQ(ReadFile(agent_->dir() + "/pacs/password"), pacs_->password());
  EXPECT_THAT(agent_->Log(), HasSubstr("\"level\":\"info\""));  // logFormat: json
}

// The Lease carries the contract's labels and annotations, and its renewTime advances.
TEST_F(AgentRunTest, HeartbeatLeaseCarriesTheContractAndRenews) {
  const int pid = agent_->pid();
  ASSERT_NE(pid, 0);
  EXPECT_EQ(lease_["spec"].value("holderIdentity", ""), HolderIdentity(pid));
  EXPECT_EQ(lease_["spec"].value("leaseDurationSeconds", 0), 8);
  EXPECT_EQ(lease_["metadata"]["labels"].value("oncoatlas.io/node", ""), "x");
  EXPECT_EQ(Annotation(lease_, "oncoatlas.io/agent-version"), "0.1.0");
  EXPECT_THAT(Annotation(lease_, "oncoatlas.io/capabilities"), HasSubstr("dimse-source"));
  EXPECT_THAT(Annotation(lease_, "oncoatlas.io/pacs-message"),
              HasSubstr("DICOMweb GET " + pacs_->dicomweb_url() + "/studies?limit=1 answered HTTP 200"));
  const std::string checked_at = Annotation(lease_, "oncoatlas.io/pacs-checked-at");
  EXPECT_TRUE(kube::ParseMicroTime(checked_at).ok()) << checked_at;
  const auto first_renew = RenewTime(lease_);
  ASSERT_TRUE(WaitFor([&] { return RenewTime(Lease(*admin_)) > first_renew; }, seconds(30)));
  EXPECT_EQ(agent_->Probe("/readyz"), 200);
  EXPECT_EQ(agent_->Probe("/healthz"), 200);
}

TEST_F(AgentRunTest, WatchesTheDatasetsOfItsNamespace) {
  Kubectl({"apply", "-f", "-"}, R"(
apiVersion: oncoatlas.io/v1alpha1
kind: Dataset
metadata: {name: lung-ct, namespace: oncoatlas-node-x}
spec:
  node: x
  title: Lung CT
  source: {protocol: dicomweb, modalities: [CT]}
  cancerType: {code: C34, label: Malignant neoplasm of bronchus and lung}
  modalities: [CT]
  deidentification: {profile: BasicProfile}
  pseudonymisation: {keySecretRef: {name: pseudonymisation-key}}
  dataUse: {permission: "DUO:0000007", diseases: [C34]}
)");
  EXPECT_TRUE(WaitFor([&] { return agent_->Log().find("dataset oncoatlas-node-x/lung-ct seen") != std::string::npos; },
                      seconds(30)))
      << agent_->Log();
  Kubectl({"-n", kHubNs, "delete", "dataset", "lung-ct", "--wait=false"});
}

// Token rotation without a restart: a token the hub does not accept (401)
// makes the agent unready; a valid one makes it ready again, same process.
TEST_F(AgentRunTest, ARejectedTokenMakesItUnreadyUntilAValidOneRotatesIn) {
  const int pid = agent_->pid();
  SetSecretToken("not-a-valid-token");
  ASSERT_TRUE(WaitFor([&] { return ReadFile(agent_->hub_token_path()) == "not-a-valid-token"; }, seconds(30)));
  EXPECT_TRUE(WaitFor([&] { return agent_->Probe("/readyz") == 500; }, seconds(30))) << agent_->Log();
  EXPECT_TRUE(
      WaitFor([&] { return agent_->Log().find("rejected the agent's token (401") != std::string::npos; }, seconds(30)));
  const auto stalled = RenewTime(Lease(*admin_));
  const std::string renewed = MintToken(*admin_, kHubNs, "oncoatlas-agent");
  SetSecretToken(renewed);
  ASSERT_TRUE(WaitFor([&] { return RenewTime(Lease(*admin_)) > stalled; }, seconds(30))) << agent_->Log();
  EXPECT_TRUE(WaitFor([&] { return agent_->Probe("/readyz") == 200; }, seconds(30)));
  EXPECT_EQ(agent_->pid(), pid);
  const std::string log = agent_->Log();
  for (const std::string& t : {token_, renewed}) EXPECT_EQ(log.find(t), std::string::npos);
  EXPECT_EQ(log.find(pacs_->password()), std::string::npos);
}

// A valid token of a ServiceAccount without Lease rights: 403, the renewals
// stop until the agent's own token comes back.
TEST_F(AgentRunTest, ATokenWithoutLeaseRightsStopsTheRenewals) {
  const int pid = agent_->pid();
  Kubectl({"-n", kHubNs, "apply", "-f", "-"},
          R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"intruder"}})");
  const std::string intruder = MintToken(*admin_, kHubNs, "intruder");
  SetSecretToken(intruder);
  ASSERT_TRUE(WaitFor([&] { return ReadFile(agent_->hub_token_path()) == intruder; }, seconds(30)));
  EXPECT_TRUE(
      WaitFor([&] { return agent_->Log().find("denied renewing the heartbeat") != std::string::npos; }, seconds(30)))
      << agent_->Log();
  const auto stalled = RenewTime(Lease(*admin_));
  EXPECT_EQ(agent_->Probe("/readyz"), 500);
  SetSecretToken(token_);
  ASSERT_TRUE(WaitFor([&] { return RenewTime(Lease(*admin_)) > stalled; }, seconds(30))) << agent_->Log();
  EXPECT_TRUE(WaitFor([&] { return agent_->Probe("/readyz") == 200; }, seconds(30)));
  EXPECT_EQ(agent_->pid(), pid);
  EXPECT_EQ(agent_->Log().find(intruder), std::string::npos);
}

// The PACS goes away: reported with a message naming it. (A check that runs
// while Orthanc shuts down may see the connection reset instead; the next
// one, a second later, finds nothing listening.)
TEST_F(AgentRunTest, AnUnreachablePacsIsReportedByItsUrl) {
  const std::string url = pacs_->dicomweb_url();
  ASSERT_TRUE(pacs_->Stop().ok());
  json lease;
  EXPECT_TRUE(WaitFor(
      [&] {
        lease = Lease(*admin_);
        return Annotation(lease, "oncoatlas.io/pacs-reachable") == "false" &&
               Annotation(lease, "oncoatlas.io/pacs-message")
                       .find("DICOMweb GET " + url + "/studies?limit=1 failed: cannot connect") != std::string::npos;
      },
      seconds(30)))
      << lease.dump() << agent_->Log();
}

// A crash and a restart: a new holder takes the Lease over.
TEST_F(AgentRunTest, ARestartedAgentTakesTheLeaseOver) {
  ASSERT_TRUE(agent_->Kill().ok());
  EXPECT_EQ(agent_->pid(), 0);
  ASSERT_TRUE(agent_->Restart().ok());
  const int new_pid = agent_->pid();
  ASSERT_NE(new_pid, 0);
  json lease;
  ASSERT_TRUE(WaitFor(
      [&] {
        lease = Lease(*admin_);
        return lease["spec"].value("holderIdentity", "") == HolderIdentity(new_pid);
      },
      seconds(30)))
      << agent_->Log();
  EXPECT_EQ(lease["spec"].value("leaseTransitions", 0), 1);
}

TEST_F(AgentRunTest, SigtermExitsCleanly) {
  auto code = agent_->Terminate();
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 0) << agent_->Log();
  EXPECT_THAT(agent_->Log(), HasSubstr("received SIGTERM; stopping"));
}

TEST_F(AgentRunTest, AgentCredentialsStopAtItsNamespace) {
  auto agent = TokenClient(MintToken(*admin_, kHubNs, "oncoatlas-agent"));
  // What the Role allows.
  auto own = agent->List(api::kDatasets, kHubNs);
  EXPECT_TRUE(own.ok()) << own.status().ToString();
  // Nothing the agent does not use: ConfigMaps, even in its own namespace.
  auto configmaps = agent->List(kube::core::kConfigMaps, kHubNs);
  ASSERT_FALSE(configmaps.ok());
  EXPECT_EQ(configmaps.error().http_code(), 403);
  // Another node's namespace.
  auto other = agent->List(api::kDatasets, "oncoatlas-node-y");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().http_code(), 403);
  auto other_lease = agent->Get(kube::core::kLeases, "oncoatlas-node-y", "oncoatlas-agent");
  ASSERT_FALSE(other_lease.ok());
  EXPECT_EQ(other_lease.error().http_code(), 403);
  // Secrets cluster-wide.
  auto secrets = agent->List(kube::core::kSecrets, "");
  ASSERT_FALSE(secrets.ok());
  EXPECT_EQ(secrets.error().http_code(), 403);
  // DataNodes: the agent reports through its Lease, never by writing them.
  std::string sample = ReadFile(SourceDir() + "/crds/samples/10-datanodes.yaml");
  sample = sample.substr(0, sample.find("\n---"));
  Kubectl({"apply", "--server-side", "-f", "-"}, sample);
  auto patch = agent->Patch(api::kDataNodes, "", "se-stockholm", kube::PatchType::kMerge,
                            json{{"metadata", {{"labels", {{"touched", "yes"}}}}}});
  ASSERT_FALSE(patch.ok());
  EXPECT_EQ(patch.error().http_code(), 403);
  auto status = agent->PatchStatus(api::kDataNodes, "", "se-stockholm", kube::PatchType::kMerge,
                                   json{{"status", {{"agentVersion", "9.9.9"}}}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().http_code(), 403);
  auto get = agent->Get(api::kDataNodes, "", "se-stockholm");
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.error().http_code(), 403);
}

// The DICOMweb probe's HTTPS path, against the API server's TLS endpoint:
// verified with the right CA (an HTTP answer comes back), refused without it.
TEST(HttpsProbeTest, VerifiesTheServerCertificate) {
  http::ClientOptions options;
  options.ca_file = Cp().dir() + "/pki/ca.crt";
  auto r = http::Client::Create(Cp().server(), options)->Send("GET", "/studies?limit=1", "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 401);  // anonymous requests are off on this API server
  options.ca_file.clear();
  r = http::Client::Create(Cp().server(), options)->Send("GET", "/studies?limit=1", "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("TLS handshake with " + Cp().server() + " failed"));
}

}  // namespace
}  // namespace oncoatlas::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("agentrun"));
  return RUN_ALL_TESTS();
}
