// charts/oncoatlas (the hub) and charts/oncoatlas-site with the real helm on
// a real control plane (one for the binary): helm lint --strict, helm
// template, a server-side dry run, the values schemas' and templates'
// refusals (each with its message), and real helm install, upgrade and
// uninstall: what the charts create, what stays after uninstall (CRDs, the
// agent namespace and the agent's PersistentVolumeClaim) and that a failed
// install leaves nothing cluster-wide. The operator's use of the charts' RBAC
// is tested in operator_integration_test and operator_agents_integration_test.
//
// Tests run in file order; each removes what it installed, except the CRDs,
// which only the first tests (before any hub install) need absent.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "chart_install.h"
#include "core/subprocess.h"
#include "support/control_plane.h"

namespace oncoatlas::testing {
namespace {

ControlPlane& Cp() { return ControlPlaneEnvironment::Get(); }

SubprocessResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_data = "") {
  return Cp().Kubectl(args, stdin_data);
}

SubprocessResult Helm(const std::vector<std::string>& args) { return oncoatlas::testing::Helm(Cp(), args); }

bool Exists(const std::vector<std::string>& object) {
  std::vector<std::string> args = {"get"};
  args.insert(args.end(), object.begin(), object.end());
  args.insert(args.end(), {"-o", "name", "--ignore-not-found"});
  const SubprocessResult r = Kubectl(args);
  EXPECT_TRUE(r.success()) << r.Describe();
  return !r.out.empty();
}

// The cluster-scoped objects of a hub release named `release`, and of a site
// release in namespace `ns`: none of them may outlive an uninstall or a
// failed install.
std::vector<std::vector<std::string>> HubClusterObjects(const std::string& release) {
  return {{"clusterrole", release + "-operator"},
          {"clusterrolebinding", release + "-operator"},
          {"validatingadmissionpolicy", "oncoatlas-dataset-namespace"},
          {"validatingadmissionpolicybinding", "oncoatlas-dataset-namespace"}};
}
std::vector<std::vector<std::string>> SiteClusterObjects(const std::string& ns) {
  return {{"clusterrole", "oncoatlas-hub-operator-" + ns}, {"clusterrolebinding", "oncoatlas-hub-operator-" + ns}};
}

void ExpectNoneExist(const std::vector<std::vector<std::string>>& objects) {
  for (const auto& o : objects) EXPECT_FALSE(Exists(o)) << o[0] << "/" << o[1] << " is left behind";
}

void ExpectNoRelease(const std::string& release, const std::string& ns) {
  const SubprocessResult r = Helm({"status", release, "-n", ns});
  EXPECT_FALSE(r.success()) << "helm recorded release " << ns << "/" << release << ": " << r.out;
}

const std::string kHubServer = "agent.hubServer=https://hub.oncoatlas.example.eu:6443";

TEST(ChartsTest, LintStrictPassesForBothCharts) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"lint", "--strict", "charts/oncoatlas", "--set", kHubServer},
        std::vector<std::string>{"lint", "--strict", "charts/oncoatlas-site", "-n", "oncoatlas-agent"}}) {
    const SubprocessResult r = Helm(args);
    EXPECT_TRUE(r.success()) << args[2] << ": " << r.out << r.Describe();
    EXPECT_NE(r.out.find("0 chart(s) failed"), std::string::npos) << r.out;
  }
}

// Offline rendering needs no cluster: the CRD check and the namespace check
// are skipped (lookup finds nothing), so `helm template | kubectl apply`
// (InstallChart) keeps working.
TEST(ChartsTest, TemplateRendersBothChartsOffline) {
  auto hub = HelmTemplate("oncoatlas", "hub", "oncoatlas-system", {"--include-crds"});
  ASSERT_TRUE(hub.ok()) << hub.status().ToString();
  for (const char* kind :
       {"kind: CustomResourceDefinition", "kind: Deployment", "kind: ClusterRole", "kind: ValidatingAdmissionPolicy"}) {
    EXPECT_NE(hub->find(kind), std::string::npos) << kind;
  }
  EXPECT_NE(hub->find("name: datanodes.oncoatlas.io"), std::string::npos);
  auto site = HelmTemplate("oncoatlas-site", "site", "default");
  ASSERT_TRUE(site.ok()) << site.status().ToString();
  EXPECT_EQ(site->find("kind: Namespace"), std::string::npos) << "the site chart must not own its namespace";
  EXPECT_NE(site->find("name: oncoatlas-hub-operator-default"), std::string::npos) << *site;
}

struct Refusal {
  std::string chart;
  std::vector<std::string> args;
  std::string message;
};

// Values that would only fail at run time (a crash-looping operator) are
// refused by helm, with a message that names the value.
TEST(ChartsTest, BadValuesAreRefusedWithAMessage) {
  const std::vector<Refusal> refusals = {
      {"oncoatlas", {"--set", "operator.replicas=two"}, "at '/operator/replicas': got string, want integer"},
      {"oncoatlas",
       {"--set", "operator.logLevel=verbose"},
       "at '/operator/logLevel': value must be one of 'trace', 'debug', 'info', 'warn', 'error', 'critical', 'off'"},
      {"oncoatlas",
       {"--set", "agent.hubServer=http://hub.oncoatlas.example.eu:6443"},
       "at '/agent/hubServer': 'http://hub.oncoatlas.example.eu:6443' does not match pattern '^(https://"},
      {"oncoatlas", {"--set", "operator.replica=2"}, "at '/operator': additional properties 'replica' not allowed"},
      {"oncoatlas", {"--set", "operator.workers=0"}, "at '/operator/workers': minimum: got 0, want 1"},
      {"oncoatlas", {"--set", "operator.image.pullPolicy=Sometimes"}, "at '/operator/image/pullPolicy'"},
      {"oncoatlas", {"--set", "operator.image.digest=0123abc"}, "at '/operator/image/digest': '0123abc'"},
      {"oncoatlas", {"--set", "agent.tokenLifetime=1 hour"}, "at '/agent/tokenLifetime': '1 hour' does not match"},
      {"oncoatlas",
       {"--set", "agent.tokenLifetime=5m"},
       "agent.tokenLifetime is 5m: give a duration from 10m to 2160h, e.g. 1h"},
      {"oncoatlas",
       {"--set", "agent.renewInterval=1m"},
       "agent.renewInterval (1m) must be shorter than agent.leaseDuration (40s)"},
      {"oncoatlas",
       {"--set", "operator.leaderElection.renewDeadline=20s"},
       "operator.leaderElection.leaseDuration (15s) must be longer than renewDeadline (20s)"},
      {"oncoatlas-site",
       {"--set", "serviceAccount.name=Hub_Operator"},
       "at '/serviceAccount/name': 'Hub_Operator' does not match pattern"},
      {"oncoatlas-site",
       {"--set", "agentNamespace=oncoatlas-agent"},
       "additional properties 'agentNamespace' not allowed"},
  };
  for (const Refusal& refusal : refusals) {
    std::vector<std::string> args = {"template", "x", "charts/" + refusal.chart, "-n", "oncoatlas-agent"};
    args.insert(args.end(), refusal.args.begin(), refusal.args.end());
    const SubprocessResult r = Helm(args);
    EXPECT_FALSE(r.success()) << refusal.args[1] << " was accepted";
    EXPECT_NE(r.err.find(refusal.message), std::string::npos) << refusal.args[1] << ": " << r.err;
  }
}

// Before any hub install: the cluster has no CRDs, and the chart installed
// without them refuses, saying how to install them.
TEST(ChartsTest, HubRefusesToInstallWithoutTheCrds) {
  ASSERT_FALSE(Exists({"crd", "datanodes.oncoatlas.io"}));
  const SubprocessResult r =
      Helm({"install", "nocrds", "charts/oncoatlas", "-n", "nocrds-system", "--create-namespace", "--skip-crds"});
  EXPECT_FALSE(r.success()) << r.out;
  EXPECT_NE(r.err.find("this cluster does not serve the OncoAtlas CRDs (oncoatlas.io/v1alpha1 DataNode, Dataset, "
                       "AccessGrant, BenchmarkRun, AccessPolicy)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("kubectl apply --server-side -f charts/oncoatlas/crds/"), std::string::npos) << r.err;
  ExpectNoneExist(HubClusterObjects("nocrds"));
  EXPECT_FALSE(Exists({"namespace", "nocrds-system"}));
  ExpectNoRelease("nocrds", "nocrds-system");
}

TEST(ChartsTest, BothChartsPassTheServersDryRun) {
  // Namespaced objects need their namespace to exist, even in a dry run.
  SubprocessResult r = Kubectl({"create", "namespace", "dry-run"});
  ASSERT_TRUE(r.success()) << r.Describe();
  auto hub = HelmTemplate("oncoatlas", "hub", "dry-run", {"--include-crds", "--set", kHubServer});
  ASSERT_TRUE(hub.ok()) << hub.status().ToString();
  r = Kubectl({"apply", "--dry-run=server", "-f", "-"}, *hub);
  EXPECT_TRUE(r.success()) << r.Describe();
  EXPECT_NE(r.out.find("customresourcedefinition.apiextensions.k8s.io/datanodes.oncoatlas.io created (server dry run)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("deployment.apps/hub-operator created (server dry run)"), std::string::npos) << r.out;

  auto site = HelmTemplate("oncoatlas-site", "site", "dry-run");
  ASSERT_TRUE(site.ok()) << site.status().ToString();
  r = Kubectl({"apply", "--dry-run=server", "-f", "-"}, *site);
  EXPECT_TRUE(r.success()) << r.Describe();
  EXPECT_NE(r.out.find("rolebinding.rbac.authorization.k8s.io/oncoatlas-hub-operator created (server dry run)"),
            std::string::npos)
      << r.out;
  r = Kubectl({"delete", "namespace", "dry-run", "--wait=false"});
  EXPECT_TRUE(r.success()) << r.Describe();
}

// A schema error and a conflicting object both stop helm before it creates
// anything: no template's object, no release, not even the namespace that
// --create-namespace would have made. (Helm 3 installs a chart's crds/
// before it validates values; the CRDs are what a hub needs anyway and helm
// never deletes them.)
TEST(ChartsTest, FailedHubInstallLeavesNothingClusterWide) {
  SubprocessResult r = Helm({"install", "badhub", "charts/oncoatlas", "-n", "badhub-system", "--create-namespace",
                             "--set", "operator.replicas=two"});
  EXPECT_FALSE(r.success()) << r.out;
  EXPECT_NE(r.err.find("at '/operator/replicas': got string, want integer"), std::string::npos) << r.err;
  ExpectNoneExist(HubClusterObjects("badhub"));
  EXPECT_FALSE(Exists({"namespace", "badhub-system"}));
  ExpectNoRelease("badhub", "badhub-system");

  // An object of the same name that helm does not own: the ClusterRole.
  r = Kubectl({"create", "clusterrole", "badhub-operator", "--verb=get", "--resource=pods"});
  ASSERT_TRUE(r.success()) << r.Describe();
  r = Helm({"install", "badhub", "charts/oncoatlas", "-n", "badhub-system", "--create-namespace"});
  EXPECT_FALSE(r.success()) << r.out;
  EXPECT_NE(r.err.find("ClusterRole \"badhub-operator\" in namespace \"\" exists and cannot be imported"),
            std::string::npos)
      << r.err;
  r = Kubectl({"delete", "clusterrole", "badhub-operator"});
  EXPECT_TRUE(r.success()) << r.Describe();
  ExpectNoneExist(HubClusterObjects("badhub"));
  EXPECT_FALSE(Exists({"namespace", "badhub-system"}));
  ExpectNoRelease("badhub", "badhub-system");
}

TEST(ChartsTest, HubInstallsUpgradesAndUninstallsKeepingTheCrds) {
  SubprocessResult r =
      Helm({"install", "hub", "charts/oncoatlas", "-n", "oncoatlas-system", "--create-namespace", "--set", kHubServer});
  ASSERT_TRUE(r.success()) << r.out << r.Describe();
  for (const char* crd : {"datanodes", "datasets", "accessgrants", "benchmarkruns", "accesspolicies"}) {
    EXPECT_TRUE(Exists({"crd", std::string(crd) + ".oncoatlas.io"})) << crd;
  }
  for (const auto& o : HubClusterObjects("hub")) EXPECT_TRUE(Exists(o)) << o[0] << "/" << o[1];
  EXPECT_TRUE(Exists({"-n", "oncoatlas-system", "deployment", "hub-operator"}));
  EXPECT_TRUE(Exists({"-n", "oncoatlas-system", "serviceaccount", "oncoatlas-operator"}));

  // The same values again, and a changed one: no conflict.
  r = Helm({"upgrade", "hub", "charts/oncoatlas", "-n", "oncoatlas-system", "--set", kHubServer, "--set",
            "operator.logLevel=debug"});
  EXPECT_TRUE(r.success()) << r.Describe();
  r = Kubectl({"-n", "oncoatlas-system", "get", "deployment", "hub-operator", "-o",
               "jsonpath={.spec.template.spec.containers[0].args}"});
  EXPECT_NE(r.out.find("--log-level=debug"), std::string::npos) << r.out;

  r = Helm({"uninstall", "hub", "-n", "oncoatlas-system", "--wait", "--timeout", "60s"});
  ASSERT_TRUE(r.success()) << r.Describe();
  ExpectNoneExist(HubClusterObjects("hub"));
  EXPECT_FALSE(Exists({"-n", "oncoatlas-system", "deployment", "hub-operator"}));
  // Helm never deletes a chart's crds/ (deleting a CRD deletes every object of
  // its kind): the federation's DataNodes, Datasets and grants stay.
  for (const char* crd : {"datanodes", "datasets", "accessgrants", "benchmarkruns", "accesspolicies"}) {
    EXPECT_TRUE(Exists({"crd", std::string(crd) + ".oncoatlas.io"})) << crd;
  }
}

constexpr char kOperatorNamespace[] = R"(apiVersion: v1
kind: Namespace
metadata:
  name: oncoatlas-agent
  labels:
    app.kubernetes.io/managed-by: oncoatlas-operator
)";
constexpr char kAgentClaim[] = R"(apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: oncoatlas-agent-se-lund-store
  namespace: oncoatlas-agent
  labels:
    app.kubernetes.io/managed-by: oncoatlas-operator
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
)";

// What the hub operator does with the site chart's identity: server-side
// apply of the namespace's label and of the agent's PVC (field manager
// oncoatlas-operator, forced, as the operator applies).
SubprocessResult ApplyAsHubOperator(const std::string& manifest) {
  return Kubectl({"apply", "--server-side", "--force-conflicts", "--field-manager", "oncoatlas-operator", "--as",
                  "system:serviceaccount:oncoatlas-agent:oncoatlas-hub-operator", "-f", "-"},
                 manifest);
}

TEST(ChartsTest, SiteInstallsUpgradesAndUninstallsKeepingTheAgentsData) {
  SubprocessResult r = Helm({"install", "oncoatlas-site", "charts/oncoatlas-site", "-n", "oncoatlas-agent",
                             "--create-namespace", "--wait", "--timeout", "60s"});
  ASSERT_TRUE(r.success()) << r.out << r.Describe();
  for (const auto& o : SiteClusterObjects("oncoatlas-agent")) EXPECT_TRUE(Exists(o)) << o[0] << "/" << o[1];
  r = ApplyAsHubOperator(kOperatorNamespace);
  ASSERT_TRUE(r.success()) << r.Describe();
  r = ApplyAsHubOperator(kAgentClaim);
  ASSERT_TRUE(r.success()) << r.Describe();

  // Helm does not track the namespace, so an upgrade leaves the operator's
  // label alone and the operator's next apply changes nothing.
  r = Helm({"upgrade", "oncoatlas-site", "charts/oncoatlas-site", "-n", "oncoatlas-agent"});
  ASSERT_TRUE(r.success()) << r.Describe();
  r = Kubectl({"get", "namespace", "oncoatlas-agent", "-o", "jsonpath={.metadata.labels}"});
  EXPECT_NE(r.out.find("\"app.kubernetes.io/managed-by\":\"oncoatlas-operator\""), std::string::npos) << r.out;
  const std::string before =
      Kubectl({"get", "namespace", "oncoatlas-agent", "-o", "jsonpath={.metadata.resourceVersion}"}).out;
  r = ApplyAsHubOperator(kOperatorNamespace);
  ASSERT_TRUE(r.success()) << r.Describe();
  EXPECT_EQ(Kubectl({"get", "namespace", "oncoatlas-agent", "-o", "jsonpath={.metadata.resourceVersion}"}).out, before);

  // The operator may delete the agent's PVC (a DataNode with
  // storage.retainOnDelete: false) but never the namespace.
  const std::string as = "--as=system:serviceaccount:oncoatlas-agent:oncoatlas-hub-operator";
  r = Kubectl({"auth", "can-i", "delete", "persistentvolumeclaims", "-n", "oncoatlas-agent", as});
  EXPECT_EQ(r.out, "yes\n") << r.Describe();
  r = Kubectl({"auth", "can-i", "delete", "namespace/oncoatlas-agent", as});
  EXPECT_EQ(r.out, "no\n") << r.Describe();

  r = Helm({"uninstall", "oncoatlas-site", "-n", "oncoatlas-agent", "--wait", "--timeout", "60s"});
  ASSERT_TRUE(r.success()) << r.Describe();
  ExpectNoneExist(SiteClusterObjects("oncoatlas-agent"));
  EXPECT_FALSE(Exists({"-n", "oncoatlas-agent", "serviceaccount", "oncoatlas-hub-operator"}));
  EXPECT_FALSE(Exists({"-n", "oncoatlas-agent", "rolebinding", "oncoatlas-hub-operator"}));
  // The agent's data stays: the namespace and its PVC, not terminating.
  r = Kubectl({"get", "namespace", "oncoatlas-agent", "-o", "jsonpath={.status.phase}"});
  EXPECT_EQ(r.out, "Active") << r.Describe();
  r = Kubectl({"-n", "oncoatlas-agent", "get", "pvc", "oncoatlas-agent-se-lund-store", "-o",
               "jsonpath={.metadata.deletionTimestamp}"});
  EXPECT_TRUE(r.success()) << r.Describe();
  EXPECT_EQ(r.out, "") << "the agent's PVC is being deleted";

  // Installing again adopts nothing and finds the data where it was.
  r = Helm({"install", "oncoatlas-site", "charts/oncoatlas-site", "-n", "oncoatlas-agent"});
  EXPECT_TRUE(r.success()) << r.Describe();
  r = Helm({"uninstall", "oncoatlas-site", "-n", "oncoatlas-agent"});
  EXPECT_TRUE(r.success()) << r.Describe();
  EXPECT_TRUE(Exists({"-n", "oncoatlas-agent", "pvc", "oncoatlas-agent-se-lund-store"}));
}

TEST(ChartsTest, FailedSiteInstallLeavesNothingClusterWide) {
  // A schema error: not even the namespace is created.
  SubprocessResult r = Helm({"install", "site", "charts/oncoatlas-site", "-n", "bad-agent", "--create-namespace",
                             "--set", "serviceAccount.name=Hub_Operator"});
  EXPECT_FALSE(r.success()) << r.out;
  EXPECT_NE(r.err.find("at '/serviceAccount/name'"), std::string::npos) << r.err;
  EXPECT_FALSE(Exists({"namespace", "bad-agent"}));
  ExpectNoneExist(SiteClusterObjects("bad-agent"));

  // A namespaced object helm does not own (the Role) stops the install before
  // the cluster-wide ClusterRole and binding are created.
  r = Kubectl({"create", "namespace", "conflict-agent"});
  ASSERT_TRUE(r.success()) << r.Describe();
  r = Kubectl({"-n", "conflict-agent", "create", "role", "oncoatlas-hub-operator", "--verb=get", "--resource=pods"});
  ASSERT_TRUE(r.success()) << r.Describe();
  r = Helm({"install", "site", "charts/oncoatlas-site", "-n", "conflict-agent"});
  EXPECT_FALSE(r.success()) << r.out;
  EXPECT_NE(r.err.find("Role \"oncoatlas-hub-operator\" in namespace \"conflict-agent\" exists and cannot be imported"),
            std::string::npos)
      << r.err;
  ExpectNoneExist(SiteClusterObjects("conflict-agent"));
  EXPECT_FALSE(Exists({"-n", "conflict-agent", "serviceaccount", "oncoatlas-hub-operator"}));
  ExpectNoRelease("site", "conflict-agent");

  // The default namespace (what helm uses without -n): refused, naming the fix.
  r = Helm({"install", "site", "charts/oncoatlas-site"});
  EXPECT_FALSE(r.success()) << r.out;
  EXPECT_NE(r.err.find("install the site chart into the agent namespace of the DataNode"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("helm install site charts/oncoatlas-site -n oncoatlas-agent --create-namespace"),
            std::string::npos)
      << r.err;
  ExpectNoneExist(SiteClusterObjects("default"));
}

}  // namespace
}  // namespace oncoatlas::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("charts"));
  return RUN_ALL_TESTS();
}
