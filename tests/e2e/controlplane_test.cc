// Integration tests of the local control plane (e2e/controlplane): a real
// etcd, kube-apiserver and kube-controller-manager, driven with real kubectl.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/control_plane.h"
#include "support/files.h"

namespace oncoatlas::testing {
namespace {

using std::chrono::seconds;

ControlPlane& Cp() { return ControlPlaneEnvironment::Get(); }

bool IsNotFound(const SubprocessResult& r) { return !r.success() && r.err.find("NotFound") != std::string::npos; }

TEST(ControlPlane, ServesTheBuiltKubernetesVersion) {
  auto r = Cp().Kubectl({"get", "--raw", "/version"});
  ASSERT_TRUE(r.success()) << r.Describe();
  auto v = nlohmann::json::parse(r.out);
  EXPECT_EQ(v.at("gitVersion"), "v1.36.3");
  EXPECT_EQ(v.at("major"), "1");
  EXPECT_EQ(v.at("minor"), "36");
}

TEST(ControlPlane, CustomResourceDefinitionBecomesEstablishedAndServes) {
  auto apply =
      Cp().Kubectl({"apply", "--server-side", "-f", "-"}, ReadFile(SourceDir() + "/tests/testdata/widget-crd.yaml"));
  ASSERT_TRUE(apply.success()) << apply.Describe();
  auto wait = Cp().Kubectl({"wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.test.oncoatlas.io"});
  ASSERT_TRUE(wait.success()) << wait.Describe();

  // The schema is enforced by the real API server: size must be >= 1.
  auto bad = Cp().Kubectl({"create", "-f", "-"},
                          "apiVersion: test.oncoatlas.io/v1\nkind: Widget\nmetadata: {name: w0}\nspec: {size: 0}\n");
  EXPECT_FALSE(bad.success());
  EXPECT_NE(bad.err.find("spec.size"), std::string::npos) << bad.err;

  // Discovery can lag Established by a moment; retry the create until served.
  bool created = WaitFor(
      [] {
        return Cp()
            .Kubectl({"create", "-f", "-"},
                     "apiVersion: test.oncoatlas.io/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n")
            .success();
      },
      seconds(30), std::chrono::milliseconds(250));
  ASSERT_TRUE(created);
  auto got = Cp().Kubectl({"get", "widget", "w1", "-o", "jsonpath={.spec.size}"});
  ASSERT_TRUE(got.success()) << got.Describe();
  EXPECT_EQ(got.out, "3");
}

TEST(ControlPlane, DeletedNamespaceReallyGoes) {
  ASSERT_TRUE(Cp().Kubectl({"create", "namespace", "doomed"}).success());
  ASSERT_TRUE(Cp().Kubectl({"-n", "doomed", "create", "configmap", "payload", "--from-literal=k=v"}).success());
  auto del = Cp().Kubectl({"delete", "namespace", "doomed", "--wait=false"});
  ASSERT_TRUE(del.success()) << del.Describe();
  // The namespace controller must empty it and remove the finalizer; without
  // it the namespace would stay Terminating forever.
  EXPECT_TRUE(WaitFor(
      [] {
        return IsNotFound(Cp().Kubectl({"get", "namespace", "doomed"}));
      },
      seconds(60)))
      << Cp().Kubectl({"get", "namespace", "doomed", "-o", "yaml"}).out;
}

TEST(ControlPlane, GarbageCollectorRemovesDependents) {
  ASSERT_TRUE(Cp().Kubectl({"create", "configmap", "owner", "--from-literal=role=owner"}).success());
  auto uid = Cp().Kubectl({"get", "configmap", "owner", "-o", "jsonpath={.metadata.uid}"});
  ASSERT_TRUE(uid.success() && !uid.out.empty()) << uid.Describe();
  std::string dependent =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dependent\n  ownerReferences:\n"
      "  - apiVersion: v1\n    kind: ConfigMap\n    name: owner\n    uid: " +
      uid.out + "\n";
  auto create = Cp().Kubectl({"create", "-f", "-"}, dependent);
  ASSERT_TRUE(create.success()) << create.Describe();

  ASSERT_TRUE(Cp().Kubectl({"delete", "configmap", "owner", "--cascade=background"}).success());
  EXPECT_TRUE(WaitFor([] { return IsNotFound(Cp().Kubectl({"get", "configmap", "dependent"})); }, seconds(60)));
}

TEST(ControlPlane, RbacIsEnforcedPerIdentity) {
  // The admin may read Secrets; the unprivileged identity gets 403 naming it.
  EXPECT_TRUE(Cp().Kubectl({"get", "secrets", "-n", "kube-system"}).success());
  auto denied = Cp().Kubectl({"get", "secrets", "-n", "kube-system"}, "", "unprivileged");
  EXPECT_FALSE(denied.success());
  EXPECT_NE(denied.err.find("Forbidden"), std::string::npos) << denied.err;
  EXPECT_NE(denied.err.find("User \"unprivileged\""), std::string::npos) << denied.err;

  // Groups come from the client certificate: a binding to the board's group
  // lets the board member list ConfigMaps and nobody else.
  ASSERT_TRUE(
      Cp().Kubectl({"create", "clusterrole", "board-reader", "--verb=list", "--resource=configmaps"}).success());
  ASSERT_TRUE(Cp().Kubectl({"create", "clusterrolebinding", "board-reader", "--clusterrole=board-reader",
                            "--group=oncoatlas:governance-board"})
                  .success());
  EXPECT_TRUE(WaitFor(
      [] {
        return Cp().Kubectl({"get", "configmaps", "-A"}, "", "board-member").success();
      },
      seconds(10)));
  EXPECT_FALSE(Cp().Kubectl({"get", "configmaps", "-A"}, "", "site-operator").success());
  auto who = Cp().Kubectl({"auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}"}, "", "board-member");
  ASSERT_TRUE(who.success()) << who.Describe();
  EXPECT_NE(who.out.find("oncoatlas:governance-board"), std::string::npos) << who.out;
}

TEST(ControlPlane, ServiceAccountsGetTokensThatAuthenticate) {
  ASSERT_TRUE(Cp().Kubectl({"create", "namespace", "sa-test"}).success());
  // The service-account controller creates "default" in every new namespace,
  // and the root CA publisher adds kube-root-ca.crt for in-cluster clients.
  EXPECT_TRUE(WaitFor(
      [] {
        return Cp().Kubectl({"-n", "sa-test", "get", "serviceaccount", "default"}).success();
      },
      seconds(30)));
  EXPECT_TRUE(WaitFor(
      [] {
        return Cp().Kubectl({"-n", "sa-test", "get", "configmap", "kube-root-ca.crt"}).success();
      },
      seconds(30)));

  ASSERT_TRUE(Cp().Kubectl({"-n", "sa-test", "create", "serviceaccount", "agent"}).success());
  auto token = Cp().Kubectl({"-n", "sa-test", "create", "token", "agent", "--duration=10m"});
  ASSERT_TRUE(token.success()) << token.Describe();
  ASSERT_FALSE(token.out.empty());
  std::string jwt = token.out;
  while (!jwt.empty() && jwt.back() == '\n') jwt.pop_back();

  // A client with only the token (no client certificate) is that account.
  auto who = RunSubprocess({KubectlPath(), "--kubeconfig", "/dev/null", "--server", Cp().server(),
                            "--certificate-authority", Cp().dir() + "/pki/ca.crt", "--token", jwt, "auth", "whoami",
                            "-o", "jsonpath={.status.userInfo.username}"});
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(who->success()) << who->Describe();
  EXPECT_EQ(who->out, "system:serviceaccount:sa-test:agent");

  // A forged token is refused.
  auto forged = RunSubprocess({KubectlPath(), "--kubeconfig", "/dev/null", "--server", Cp().server(),
                               "--certificate-authority", Cp().dir() + "/pki/ca.crt", "--token",
                               jwt.substr(0, jwt.size() - 4) + "AAAA", "get", "namespaces"});
  ASSERT_TRUE(forged.ok());
  EXPECT_FALSE(forged->success());
  EXPECT_NE(forged->err.find("Unauthorized"), std::string::npos) << forged->err;
}

TEST(ControlPlane, SeveralControlPlanesRunIndependently) {
  auto site = ControlPlane::Start("site");
  ASSERT_TRUE(site.ok()) << site.status().ToString();
  ControlPlane& s = **site;
  EXPECT_NE(s.server(), Cp().server());

  ASSERT_TRUE(Cp().Kubectl({"create", "namespace", "only-on-hub"}).success());
  EXPECT_TRUE(Cp().Kubectl({"get", "namespace", "only-on-hub"}).success());
  EXPECT_TRUE(IsNotFound(s.Kubectl({"get", "namespace", "only-on-hub"})));

  // Each control plane has its own CA: the hub's admin is a stranger to the site.
  auto cross =
      RunSubprocess({KubectlPath(), "--kubeconfig", Cp().kubeconfig(), "--server", s.server(), "get", "namespaces"});
  ASSERT_TRUE(cross.ok());
  EXPECT_FALSE(cross->success());

  ASSERT_TRUE(s.Stop().ok());
  EXPECT_TRUE(Cp().Kubectl({"get", "--raw", "/readyz"}).success()) << "stopping the site must not touch the hub";
}

TEST(ControlPlane, ReaperTearsDownWhenTheWatchedProcessDies) {
  // Stands in for a test binary that crashes: once it is gone, the control
  // plane it started must go too, with nobody calling `down`.
  pid_t watched = ::fork();
  ASSERT_GE(watched, 0);
  if (watched == 0) {
    ::pause();
    ::_exit(0);
  }
  std::string dir = ::testing::TempDir() + "oncoatlas-cp-reaped";
  SubprocessOptions opts;
  opts.timeout = seconds(120);
  auto up = RunSubprocess({"bash", SourceDir() + "/e2e/controlplane", "up", "--dir", dir, "--watch-pid",
                           std::to_string(watched), "--timeout", "90"},
                          opts);
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->success()) << up->Describe();
  std::string apiserver_pid = ReadFile(dir + "/pids/kube-apiserver.pid");
  ASSERT_FALSE(apiserver_pid.empty());
  pid_t api = std::stoi(apiserver_pid);
  EXPECT_EQ(::kill(api, 0), 0);

  ::kill(watched, SIGKILL);
  ::waitpid(watched, nullptr, 0);
  EXPECT_TRUE(WaitFor([&] { return ::kill(api, 0) != 0; }, seconds(30))) << "kube-apiserver still running";
  EXPECT_TRUE(WaitFor([&] { return !std::filesystem::exists(dir); }, seconds(30))) << dir << " still exists";
}

TEST(ControlPlane, FailedStartPrintsComponentLogs) {
  // An unknown controller name makes kube-controller-manager exit at start;
  // the script must fail, name the component and show its log.
  SubprocessOptions opts;
  opts.env = {{"ONCOATLAS_CONTROLLERS", "no-such-controller"}};
  opts.timeout = seconds(120);
  std::string dir = ::testing::TempDir() + "oncoatlas-cp-broken";
  auto r = RunSubprocess({"bash", SourceDir() + "/e2e/controlplane", "up", "--dir", dir, "--timeout", "60"}, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->success());
  EXPECT_NE(r->err.find("kube-controller-manager was not healthy"), std::string::npos) << r->err;
  EXPECT_NE(r->err.find("last 25 lines of"), std::string::npos) << r->err;
  EXPECT_NE(r->err.find("no-such-controller"), std::string::npos) << r->err;
  (void)RunSubprocess({"bash", SourceDir() + "/e2e/controlplane", "down", "--dir", dir});
}

}  // namespace
}  // namespace oncoatlas::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("hub"));
  return RUN_ALL_TESTS();
}
