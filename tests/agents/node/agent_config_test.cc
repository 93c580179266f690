#include "node/agent_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace oncoatlas::agent {
namespace {

using ::testing::HasSubstr;

// The ConfigMap's agent.yaml as the contract shows it.
constexpr const char* kRendered = R"(
node: se-stockholm
hub:
  kubeconfig: /etc/oncoatlas/hub/kubeconfig
  namespace: oncoatlas-node-se-stockholm
  heartbeat:
    leaseName: oncoatlas-agent
    leaseDurationSeconds: 40
    renewIntervalSeconds: 10
pacs:
  dicomweb: {url: "http://pacs.local:8042/dicom-web", credentialsDir: /etc/oncoatlas/pacs}
  checkIntervalSeconds: 30
store: {path: /var/lib/oncoatlas}
server:
  healthBindAddress: "0.0.0.0:8081"
  dicomwebBindAddress: "0.0.0.0:8080"
logLevel: info
logFormat: json
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(AgentConfigTest, ParsesTheRenderedConfigMap) {
  auto c = ParseAgentConfig(kRendered, "agent.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->node, "se-stockholm");
  EXPECT_EQ(c->hub.kubeconfig, "/etc/oncoatlas/hub/kubeconfig");
  EXPECT_EQ(c->hub.namespace_name, "oncoatlas-node-se-stockholm");
  EXPECT_EQ(c->hub.heartbeat.lease_name, "oncoatlas-agent");
  EXPECT_EQ(c->hub.heartbeat.lease_duration_seconds, 40);
  EXPECT_EQ(c->hub.heartbeat.renew_interval_seconds, 10);
  const auto* d = std::get_if<DicomwebPacsConfig>(&c->pacs.source);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->url, "http://pacs.local:8042/dicom-web");
  EXPECT_EQ(d->credentials_dir, "/etc/oncoatlas/pacs");
  EXPECT_EQ(c->pacs.check_interval_seconds, 30);
  EXPECT_EQ(c->store_path, "/var/lib/oncoatlas");
  EXPECT_EQ(c->server.health_bind_address, "0.0.0.0:8081");
  EXPECT_EQ(c->log_format, "json");
  EXPECT_TRUE(c->unknown_keys.empty());
  EXPECT_EQ(DescribePacs(c->pacs), "DICOMweb http://pacs.local:8042/dicom-web");
}

TEST(AgentConfigTest, ParsesDimseAndFolderSources) {
  auto dimse = ParseAgentConfig(
      Replace(kRendered, R"(dicomweb: {url: "http://pacs.local:8042/dicom-web", credentialsDir: /etc/oncoatlas/pacs})",
              "dimse: {host: 10.0.0.5, port: 4242, calledAETitle: ORTHANC}"),
      "agent.yaml");
  ASSERT_TRUE(dimse.ok()) << dimse.status().ToString();
  const auto* d = std::get_if<DimsePacsConfig>(&dimse->pacs.source);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->port, 4242);
  EXPECT_EQ(d->calling_ae_title, "ONCOATLAS");
  EXPECT_EQ(DescribePacs(dimse->pacs), "DIMSE ORTHANC@10.0.0.5:4242");

  auto folder = ParseAgentConfig(
      Replace(kRendered, R"(dicomweb: {url: "http://pacs.local:8042/dicom-web", credentialsDir: /etc/oncoatlas/pacs})",
              "folder: {path: /data/import}"),
      "agent.yaml");
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();
  EXPECT_EQ(std::get<FolderPacsConfig>(folder->pacs.source).path, "/data/import");
}

TEST(AgentConfigTest, DefaultsApplyWhenOptionalSectionsAreAbsent) {
  auto c = ParseAgentConfig(R"(
node: n1
hub: {kubeconfig: k, namespace: oncoatlas-node-n1}
pacs: {folder: {path: /in}}
store: {path: /s}
)",
                            "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->hub.heartbeat.lease_name, "oncoatlas-agent");
  EXPECT_EQ(c->hub.heartbeat.lease_duration_seconds, 40);
  EXPECT_EQ(c->pacs.check_interval_seconds, 30);
  EXPECT_EQ(c->server.health_bind_address, "0.0.0.0:8081");
  EXPECT_EQ(c->log_level, "info");
}

TEST(AgentConfigTest, UnknownKeysAreReportedNotFatal) {
  auto c = ParseAgentConfig(Replace(kRendered, "logLevel: info", "logLevel: info\nfutureFeature: 1\n"), "agent.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_THAT(c->unknown_keys, ::testing::ElementsAre("futureFeature"));
  auto nested = ParseAgentConfig(
      Replace(kRendered, "leaseName: oncoatlas-agent", "leaseName: oncoatlas-agent\n    leaseNme: x"), "agent.yaml");
  ASSERT_TRUE(nested.ok());
  EXPECT_THAT(nested->unknown_keys, ::testing::ElementsAre("hub.heartbeat.leaseNme"));
}

struct BadCase {
  std::string from, to, message;
};

TEST(AgentConfigTest, BadValuesNameTheKeyAndTheFix) {
  const std::vector<BadCase> cases = {
      {"node: se-stockholm", "node: SE_Stockholm", "agent.yaml: node \"SE_Stockholm\" is not a DataNode name"},
      {"node: se-stockholm", "nodes: x", "agent.yaml: node is missing; set it to the DataNode's name"},
      {"  namespace: oncoatlas-node-se-stockholm\n", "",
       "hub.namespace is missing; set it to the node's hub namespace, oncoatlas-node-se-stockholm"},
      {"  kubeconfig: /etc/oncoatlas/hub/kubeconfig\n", "", "hub.kubeconfig is missing"},
      {"leaseDurationSeconds: 40", "leaseDurationSeconds: forty",
       "hub.heartbeat.leaseDurationSeconds is \"forty\"; set it to an integer from 2 to 3600"},
      {"renewIntervalSeconds: 10", "renewIntervalSeconds: 40",
       "hub.heartbeat.renewIntervalSeconds (40) must be shorter than leaseDurationSeconds (40)"},
      {"  checkIntervalSeconds: 30\n", "  checkIntervalSeconds: 30\n  folder: {path: /x}\n",
       "pacs must hold exactly one of dicomweb, dimse or folder (found 2)"},
      {R"(url: "http://pacs.local:8042/dicom-web")", "url: ftp://x",
       "pacs.dicomweb.url is \"ftp://x\"; it must start with http:// or https://"},
      {"store: {path: /var/lib/oncoatlas}", "store: /var/lib/oncoatlas", "store must be a mapping"},
      {"healthBindAddress: \"0.0.0.0:8081\"", "healthBindAddress: \"0.0.0.0\"",
       "server.healthBindAddress \"0.0.0.0\" has no port"},
      {"logLevel: info", "logLevel: chatty", "logLevel is \"chatty\"; use one of trace"},
      {"logFormat: json", "logFormat: xml", "logFormat is \"xml\"; use json or text"},
      {"hub:\n", "hub: [1]\nx:\n", "hub must be a mapping"},
      {"node: se-stockholm", "node: [unclosed", "agent.yaml: not valid YAML (line"},
  };
  for (const BadCase& bc : cases) {
    auto c = ParseAgentConfig(Replace(kRendered, bc.from, bc.to), "agent.yaml");
    ASSERT_FALSE(c.ok()) << bc.to;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(c.status().message(), HasSubstr(bc.message)) << bc.to;
  }
}

TEST(AgentConfigTest, DimseAeTitlesAreChecked) {
  auto c = ParseAgentConfig(
      Replace(kRendered, R"(dicomweb: {url: "http://pacs.local:8042/dicom-web", credentialsDir: /etc/oncoatlas/pacs})",
              "dimse: {host: h, port: 70000, calledAETitle: X}"),
      "agent.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("pacs.dimse.port is \"70000\""));
  c = ParseAgentConfig(
      Replace(kRendered, R"(dicomweb: {url: "http://pacs.local:8042/dicom-web", credentialsDir: /etc/oncoatlas/pacs})",
              "dimse: {host: h, calledAETitle: \"THIS_AE_TITLE_IS_TOO_LONG\"}"),
      "agent.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("pacs.dimse.calledAETitle"));
}

TEST(AgentConfigTest, CommandLineOverridesReplacePaths) {
  auto c = ParseAgentConfig(kRendered, "agent.yaml");
  ASSERT_TRUE(c.ok());
  ConfigOverrides o;
  o.hub_kubeconfig = "/tmp/x/kubeconfig";
  o.store = "/tmp/x/store";
  o.health_bind_address = "127.0.0.1:0";
  o.pacs_credentials_dir = "/tmp/x/pacs";
  ASSERT_TRUE(ApplyOverrides(*c, o).ok());
  EXPECT_EQ(c->hub.kubeconfig, "/tmp/x/kubeconfig");
  EXPECT_EQ(c->store_path, "/tmp/x/store");
  EXPECT_EQ(c->server.health_bind_address, "127.0.0.1:0");
  EXPECT_EQ(std::get<DicomwebPacsConfig>(c->pacs.source).credentials_dir, "/tmp/x/pacs");

  ConfigOverrides bad;
  bad.health_bind_address = "localhost";
  Status s = ApplyOverrides(*c, bad);
  EXPECT_THAT(s.message(), HasSubstr("--health-bind-address \"localhost\" has no port"));

  auto folder = ParseAgentConfig(
      Replace(kRendered, R"(dicomweb: {url: "http://pacs.local:8042/dicom-web", credentialsDir: /etc/oncoatlas/pacs})",
              "folder: {path: /in}"),
      "agent.yaml");
  ASSERT_TRUE(folder.ok());
  ConfigOverrides creds;
  creds.pacs_credentials_dir = "/x";
  EXPECT_THAT(ApplyOverrides(*folder, creds).message(), HasSubstr("applies to a DICOMweb PACS only"));
}

TEST(AgentConfigTest, BindAddresses) {
  auto v6 = ParseBindAddress("[::1]:8081", "k");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8081);
  EXPECT_FALSE(ParseBindAddress("::1:8081", "k").ok());
  EXPECT_FALSE(ParseBindAddress(":8081", "k").ok());
  EXPECT_FALSE(ParseBindAddress("1.2.3.4:99999", "k").ok());
  EXPECT_FALSE(ParseBindAddress("1.2.3.4:8x", "k").ok());
}

TEST(AgentConfigTest, MissingFileSaysWhichFlag) {
  auto c = LoadAgentConfig("/nonexistent/agent.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/agent.yaml"));
  EXPECT_THAT(c.status().message(), HasSubstr("--config"));
}

}  // namespace
}  // namespace oncoatlas::agent
