// oncoatlas-operator, the real binary, against a real kube-apiserver with
// crds/ and crds/samples/ installed, running with exactly the chart's RBAC.
// SamplesTest (one operator process for all its scenarios, in order):
// conditions with observedGeneration on the samples (the local DataNode's
// agent deployed, the remote ones' kubeconfig problems named); a Dataset
// finding its DataNode once it appears (same process); observedGeneration
// following edits; no writes once settled (also after re-applying the
// samples). OperatorTest (a process per scenario): SIGTERM → exit 0 with the
// Lease released; leader hand-over when the leader is killed; the chart
// through a server-side dry run; bad flags → exit 2.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chart_install.h"
#include "core/subprocess.h"
#include "operator_process.h"
#include "support/control_plane.h"

namespace oncoatlas::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

constexpr char kSystemNamespace[] = "oncoatlas-system";

ControlPlane& Cp() { return ControlPlaneEnvironment::Get(); }

SubprocessResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_data = "") {
  return Cp().Kubectl(args, stdin_data);
}

// `kubectl get -o json`; null when it fails (e.g. not found).
json GetJson(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"get"};
  full.insert(full.end(), args.begin(), args.end());
  full.insert(full.end(), {"-o", "json"});
  const SubprocessResult r = Kubectl(full);
  if (!r.success()) return nullptr;
  return json::parse(r.out, nullptr, false);
}

json Condition(const json& object, const std::string& type) {
  if (!object.is_object() || !object.contains("status")) return nullptr;
  for (const json& c : object["status"].value("conditions", json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

// The Ready condition of an object once it is current (observedGeneration ==
// generation), or null.
json CurrentReady(const std::vector<std::string>& get_args) {
  const json object = GetJson(get_args);
  const json ready = Condition(object, "Ready");
  if (!ready.is_object()) return nullptr;
  if (ready.value("observedGeneration", -1) != object["metadata"].value("generation", -2)) return nullptr;
  if (object["status"].value("observedGeneration", -1) != object["metadata"].value("generation", -2)) return nullptr;
  return ready;
}

// Waits until the object's current Ready condition has `reason`; returns the
// condition (null after the timeout).
json WaitForReason(const std::vector<std::string>& get_args, const std::string& reason,
                   milliseconds timeout = seconds(60)) {
  json found;
  WaitFor(
      [&] {
        found = CurrentReady(get_args);
        return found.is_object() && found.value("reason", "") == reason;
      },
      timeout, milliseconds(200));
  return found.is_object() && found.value("reason", "") == reason ? found : json(nullptr);
}

// Waits until the Dataset's DataNodeFound condition (the operator's only part
// of a Dataset's status; Ready is the node agent's) has `reason` for the
// current generation; returns the condition (null after the timeout).
json WaitForDataNodeFound(const std::string& ns, const std::string& name, const std::string& reason,
                          milliseconds timeout = seconds(60)) {
  json found;
  WaitFor(
      [&] {
        const json object = GetJson({"dataset", "-n", ns, name});
        found = Condition(object, "DataNodeFound");
        return found.is_object() && found.value("reason", "") == reason &&
               found.value("observedGeneration", -1) == object["metadata"].value("generation", -2);
      },
      timeout, milliseconds(200));
  return found.is_object() && found.value("reason", "") == reason ? found : json(nullptr);
}

std::string OperatorBinary() { return ONCOATLAS_OPERATOR_BINARY; }

// The kubeconfig of the operator's ServiceAccount, bound by the chart's RBAC
// (written by SetUpTestSuite): every test runs the operator with exactly the
// rights charts/oncoatlas grants it.
std::string OperatorKubeconfig() { return Cp().dir() + "/operator-sa.kubeconfig"; }

std::vector<std::string> BaseArgs() {
  return {"--kubeconfig",
          OperatorKubeconfig(),
          "--operator-namespace",
          kSystemNamespace,
          "--metrics-bind-address",
          "0",
          "--health-probe-bind-address",
          "127.0.0.1:0",
          "--log-level",
          "debug"};
}

std::unique_ptr<OperatorProcess> StartOperator(const std::string& log_name, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = BaseArgs();
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = std::make_unique<OperatorProcess>(OperatorBinary(), args, Cp().dir() + "/" + log_name + ".log");
  EXPECT_TRUE(p->started());
  return p;
}

std::vector<std::string> LeaderArgs(const std::string& id) {
  return {"--leader-elect",
          "--leader-election-namespace",
          kSystemNamespace,
          "--leader-election-id",
          id,
          "--lease-duration",
          "4s",
          "--renew-deadline",
          "3s",
          "--retry-period",
          "1s"};
}

// resourceVersion of every oncoatlas object and Event, by kind/namespace/name.
std::map<std::string, std::string> ResourceVersions() {
  std::map<std::string, std::string> out;
  const json list = GetJson({"oncoatlas", "-A"});
  if (!list.is_object()) return out;
  for (const json& item : list["items"]) {
    out[item.value("kind", "") + "/" + item["metadata"].value("namespace", "") + "/" +
        item["metadata"].value("name", "")] = item["metadata"].value("resourceVersion", "");
  }
  return out;
}

class OperatorTest : public ::testing::Test {
 protected:
  // Once per binary: the CRDs, the samples, the operator's namespace and RBAC.
  static void SetUpTestSuite() {
    static bool installed = false;
    if (installed) return;
    installed = true;
    const fs::path crds = fs::path(SourceDir()) / "crds";
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(crds)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      const SubprocessResult r = Kubectl({"apply", "--server-side", "-f", f.string()});
      ASSERT_TRUE(r.success()) << f << ": " << r.Describe();
    }
    const SubprocessResult established =
        Kubectl({"wait", "--for", "condition=Established", "--timeout", "60s", "crd/datanodes.oncoatlas.io",
                 "crd/datasets.oncoatlas.io", "crd/accessgrants.oncoatlas.io", "crd/benchmarkruns.oncoatlas.io",
                 "crd/accesspolicies.oncoatlas.io"});
    ASSERT_TRUE(established.success()) << established.Describe();
    ApplySamples();
    const SubprocessResult ns = Kubectl({"create", "namespace", kSystemNamespace});
    ASSERT_TRUE(ns.success()) << ns.Describe();
    InstallOperatorRbac();
  }

  // Renders charts/oncoatlas with the real helm and applies its RBAC (the
  // operator runs here as a process, not from the chart's Deployment), and
  // writes a kubeconfig with a token of the operator's ServiceAccount.
  static void InstallOperatorRbac() {
    Status installed = InstallChart(
        Cp(), "oncoatlas", "oncoatlas", kSystemNamespace,
        {"--show-only", "templates/operator-rbac.yaml", "--show-only", "templates/operator-serviceaccount.yaml"});
    ASSERT_TRUE(installed.ok()) << installed.ToString();
    Status written = WriteServiceAccountKubeconfig(Cp(), kSystemNamespace, "oncoatlas-operator", OperatorKubeconfig());
    ASSERT_TRUE(written.ok()) << written.ToString();
  }

  static void ApplySamples() {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(fs::path(SourceDir()) / "crds" / "samples")) {
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      const SubprocessResult r = Kubectl({"apply", "--server-side", "-f", f.string()});
      ASSERT_TRUE(r.success()) << f << ": " << r.Describe();
    }
  }

  static void StopGracefully(OperatorProcess& p) {
    p.Signal(SIGTERM);
    const auto status = p.Wait(seconds(30));
    ASSERT_TRUE(status) << "the operator did not exit after SIGTERM\n" << p.Log();
    ASSERT_TRUE(WIFEXITED(*status)) << p.Log();
    EXPECT_EQ(WEXITSTATUS(*status), 0) << p.Log();
  }
};

// What the samples' grants report depends on today's date against their windows.
std::string ExpectedGrantReason(const std::string& from, const std::string& until) {
  const std::string now = [] {
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(buf);
  }();
  if (now >= until) return "Expired";
  if (now < from) return "NotYetValid";
  return "PolicyEvaluationPending";
}

// The samples as one operator process reconciles them; the scenarios run in
// this order and share the process.
class SamplesTest : public OperatorTest {
 protected:
  static void SetUpTestSuite() {
    OperatorTest::SetUpTestSuite();
    operator_ = StartOperator("samples").release();
  }
  static void TearDownTestSuite() {
    if (operator_ == nullptr) return;
    EXPECT_TRUE(operator_->Running()) << "the same process throughout, no restart\n" << operator_->Log();
    StopGracefully(*operator_);
    delete operator_;
    operator_ = nullptr;
  }
  static std::string Log() { return operator_->Log(); }

  static OperatorProcess* operator_;
};

OperatorProcess* SamplesTest::operator_ = nullptr;

// No agent runs here, so the local DataNode waits for a heartbeat.
TEST_F(SamplesTest, LocalDataNodeIsDeployedAndWaitsForAHeartbeat) {
  const json ready = WaitForReason({"datanode", "it-milano"}, "NoHeartbeat");
  ASSERT_TRUE(ready.is_object()) << Log();
  EXPECT_EQ(ready["status"], "False");
  const json milano = GetJson({"datanode", "it-milano"});
  EXPECT_EQ(Condition(milano, "AgentDeployed").value("status", ""), "True") << milano.dump();
  EXPECT_EQ(milano["status"].value("namespace", ""), "oncoatlas-node-it-milano");
  EXPECT_TRUE(GetJson({"deployment", "-n", "oncoatlas-agents", "oncoatlas-agent-it-milano"}).is_object())
      << "the operator deploys the local agent with the chart's rights";
  EXPECT_TRUE(GetJson({"serviceaccount", "-n", "oncoatlas-node-it-milano", "oncoatlas-agent"}).is_object());
}

TEST_F(SamplesTest, RemoteDataNodeNamesItsMissingKubeconfigSecret) {
  const json ready = WaitForReason({"datanode", "se-stockholm"}, "KubeconfigSecretNotFound");
  ASSERT_TRUE(ready.is_object()) << Log();
  EXPECT_EQ(ready["status"], "False");
  EXPECT_NE(ready["message"].get<std::string>().find(
                "kubectl create secret generic se-stockholm-kubeconfig -n oncoatlas-system"),
            std::string::npos)
      << ready.dump();
  EXPECT_EQ(Condition(GetJson({"datanode", "se-stockholm"}), "AgentDeployed").value("status", ""), "False");
}

// Cluster-scoped objects' Events live in "default".
TEST_F(SamplesTest, MissingKubeconfigSecretIsAWarningEvent) {
  bool warned = false;
  json events;
  EXPECT_TRUE(WaitFor(
      [&] {
        events = GetJson({"events", "-n", "default", "--field-selector", "involvedObject.name=se-stockholm"});
        if (!events.is_object()) return false;
        for (const json& e : events["items"]) {
          warned = warned || (e.value("reason", "") == "KubeconfigSecretNotFound" && e.value("type", "") == "Warning");
        }
        return warned;
      },
      seconds(30)))
      << events.dump();
}

TEST_F(SamplesTest, DatasetsFindTheirDataNodesWhoseAgentsDoNotReportIn) {
  for (const auto& [ns, name] :
       std::vector<std::pair<std::string, std::string>>{{"oncoatlas-node-se-stockholm", "breast-screening-2018-2022"},
                                                        {"oncoatlas-node-de-heidelberg", "lung-staging-ct-pet"}}) {
    const json found = WaitForDataNodeFound(ns, name, "DataNodeFound");
    ASSERT_TRUE(found.is_object()) << ns << "/" << name << "\n" << Log();
    EXPECT_EQ(found["status"], "True");
    const json connected = Condition(GetJson({"dataset", "-n", ns, name}), "NodeConnected");
    EXPECT_EQ(connected.value("status", ""), "False") << connected.dump();
    EXPECT_EQ(connected.value("reason", ""), "NodeNotConnected") << connected.dump();
  }
}

TEST_F(SamplesTest, PoliciesAreValid) {
  for (const char* policy : {"baseline", "commercial-benchmarks", "german-sites-retrieval"}) {
    EXPECT_TRUE(WaitForReason({"accesspolicy", policy}, "Valid").is_object()) << policy << "\n" << Log();
  }
}

TEST_F(SamplesTest, GrantResolvesDatasetsByNameAndBySelector) {
  const json ready = WaitForReason({"accessgrant", "-n", "research-uppsala-radiomics", "radiomics-breast-lung-2026"},
                                   ExpectedGrantReason("2026-02-01T00:00:00Z", "2027-01-31T23:59:59Z"));
  ASSERT_TRUE(ready.is_object()) << Log();
  const json radiomics = GetJson({"accessgrant", "-n", "research-uppsala-radiomics", "radiomics-breast-lung-2026"});
  EXPECT_EQ(radiomics["status"].value("datasetCount", -1), 2) << "breast by name, lung by selector";
  EXPECT_EQ(Condition(radiomics, "DatasetsResolved").value("status", ""), "True");
}

TEST_F(SamplesTest, GrantReportsItsValidityWindow) {
  EXPECT_TRUE(WaitForReason({"accessgrant", "-n", "vendor-lumen-diagnostics", "lumen-mammo-benchmark"},
                            ExpectedGrantReason("2026-12-01T00:00:00Z", "2027-05-31T00:00:00Z"))
                  .is_object())
      << Log();
}

TEST_F(SamplesTest, BenchmarkRunWaitsForAnActiveGrant) {
  EXPECT_TRUE(WaitForReason({"benchmarkrun", "-n", "vendor-lumen-diagnostics", "lumen-mammo-v3-1"}, "GrantNotActive")
                  .is_object())
      << Log();
}

// The Secret appears, but holds no usable kubeconfig: the reason changes at
// once (a Secret change maps to its DataNodes) and says what to put there.
TEST_F(SamplesTest, KubeconfigSecretWithoutAKubeconfigIsInvalid) {
  ASSERT_TRUE(WaitForReason({"datanode", "se-stockholm"}, "KubeconfigSecretNotFound").is_object()) << Log();
  const SubprocessResult r = Kubectl({"-n", kSystemNamespace, "create", "secret", "generic", "se-stockholm-kubeconfig",
                                      "--from-literal=kubeconfig=apiVersion: v1"});
  ASSERT_TRUE(r.success()) << r.Describe();
  const json ready = WaitForReason({"datanode", "se-stockholm"}, "KubeconfigInvalid", seconds(20));
  ASSERT_TRUE(ready.is_object()) << Log();
  EXPECT_EQ(ready["status"], "False");
  EXPECT_NE(ready["message"].get<std::string>().find("kubectl config view --minify --flatten"), std::string::npos)
      << ready.dump();
}

TEST_F(SamplesTest, DatasetFindsItsDataNodeOnceItAppears) {
  SubprocessResult r = Kubectl({"create", "namespace", "oncoatlas-node-late"});
  ASSERT_TRUE(r.success()) << r.Describe();
  const std::string dataset = R"(apiVersion: oncoatlas.io/v1alpha1
kind: Dataset
metadata:
  name: late-breast
  namespace: oncoatlas-node-late
spec:
  node: late
  title: First title
  source: {protocol: folder, path: late/in}
  cancerType: {code: C50}
  deidentification: {profile: BasicProfile}
  pseudonymisation: {keySecretRef: {name: pseudonymisation-key}}
  dataUse: {permission: "DUO:0000007", diseases: [C50]}
)";
  r = Kubectl({"apply", "--server-side", "-f", "-"}, dataset);
  ASSERT_TRUE(r.success()) << r.Describe();
  json found = WaitForDataNodeFound("oncoatlas-node-late", "late-breast", "DataNodeNotFound");
  ASSERT_TRUE(found.is_object()) << Log();
  EXPECT_EQ(found["status"], "False");
  EXPECT_NE(found["message"].get<std::string>().find("DataNode \"late\" does not exist"), std::string::npos);

  const std::string datanode = R"(apiVersion: oncoatlas.io/v1alpha1
kind: DataNode
metadata:
  name: late
spec:
  organisation: {name: Late Hospital}
  country: FR
  tier: 1
  cluster: {local: {}}
)";
  r = Kubectl({"apply", "--server-side", "-f", "-"}, datanode);
  ASSERT_TRUE(r.success()) << r.Describe();
  found = WaitForDataNodeFound("oncoatlas-node-late", "late-breast", "DataNodeFound");
  ASSERT_TRUE(found.is_object()) << Log();
  EXPECT_EQ(found["status"], "True");
  EXPECT_TRUE(operator_->Running()) << "the same process, no restart";
}

// An edit bumps the generation; DataNodeFound's observedGeneration follows.
// status.observedGeneration and Ready are the node agent's (none runs here).
TEST_F(SamplesTest, EditedDatasetsDataNodeFoundFollowsTheGeneration) {
  const json before = GetJson({"dataset", "-n", "oncoatlas-node-late", "late-breast"});
  ASSERT_TRUE(before.is_object()) << "made by DatasetFindsItsDataNodeOnceItAppears";
  const int generation = before["metadata"]["generation"];
  const SubprocessResult r = Kubectl({"-n", "oncoatlas-node-late", "patch", "dataset", "late-breast", "--type", "merge",
                                      "-p", R"({"spec":{"title":"Second title"}})"});
  ASSERT_TRUE(r.success()) << r.Describe();
  ASSERT_TRUE(WaitFor(
      [&] {
        const json now = GetJson({"dataset", "-n", "oncoatlas-node-late", "late-breast"});
        const json c = Condition(now, "DataNodeFound");
        return now["metadata"].value("generation", 0) == generation + 1 && c.is_object() &&
               c.value("observedGeneration", 0) == generation + 1;
      },
      seconds(30)))
      << Log();
  const json edited = GetJson({"dataset", "-n", "oncoatlas-node-late", "late-breast"});
  EXPECT_FALSE(edited["status"].contains("observedGeneration")) << edited.dump();
  EXPECT_FALSE(Condition(edited, "Ready").is_object()) << "Ready is the agent's: " << edited.dump();
}

// Settled: nothing changes any more, and re-applying the samples (as a GitOps
// tool does) changes nothing either.
TEST_F(SamplesTest, NothingIsWrittenOnceSettledNorWhenTheSamplesAreReapplied) {
  std::map<std::string, std::string> settled;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto a = ResourceVersions();
        std::this_thread::sleep_for(milliseconds(1500));  // an observation window, not a wait for a state
        auto b = ResourceVersions();
        settled = b;
        return !a.empty() && a == b;
      },
      seconds(30)));
  ApplySamples();
  std::this_thread::sleep_for(seconds(3));  // an observation window: a write loop would show within it
  EXPECT_EQ(ResourceVersions(), settled) << "objects were written although nothing changed";
}

TEST_F(OperatorTest, SigtermExitsZeroAndReleasesTheLease) {
  auto op = StartOperator("sigterm", LeaderArgs("sigterm-lease"));
  std::string holder;
  ASSERT_TRUE(WaitFor(
      [&] {
        const json lease = GetJson({"lease", "-n", kSystemNamespace, "sigterm-lease"});
        holder = lease.is_object() ? lease["spec"].value("holderIdentity", "") : "";
        return !holder.empty();
      },
      seconds(30)))
      << op->Log();
  EXPECT_NE(holder.find("_" + std::to_string(op->pid())), std::string::npos) << holder;

  // Leading, it reconciles.
  SubprocessResult r = Kubectl({"apply", "--server-side", "-f", "-"}, R"(apiVersion: oncoatlas.io/v1alpha1
kind: DataNode
metadata:
  name: sigterm-node
spec:
  organisation: {name: Hospital}
  country: NL
  tier: 1
  cluster: {local: {}}
)");
  ASSERT_TRUE(r.success()) << r.Describe();
  ASSERT_TRUE(WaitForReason({"datanode", "sigterm-node"}, "NoHeartbeat").is_object()) << op->Log();

  const auto start = std::chrono::steady_clock::now();
  StopGracefully(*op);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, seconds(10)) << "shutdown should not wait for the lease to expire";
  const json lease = GetJson({"lease", "-n", kSystemNamespace, "sigterm-lease"});
  ASSERT_TRUE(lease.is_object());
  EXPECT_EQ(lease["spec"].value("holderIdentity", ""), "") << lease.dump();
  EXPECT_NE(op->Log().find("shutting down"), std::string::npos);
}

TEST_F(OperatorTest, FollowerTakesOverWhenTheLeaderIsKilled) {
  auto first = StartOperator("leader-a", LeaderArgs("handover-lease"));
  json lease;
  ASSERT_TRUE(WaitFor(
      [&] {
        lease = GetJson({"lease", "-n", kSystemNamespace, "handover-lease"});
        return lease.is_object() && !lease["spec"].value("holderIdentity", "").empty();
      },
      seconds(30)))
      << first->Log();
  auto second = StartOperator("leader-b", LeaderArgs("handover-lease"));
  // The second is a follower: wait until it has campaigned (its log says so).
  ASSERT_TRUE(WaitFor([&] { return second->Log().find("campaigning for Lease") != std::string::npos; }, seconds(30)))
      << second->Log();
  lease = GetJson({"lease", "-n", kSystemNamespace, "handover-lease"});
  const std::string first_id = lease["spec"].value("holderIdentity", "");
  ASSERT_NE(first_id.find("_" + std::to_string(first->pid())), std::string::npos) << first_id;
  const int transitions = lease["spec"].value("leaseTransitions", 0);

  first->Signal(SIGKILL);
  ASSERT_TRUE(first->Wait(seconds(10)));
  const json at_kill = GetJson({"lease", "-n", kSystemNamespace, "handover-lease"});
  const std::string last_renew = at_kill["spec"].value("renewTime", "");

  json taken;
  ASSERT_TRUE(WaitFor(
      [&] {
        taken = GetJson({"lease", "-n", kSystemNamespace, "handover-lease"});
        return taken.is_object() &&
               taken["spec"].value("holderIdentity", "").find("_" + std::to_string(second->pid())) != std::string::npos;
      },
      seconds(30)))
      << second->Log();
  EXPECT_EQ(taken["spec"].value("leaseTransitions", 0), transitions + 1);

  // From the Lease: the follower acquired it within lease duration + retry
  // period (4 s + 1 s) of the dead leader's last renewal, plus scheduling slack.
  auto parse = [](const std::string& micro) {
    std::tm tm{};
    strptime(micro.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    double fraction = micro.size() > 20 ? std::stod("0" + micro.substr(19, micro.size() - 20)) : 0;
    return static_cast<double>(timegm(&tm)) + fraction;
  };
  const double gap = parse(taken["spec"].value("acquireTime", "")) - parse(last_renew);
  EXPECT_GT(gap, 3.0) << "the follower must wait for the lease to expire";
  EXPECT_LE(gap, 4.0 + 1.0 + 1.5) << taken.dump();

  // The new leader reconciles new objects.
  SubprocessResult r = Kubectl({"apply", "--server-side", "-f", "-"}, R"(apiVersion: oncoatlas.io/v1alpha1
kind: DataNode
metadata:
  name: after-handover
spec:
  organisation: {name: Hospital}
  country: BE
  tier: 1
  cluster: {local: {}}
)");
  ASSERT_TRUE(r.success()) << r.Describe();
  ASSERT_TRUE(WaitForReason({"datanode", "after-handover"}, "NoHeartbeat").is_object()) << second->Log();
  StopGracefully(*second);
}

// "Install on a real cluster": the whole chart, as helm renders it with
// production-like values (rendered once).
const std::string& RenderedChart() {
  static const std::string rendered = [] {
    auto r = HelmTemplate("oncoatlas", "hub", kSystemNamespace,
                          {"--set", "agent.hubServer=https://hub.oncoatlas.example.eu:6443", "--set-file",
                           "agent.hubCACert=" + Cp().dir() + "/pki/ca.crt", "--set",
                           "operator.image.digest=sha256:"
                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::string();
  }();
  return rendered;
}

// The operator's Deployment as the server would store it (server-side dry run).
json ChartDeployment() {
  const std::string& all = RenderedChart();
  std::string deployment_yaml;
  for (std::size_t start = 0; start < all.size();) {
    std::size_t end = all.find("\n---", start);
    if (end == std::string::npos) end = all.size();
    const std::string doc = all.substr(start, end - start);
    if (doc.find("kind: Deployment") != std::string::npos) deployment_yaml = doc;
    start = end + 4;
  }
  EXPECT_FALSE(deployment_yaml.empty()) << all;
  const SubprocessResult d = Kubectl({"apply", "--dry-run=server", "-o", "json", "-f", "-"}, deployment_yaml);
  EXPECT_TRUE(d.success()) << d.Describe();
  return d.success() ? json::parse(d.out, nullptr, false) : json();
}

TEST_F(OperatorTest, ChartPassesTheServersValidationAndAdmission) {
  ASSERT_FALSE(RenderedChart().empty());
  const SubprocessResult r = Kubectl({"apply", "--dry-run=server", "-f", "-"}, RenderedChart());
  ASSERT_TRUE(r.success()) << r.Describe();
  EXPECT_NE(r.out.find("deployment.apps/hub-operator created (server dry run)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("clusterrole.rbac.authorization.k8s.io/hub-operator created (server dry run)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("configmap/hub-operator-hub-ca created (server dry run)"), std::string::npos) << r.out;
}

TEST_F(OperatorTest, ChartRunsTheOperatorLockedDownWithProbes) {
  const json deployment = ChartDeployment();
  ASSERT_TRUE(deployment.is_object());
  const json& pod = deployment["spec"]["template"]["spec"];
  const json& container = pod["containers"][0];
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(container["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(container["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(container["ports"][1]["containerPort"], 8081);
  EXPECT_TRUE(container["resources"]["limits"].contains("memory"));
  EXPECT_NE(container["image"].get<std::string>().find("@sha256:0123"), std::string::npos);
}

// With the chart's arguments the binary gets past flag validation and stops
// only at the kubeconfig (the test has no pod to run it in).
TEST_F(OperatorTest, BinaryAcceptsTheChartsArguments) {
  const json deployment = ChartDeployment();
  ASSERT_TRUE(deployment.is_object());
  std::vector<std::string> argv = {OperatorBinary()};
  for (const json& a : deployment["spec"]["template"]["spec"]["containers"][0]["args"]) {
    argv.push_back(a.get<std::string>());
  }
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--hub-ca-file=/etc/oncoatlas/hub-ca/ca.crt"), argv.end());
  argv.insert(argv.end(), {"--kubeconfig", "/nonexistent/kubeconfig"});
  auto run = RunSubprocess(argv);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 2) << run->Describe();
  EXPECT_EQ(run->err.find("invalid value"), std::string::npos) << run->err;
  EXPECT_NE(run->err.find("--kubeconfig"), std::string::npos) << run->err;
}

// A bad flag exits 2 with a message that names it.
void ExpectExitTwoNaming(const std::vector<std::string>& args, const std::string& flag) {
  std::vector<std::string> argv = {OperatorBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = RunSubprocess(argv);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->exit_code, 2) << result->Describe();
  EXPECT_NE(result->err.find(flag), std::string::npos) << result->err;
}

TEST_F(OperatorTest, LeaseShorterThanTheRenewDeadlineExitsTwo) {
  ExpectExitTwoNaming({"--lease-duration", "2s", "--renew-deadline", "5s"}, "--lease-duration");
}

TEST_F(OperatorTest, MissingKubeconfigExitsTwo) {
  ExpectExitTwoNaming({"--kubeconfig", "/nonexistent/kubeconfig"}, "--kubeconfig");
}

TEST_F(OperatorTest, TokenLifetimeUnderTheServersMinimumExitsTwo) {
  ExpectExitTwoNaming({"--agent-token-lifetime", "5m"}, "--agent-token-lifetime");
}

TEST_F(OperatorTest, UnreadableHubCaFileExitsTwo) {
  ExpectExitTwoNaming({"--kubeconfig", OperatorKubeconfig(), "--hub-ca-file", "/nonexistent/ca.crt",
                       "--health-probe-bind-address", "0", "--metrics-bind-address", "0"},
                      "--hub-ca-file");
}

}  // namespace
}  // namespace oncoatlas::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("operator"));
  return RUN_ALL_TESTS();
}
