// lib/kube's REST client against a real kube-apiserver: CRUD on core and
// custom resources, server-side apply conflicts, pagination, RBAC errors,
// discovery and in-cluster token rotation.
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "kube/discovery.h"
#include "kube/rest_client_metrics.h"
#include "kube/runtime_metrics.h"
#include "kube_test_util.h"

namespace oncoatlas::kube {
namespace {

using std::chrono::seconds;
using testing::ClientFor;
using testing::ConfigMap;
using testing::Cp;
using testing::CreateNamespace;

const GroupVersionResource kGadgets{"kubetest.oncoatlas.io", "v1", "gadgets", true, "Gadget"};

TEST(RestClient, ConfigMapCrud) {
  auto client = ClientFor();
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "crud");

  auto created = client->Create(core::kConfigMaps, "crud", ConfigMap("crud", "one", {{"k", "v1"}}),
                                {.field_manager = "kube-test"});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const std::string uid = (*created)["metadata"]["uid"];
  const std::string rv1 = (*created)["metadata"]["resourceVersion"];

  auto again = client->Create(core::kConfigMaps, "crud", ConfigMap("crud", "one"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.error().reason(), "AlreadyExists");
  EXPECT_EQ(again.error().http_code(), 409);

  auto got = client->Get(core::kConfigMaps, "crud", "one");
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ((*got)["data"]["k"], "v1");

  // PUT with the current resourceVersion succeeds; with a stale one it conflicts.
  Json updated_obj = *got;
  updated_obj["data"]["k"] = "v2";
  auto updated = client->Update(core::kConfigMaps, "crud", updated_obj);
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], rv1);
  updated_obj["data"]["k"] = "stale";
  auto stale = client->Update(core::kConfigMaps, "crud", updated_obj);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), StatusCode::kConflict);
  EXPECT_EQ(stale.error().reason(), "Conflict");

  auto merged = client->Patch(core::kConfigMaps, "crud", "one", PatchType::kMerge, {{"data", {{"m", "x"}}}});
  ASSERT_TRUE(merged.ok()) << merged.error().ToString();
  EXPECT_EQ((*merged)["data"]["k"], "v2");
  EXPECT_EQ((*merged)["data"]["m"], "x");
  auto json_patched = client->Patch(
      core::kConfigMaps, "crud", "one", PatchType::kJson,
      Json::array({{{"op", "test"}, {"path", "/data/m"}, {"value", "x"}}, {{"op", "remove"}, {"path", "/data/k"}}}));
  ASSERT_TRUE(json_patched.ok()) << json_patched.error().ToString();
  EXPECT_FALSE((*json_patched)["data"].contains("k"));
  auto failed_test = client->Patch(core::kConfigMaps, "crud", "one", PatchType::kJson,
                                   Json::array({{{"op", "test"}, {"path", "/data/m"}, {"value", "nope"}}}));
  ASSERT_FALSE(failed_test.ok());
  EXPECT_EQ(failed_test.error().code(), StatusCode::kInvalidArgument);

  // Label selector list.
  auto labelled = ConfigMap("crud", "two");
  labelled["metadata"]["labels"] = {{"tier", "gold"}};
  ASSERT_TRUE(client->Create(core::kConfigMaps, "crud", labelled).ok());
  auto gold = client->List(core::kConfigMaps, "crud", {.label_selector = "tier=gold"});
  ASSERT_TRUE(gold.ok()) << gold.error().ToString();
  ASSERT_EQ((*gold)["items"].size(), 1u);
  EXPECT_EQ((*gold)["items"][0]["metadata"]["name"], "two");
  auto by_field = client->List(core::kConfigMaps, "crud", {.field_selector = "metadata.name=one"});
  ASSERT_TRUE(by_field.ok()) << by_field.error().ToString();
  ASSERT_EQ((*by_field)["items"].size(), 1u);

  // Delete with preconditions: a wrong uid conflicts, the right one deletes.
  auto wrong = client->Delete(core::kConfigMaps, "crud", "one", {.precondition_uid = "not-the-uid"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), StatusCode::kConflict);
  EXPECT_NE(wrong.error().message().find("does not match the UID in record"), std::string::npos)
      << wrong.error().message();
  auto deleted =
      client->Delete(core::kConfigMaps, "crud", "one", {.propagation_policy = "Background", .precondition_uid = uid});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  auto gone = client->Get(core::kConfigMaps, "crud", "one");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(gone.error().http_code(), 404);
  EXPECT_NE(gone.error().message().find("\"one\" not found"), std::string::npos);
}

TEST(RestClient, DeleteWithAResourceVersionPreconditionAndForegroundPropagation) {
  auto client = ClientFor();
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "delete-rv");
  auto created = client->Create(core::kConfigMaps, "delete-rv", ConfigMap("delete-rv", "d", {{"k", "1"}}));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const std::string rv1 = (*created)["metadata"]["resourceVersion"];
  auto patched = client->Patch(core::kConfigMaps, "delete-rv", "d", PatchType::kMerge, {{"data", {{"k", "2"}}}});
  ASSERT_TRUE(patched.ok()) << patched.error().ToString();
  const std::string rv2 = (*patched)["metadata"]["resourceVersion"];

  auto stale = client->Delete(core::kConfigMaps, "delete-rv", "d", {.precondition_resource_version = rv1});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), StatusCode::kConflict);
  EXPECT_NE(stale.error().message().find("ResourceVersion"), std::string::npos) << stale.error().message();
  EXPECT_TRUE(client->Get(core::kConfigMaps, "delete-rv", "d").ok()) << "a failed precondition must not delete";

  auto deleted = client->Delete(core::kConfigMaps, "delete-rv", "d",
                                {.propagation_policy = "Foreground", .precondition_resource_version = rv2});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  // Foreground: the object may linger with the foregroundDeletion finalizer
  // until its (here: no) dependents are gone; either way it goes.
  ASSERT_TRUE(oncoatlas::testing::WaitFor(
      [&] {
        auto got = client->Get(core::kConfigMaps, "delete-rv", "d");
        return !got.ok() && got.error().code() == StatusCode::kNotFound;
      },
      seconds(30)));
}

TEST(RestClient, CountsItsRequestsInRestClientRequestsTotal) {
  auto config = LoadKubeconfig({.path = Cp().kubeconfig()});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  MetricsRegistry registry;
  RestClientMetricsObserver observer(registry);
  auto client = RestClient::Create(*config, {.observer = &observer});
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  CreateNamespace(**client, "counted");
  EXPECT_FALSE((*client)->Get(core::kConfigMaps, "counted", "absent").ok());
  EXPECT_FALSE((*client)->Get(core::kConfigMaps, "counted", "absent").ok());
  EXPECT_TRUE((*client)->Create(core::kConfigMaps, "counted", ConfigMap("counted", "c")).ok());
  EXPECT_TRUE((*client)->List(core::kConfigMaps, "counted").ok());
  const MetricFamily* requests = registry.Find(kRestClientRequestsTotal);
  ASSERT_NE(requests, nullptr);
  EXPECT_EQ(requests->Value({"404", "GET"}), 2);
  EXPECT_EQ(requests->Value({"201", "POST"}), 2);  // the namespace and the ConfigMap
  EXPECT_EQ(requests->Value({"200", "GET"}), 1);
  EXPECT_NE(registry.Render().find("rest_client_requests_total{code=\"404\",method=\"GET\"} 2\n"), std::string::npos);

  // One call wires a client to the process-wide registry served on /metrics.
  auto wired = RestClient::Create(*config, {.observer = &RestClientMetrics()});
  ASSERT_TRUE(wired.ok()) << wired.status().ToString();
  const MetricFamily* global = DefaultMetricsRegistry().Find(kRestClientRequestsTotal);
  ASSERT_NE(global, nullptr);
  const double before = global->Value({"404", "GET"});
  EXPECT_FALSE((*wired)->Get(core::kConfigMaps, "counted", "absent").ok());
  EXPECT_EQ(global->Value({"404", "GET"}), before + 1);
}

// Installs the Gadget CRD (with a status subresource) through the client and
// waits until it is served.
void InstallGadgetCrd(RestClient& client, Discovery& discovery) {
  const Json crd = Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.kubetest.oncoatlas.io"},
    "spec": {"group": "kubetest.oncoatlas.io", "scope": "Namespaced",
      "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "subresources": {"status": {}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "required": ["size"], "properties": {
            "size": {"type": "integer", "minimum": 1}, "colour": {"type": "string"}}},
          "status": {"type": "object", "properties": {"phase": {"type": "string"},
            "observedSize": {"type": "integer"}}}}}}}]}})");
  auto created = client.Create(core::kCustomResourceDefinitions, "", crd);
  ASSERT_TRUE(created.ok() || created.error().code() == StatusCode::kAlreadyExists) << created.error().ToString();
  ASSERT_TRUE(oncoatlas::testing::WaitFor(
      [&] {
        auto r = discovery.ResourceForKind("kubetest.oncoatlas.io/v1", "Gadget");
        return r.ok();
      },
      std::chrono::seconds(60)));
}

Json Gadget(const std::string& ns, const std::string& name, int size) {
  return Json{{"apiVersion", "kubetest.oncoatlas.io/v1"},
              {"kind", "Gadget"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", {{"size", size}}}};
}

TEST(RestClient, CustomResourceCrudStatusAndDiscovery) {
  auto client = ClientFor();
  ASSERT_NE(client, nullptr);
  Discovery discovery(*client);
  InstallGadgetCrd(*client, discovery);
  CreateNamespace(*client, "custom");

  auto gvr = discovery.ResourceForKind("kubetest.oncoatlas.io/v1", "Gadget");
  ASSERT_TRUE(gvr.ok()) << gvr.error().ToString();
  EXPECT_EQ(gvr->resource, "gadgets");
  EXPECT_TRUE(gvr->namespaced);
  auto ns_kind = discovery.ResourceByName("v1", "namespaces");
  ASSERT_TRUE(ns_kind.ok());
  EXPECT_EQ(ns_kind->kind, "Namespace");
  EXPECT_FALSE(ns_kind->namespaced);
  auto versions = discovery.GroupVersions();
  ASSERT_TRUE(versions.ok());
  EXPECT_NE(std::find(versions->begin(), versions->end(), "kubetest.oncoatlas.io/v1"), versions->end());
  auto unknown = discovery.ResourceForKind("kubetest.oncoatlas.io/v1", "Gizmo");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), StatusCode::kNotFound);

  auto created = client->Create(*gvr, "custom", Gadget("custom", "g1", 3));
  ASSERT_TRUE(created.ok()) << created.error().ToString();

  // The schema's minimum is enforced by the server: 422 with the field named.
  auto invalid = client->Create(*gvr, "custom", Gadget("custom", "g2", 0));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.error().http_code(), 422);
  EXPECT_EQ(invalid.error().reason(), "Invalid");
  ASSERT_FALSE(invalid.error().causes().empty());
  EXPECT_EQ(invalid.error().causes()[0].field, "spec.size");

  // Status subresource: status writes ignore spec, spec writes ignore status.
  Json with_status = *created;
  with_status["status"] = {{"phase", "Ready"}, {"observedSize", 3}};
  with_status["spec"]["size"] = 99;
  auto status_updated = client->UpdateStatus(*gvr, "custom", with_status);
  ASSERT_TRUE(status_updated.ok()) << status_updated.error().ToString();
  EXPECT_EQ((*status_updated)["status"]["phase"], "Ready");
  EXPECT_EQ((*status_updated)["spec"]["size"], 3);
  auto status_patched =
      client->PatchStatus(*gvr, "custom", "g1", PatchType::kMerge, {{"status", {{"phase", "Degraded"}}}});
  ASSERT_TRUE(status_patched.ok()) << status_patched.error().ToString();
  auto status_got = client->GetStatus(*gvr, "custom", "g1");
  ASSERT_TRUE(status_got.ok());
  EXPECT_EQ((*status_got)["status"]["phase"], "Degraded");
  Json apply_status = {{"apiVersion", "kubetest.oncoatlas.io/v1"},
                       {"kind", "Gadget"},
                       {"metadata", {{"name", "g1"}, {"namespace", "custom"}}},
                       {"status", {{"observedSize", 7}}}};
  // observedSize was last written by the UpdateStatus above (another manager).
  auto status_conflict = client->ApplyStatus(*gvr, "custom", apply_status, {.field_manager = "gadget-controller"});
  ASSERT_FALSE(status_conflict.ok());
  EXPECT_EQ(status_conflict.error().code(), StatusCode::kConflict);
  auto status_applied =
      client->ApplyStatus(*gvr, "custom", apply_status, {.field_manager = "gadget-controller", .force = true});
  ASSERT_TRUE(status_applied.ok()) << status_applied.error().ToString();
  EXPECT_EQ((*status_applied)["status"]["observedSize"], 7);

  auto deleted = client->Delete(*gvr, "custom", "g1");
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  EXPECT_EQ(client->Get(*gvr, "custom", "g1").error().code(), StatusCode::kNotFound);
}

TEST(RestClient, ServerSideApplyConflictIsSurfacedThenForced) {
  auto client = ClientFor();
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "ssa");
  auto first = client->Apply(core::kConfigMaps, "ssa", ConfigMap("ssa", "shared", {{"owner", "alpha"}}),
                             {.field_manager = "alpha"});
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  // Re-applying the same manifest is a no-op (GitOps-style idempotence).
  auto same = client->Apply(core::kConfigMaps, "ssa", ConfigMap("ssa", "shared", {{"owner", "alpha"}}),
                            {.field_manager = "alpha"});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)["metadata"]["resourceVersion"], (*first)["metadata"]["resourceVersion"]);

  auto conflict = client->Apply(core::kConfigMaps, "ssa", ConfigMap("ssa", "shared", {{"owner", "beta"}}),
                                {.field_manager = "beta"});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code(), StatusCode::kConflict);
  EXPECT_EQ(conflict.error().http_code(), 409);
  ASSERT_FALSE(conflict.error().causes().empty());
  EXPECT_EQ(conflict.error().causes()[0].reason, "FieldManagerConflict");
  EXPECT_EQ(conflict.error().causes()[0].field, ".data.owner");
  EXPECT_NE(conflict.error().causes()[0].message.find("alpha"), std::string::npos);

  auto forced = client->Apply(core::kConfigMaps, "ssa", ConfigMap("ssa", "shared", {{"owner", "beta"}}),
                              {.field_manager = "beta", .force = true});
  ASSERT_TRUE(forced.ok()) << forced.error().ToString();
  EXPECT_EQ((*forced)["data"]["owner"], "beta");
  bool beta_manages = false;
  for (const auto& mf : (*forced)["metadata"]["managedFields"]) {
    if (mf["manager"] == "beta" && mf["operation"] == "Apply") beta_manages = true;
  }
  EXPECT_TRUE(beta_manages);
  auto no_manager = client->Apply(core::kConfigMaps, "ssa", ConfigMap("ssa", "shared"), {});
  ASSERT_FALSE(no_manager.ok());
  EXPECT_NE(no_manager.status().message().find("field manager is required"), std::string::npos);
}

TEST(RestClient, PaginatesOverTwelveHundredObjects) {
  constexpr int kObjects = 1200;
  auto client = ClientFor("admin", /*qps=*/0);
  ASSERT_NE(client, nullptr);
  CreateNamespace(*client, "pages");
  // Create concurrently over the shared client (its pool keeps one keep-alive
  // connection per worker).
  constexpr int kWorkers = 8;
  std::vector<std::future<int>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(std::async(std::launch::async, [&client, w] {
      int failures = 0;
      for (int i = w; i < kObjects; i += kWorkers) {
        auto r = client->Create(core::kConfigMaps, "pages", ConfigMap("pages", "cm-" + std::to_string(i)));
        if (!r.ok()) ++failures;
      }
      return failures;
    }));
  }
  int failures = 0;
  for (auto& f : workers) failures += f.get();
  ASSERT_EQ(failures, 0);

  auto page = client->List(core::kConfigMaps, "pages", {.limit = 100});
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  EXPECT_EQ((*page)["items"].size(), 100u);
  EXPECT_FALSE((*page)["metadata"].value("continue", "").empty());

  auto all = client->ListAll(core::kConfigMaps, "pages", {.limit = 100});
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  std::set<std::string> names;
  for (const auto& item : all->items) names.insert(item["metadata"]["name"].get<std::string>());
  // kube-root-ca.crt is published into every namespace by the controller manager.
  names.erase("kube-root-ca.crt");
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kObjects));
  EXPECT_EQ(all->items.size(), names.size() + (all->items.size() - names.size()));
  EXPECT_FALSE(all->resource_version.empty());
}

TEST(RestClient, ForbiddenNamesVerbResourceAndUser) {
  auto client = ClientFor("unprivileged");
  ASSERT_NE(client, nullptr);
  auto r = client->List(core::kSecrets, "kube-system");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(r.error().http_code(), 403);
  EXPECT_EQ(r.error().reason(), "Forbidden");
  const std::string m = r.status().message();
  EXPECT_NE(m.find("User \"unprivileged\""), std::string::npos) << m;
  EXPECT_NE(m.find("cannot list resource \"secrets\""), std::string::npos) << m;
  EXPECT_NE(m.find("namespace \"kube-system\""), std::string::npos) << m;
}

std::string WhoAmI(RestClient& client) {
  const Json review = {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}};
  auto r = client.Create(core::kSelfSubjectReviews, "", review);
  if (!r.ok()) return "error: " + r.error().ToString();
  return (*r)["status"]["userInfo"].value("username", "");
}

std::string CreateToken(const std::string& ns, const std::string& sa) {
  auto r = Cp().Kubectl({"create", "token", sa, "-n", ns, "--duration", "10m"});
  EXPECT_TRUE(r.success()) << r.Describe();
  std::string token = r.out;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return token;
}

TEST(InClusterConfig, PicksUpARotatedTokenOnTheNextRequest) {
  auto admin = ClientFor();
  ASSERT_NE(admin, nullptr);
  CreateNamespace(*admin, "incluster");
  for (const char* sa : {"first", "second"}) {
    auto r = admin->Create(core::kServiceAccounts, "incluster",
                           {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", sa}}}});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }
  // A service-account mount as the kubelet lays it out.
  const std::string dir = Cp().dir() + "/fake-sa-mount";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(Cp().dir() + "/pki/ca.crt", dir + "/ca.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir + "/namespace") << "incluster";
  std::ofstream(dir + "/token") << CreateToken("incluster", "first");

  ClientConfig from_server;
  ASSERT_TRUE(ParseServerUrl(Cp().server(), from_server).ok());
  const std::map<std::string, std::string> env_values = {{"KUBERNETES_SERVICE_HOST", from_server.host},
                                                         {"KUBERNETES_SERVICE_PORT", from_server.port}};
  EnvLookup env = [&](const std::string& k) -> std::optional<std::string> {
    auto it = env_values.find(k);
    return it == env_values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto config = LoadInClusterConfig(env, dir);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->namespace_name, "incluster");
  auto client = RestClient::Create(*config);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ(WhoAmI(**client), "system:serviceaccount:incluster:first");

  // Rotate as the kubelet does: write a new file, rename it over the old one.
  std::ofstream(dir + "/token.new") << CreateToken("incluster", "second");
  std::filesystem::rename(dir + "/token.new", dir + "/token");
  EXPECT_EQ(WhoAmI(**client), "system:serviceaccount:incluster:second");
}

}  // namespace
}  // namespace oncoatlas::kube

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oncoatlas::testing::ControlPlaneEnvironment("kube"));
  return RUN_ALL_TESTS();
}
