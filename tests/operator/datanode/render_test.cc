#include "datanode/render.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "api/json_mapping.h"
#include "core/base64.h"
#include "datanode/covers.h"

namespace oncoatlas::datanode {
namespace {

api::DataNode Node(const nlohmann::json& spec, const std::string& name = "se-stockholm") {
  nlohmann::json j = {{"apiVersion", "oncoatlas.io/v1alpha1"},
                      {"kind", "DataNode"},
                      {"metadata", {{"name", name}, {"uid", "uid-1"}}},
                      {"spec", spec}};
  auto node = api::FromJson<api::DataNode>(j);
  EXPECT_TRUE(node.ok()) << node.status().ToString();
  return *node;
}

nlohmann::json LocalSpec() {
  return {{"organisation", {{"name", "Org"}}},
          {"country", "SE"},
          {"tier", 2},
          {"cluster", {{"local", {{"agentNamespace", "agents"}}}}},
          {"pacs", {{"dimse", {{"host", "10.1.2.3"}, {"port", 4242}, {"calledAETitle", "ORTHANC"}}}}},
          {"storage", {{"size", "10Gi"}, {"retainOnDelete", false}}}};
}

RenderOptions Options() {
  RenderOptions o;
  o.default_agent_image = "registry.example/agent:1";
  o.local_hub_server = "https://127.0.0.1:6443";
  o.hub_ca_pem = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n";
  return o;
}

const nlohmann::json& Find(const std::vector<nlohmann::json>& objects, const std::string& kind) {
  for (const auto& o : objects) {
    if (o["kind"] == kind) return o;
  }
  static const nlohmann::json kNone;
  ADD_FAILURE() << "no " << kind;
  return kNone;
}

TEST(RenderHub, NamespaceServiceAccountRoleAndBindingScopedToTheNode) {
  auto objects = RenderHubObjects(Node(LocalSpec()), "uid-1");
  ASSERT_EQ(objects.size(), 4u);
  EXPECT_EQ(objects[0]["kind"], "Namespace");
  EXPECT_EQ(objects[0]["metadata"]["name"], "oncoatlas-node-se-stockholm");
  EXPECT_EQ(objects[0]["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(objects[i]["metadata"]["namespace"], "oncoatlas-node-se-stockholm");
    EXPECT_EQ(objects[i]["metadata"]["labels"]["oncoatlas.io/node"], "se-stockholm");
  }
  const auto& role = Find(objects, "Role");
  bool leases = false, secrets = false, dataset_status = false;
  for (const auto& rule : role["rules"]) {
    for (const auto& verb : rule["verbs"]) {
      EXPECT_NE(verb, "*");
      EXPECT_NE(verb, "delete");
    }
    for (const auto& r : rule["resources"]) {
      EXPECT_NE(r, "datanodes");
      if (r == "leases") {
        leases = true;
        EXPECT_EQ(rule["verbs"], nlohmann::json({"get", "create", "update"}));
      }
      if (r == "secrets") {
        secrets = true;
        EXPECT_EQ(rule["verbs"], nlohmann::json({"get"})) << "the key Secret by name; no list or watch";
      }
      if (r == "datasets/status") {
        dataset_status = true;
        EXPECT_EQ(rule["verbs"], nlohmann::json({"update"}));
      }
      EXPECT_NE(r, "configmaps") << "the agent reads its configuration from the site, never from the hub";
    }
  }
  EXPECT_TRUE(leases);
  EXPECT_TRUE(secrets);
  EXPECT_TRUE(dataset_status);
  EXPECT_EQ(role["rules"], api::AgentHubRulesJson()) << "the contract's rules, as data";
  const auto& binding = Find(objects, "RoleBinding");
  EXPECT_EQ(binding["roleRef"]["kind"], "Role");
  EXPECT_EQ(binding["subjects"][0]["name"], "oncoatlas-agent");
}

TEST(RenderSite, ObjectsNamedAndLabelledByTheContract) {
  auto objects = RenderSiteObjects(Node(LocalSpec()), Options(), {"tok", "2030-01-01T00:00:00Z", "sa-uid"});
  std::vector<std::string> kinds;
  for (const auto& o : objects) kinds.push_back(o["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service",
                                             "NetworkPolicy", "Deployment"}));
  for (std::size_t i = 1; i < objects.size(); ++i) {
    EXPECT_EQ(objects[i]["metadata"]["namespace"], "agents");
    EXPECT_EQ(objects[i]["metadata"]["labels"]["app.kubernetes.io/instance"], "se-stockholm");
    EXPECT_EQ(objects[i]["metadata"]["labels"]["app.kubernetes.io/managed-by"], "oncoatlas-operator");
  }
  EXPECT_EQ(Find(objects, "ConfigMap")["metadata"]["name"], "oncoatlas-agent-se-stockholm");
  EXPECT_EQ(Find(objects, "Secret")["metadata"]["name"], "oncoatlas-agent-se-stockholm-hub");
  EXPECT_EQ(Find(objects, "PersistentVolumeClaim")["metadata"]["name"], "oncoatlas-agent-se-stockholm-store");
  EXPECT_EQ(Find(objects, "PersistentVolumeClaim")["spec"]["resources"]["requests"]["storage"], "10Gi");
}

TEST(RenderSite, AgentConfigCarriesTheNodeHubAndPacs) {
  auto objects = RenderSiteObjects(Node(LocalSpec()), Options(), {"tok", "2030-01-01T00:00:00Z", "sa-uid"});
  const YAML::Node config = YAML::Load(Find(objects, "ConfigMap")["data"]["agent.yaml"].get<std::string>());
  EXPECT_EQ(config["node"].as<std::string>(), "se-stockholm");
  EXPECT_EQ(config["hub"]["namespace"].as<std::string>(), "oncoatlas-node-se-stockholm");
  EXPECT_EQ(config["hub"]["kubeconfig"].as<std::string>(), "/etc/oncoatlas/hub/kubeconfig");
  EXPECT_EQ(config["hub"]["heartbeat"]["leaseName"].as<std::string>(), "oncoatlas-agent");
  EXPECT_EQ(config["hub"]["heartbeat"]["leaseDurationSeconds"].as<int>(), 40);
  EXPECT_EQ(config["pacs"]["dimse"]["host"].as<std::string>(), "10.1.2.3");
  EXPECT_EQ(config["pacs"]["dimse"]["port"].as<int>(), 4242);
  EXPECT_EQ(config["pacs"]["dimse"]["calledAETitle"].as<std::string>(), "ORTHANC");
  EXPECT_EQ(config["pacs"]["dimse"]["callingAETitle"].as<std::string>(), "ONCOATLAS");
  EXPECT_EQ(config["store"]["path"].as<std::string>(), "/var/lib/oncoatlas");
  EXPECT_EQ(config["server"]["healthBindAddress"].as<std::string>(), "0.0.0.0:8081");
}

TEST(RenderSite, SecretHoldsKubeconfigTokenAndCaWithRelativePaths) {
  auto objects = RenderSiteObjects(Node(LocalSpec()), Options(), {"tok-123", "2030-01-01T00:00:00Z", "sa-uid"});
  const auto& secret = Find(objects, "Secret");
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_EQ(*DecodeBase64(secret["data"]["token"].get<std::string>()), "tok-123");
  EXPECT_EQ(*DecodeBase64(secret["data"]["ca.crt"].get<std::string>()), Options().hub_ca_pem);
  EXPECT_EQ(secret["metadata"]["annotations"]["oncoatlas.io/token-expiry"], "2030-01-01T00:00:00Z");
  const YAML::Node kubeconfig = YAML::Load(*DecodeBase64(secret["data"]["kubeconfig"].get<std::string>()));
  EXPECT_EQ(kubeconfig["clusters"][0]["cluster"]["server"].as<std::string>(), "https://127.0.0.1:6443");
  EXPECT_EQ(kubeconfig["clusters"][0]["cluster"]["certificate-authority"].as<std::string>(), "ca.crt");
  EXPECT_EQ(kubeconfig["users"][0]["user"]["tokenFile"].as<std::string>(), "token");
}

TEST(RenderSite, DeploymentIsHardenedAndProbed) {
  auto objects = RenderSiteObjects(Node(LocalSpec()), Options(), {"t", "2030-01-01T00:00:00Z", "u"});
  const auto& pod = Find(objects, "Deployment")["spec"]["template"]["spec"];
  const auto& c = pod["containers"][0];
  EXPECT_EQ(c["name"], "agent");
  EXPECT_EQ(c["image"], "registry.example/agent:1");
  EXPECT_EQ(c["args"], nlohmann::json({"run", "--config", "/etc/oncoatlas/config/agent.yaml"}));
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(c["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_TRUE(c["resources"]["limits"].contains("memory"));
  EXPECT_TRUE(c["resources"]["limits"].contains("cpu"));
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"], 8081);
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
}

TEST(RenderSite, ImageFromTheSpecWinsOverTheDefault) {
  auto spec = LocalSpec();
  spec["agent"] = {{"image", "site/agent@sha256:abc"}};
  auto objects = RenderSiteObjects(Node(spec), Options(), {"t", "e", "u"});
  EXPECT_EQ(Find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"], "site/agent@sha256:abc");
}

TEST(RenderSite, NetworkPolicyAllowsOnlyHubPacsAndDns) {
  auto objects = RenderSiteObjects(Node(LocalSpec()), Options(), {"t", "e", "u"});
  const auto& spec = Find(objects, "NetworkPolicy")["spec"];
  EXPECT_EQ(spec["policyTypes"], nlohmann::json({"Ingress", "Egress"}));
  const auto& egress = spec["egress"];
  ASSERT_EQ(egress.size(), 3u);
  EXPECT_EQ(egress[0]["to"][0]["ipBlock"]["cidr"], "127.0.0.1/32");
  EXPECT_EQ(egress[0]["ports"][0]["port"], 6443);
  EXPECT_EQ(egress[1]["to"][0]["ipBlock"]["cidr"], "10.1.2.3/32");
  EXPECT_EQ(egress[1]["ports"][0]["port"], 4242);
  EXPECT_EQ(egress[2]["ports"][0]["port"], 53);
}

TEST(RenderSite, RemoteNodeUsesItsHubServerAndDicomWebCredentials) {
  nlohmann::json spec = {
      {"organisation", {{"name", "Org"}}},
      {"country", "DE"},
      {"tier", 1},
      {"cluster",
       {{"remote", {{"kubeconfigSecretRef", {{"name", "k"}}}, {"hubServer", "https://hub.example.eu:6443"}}}}},
      {"pacs",
       {{"dicomweb", {{"url", "http://pacs.local:8042/dicom-web"}, {"credentialsSecretRef", {{"name", "c"}}}}}}}};
  auto node = Node(spec, "de-x");
  EXPECT_TRUE(PlacementOf(node, Options()).remote);
  auto objects = RenderSiteObjects(node, Options(), {"t", "e", "u"});
  EXPECT_EQ(objects[1]["metadata"]["namespace"], "oncoatlas-agent");
  // Tier 1 without storage: no PVC.
  for (const auto& o : objects) EXPECT_NE(o["kind"], "PersistentVolumeClaim");
  const YAML::Node config = YAML::Load(Find(objects, "ConfigMap")["data"]["agent.yaml"].get<std::string>());
  EXPECT_EQ(config["pacs"]["dicomweb"]["url"].as<std::string>(), "http://pacs.local:8042/dicom-web");
  EXPECT_EQ(config["pacs"]["dicomweb"]["credentialsDir"].as<std::string>(), "/etc/oncoatlas/pacs");
  const auto& egress = Find(objects, "NetworkPolicy")["spec"]["egress"];
  // DNS names cannot be named in a NetworkPolicy: port-only rules.
  EXPECT_FALSE(egress[0].contains("to"));
  EXPECT_EQ(egress[0]["ports"][0]["port"], 6443);
  EXPECT_EQ(egress[1]["ports"][0]["port"], 8042);
}

TEST(Covers, SubsetSemantics) {
  const nlohmann::json actual = {{"a", 1}, {"b", {{"c", "x"}, {"d", 2}}}, {"l", {1, 2}}};
  EXPECT_TRUE(Covers(actual, {{"a", 1}}));
  EXPECT_TRUE(Covers(actual, {{"b", {{"c", "x"}}}}));
  EXPECT_FALSE(Covers(actual, {{"b", {{"c", "y"}}}}));
  EXPECT_FALSE(Covers(actual, {{"z", 1}}));
  EXPECT_FALSE(Covers(actual, {{"l", {1}}}));
  EXPECT_TRUE(Covers(actual, {{"l", {1, 2}}}));
}

TEST(NodeNamespace, RoundTrip) {
  EXPECT_EQ(api::NodeOfNamespace(api::NodeNamespace("x-1")), "x-1");
  EXPECT_EQ(api::NodeOfNamespace("default"), "");
  EXPECT_EQ(api::NodeOfNamespace("oncoatlas-node-"), "");
}

}  // namespace
}  // namespace oncoatlas::datanode
