// ParseOptions: defaults, every flag, and bad flags that name the flag and
// the fix with exit code 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "datanode_controller.h"
#include "kube/client_config.h"
#include "options.h"

namespace oncoatlas::op {
namespace {

using std::chrono::milliseconds;

ParsedOptions Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "oncoatlas-operator");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return ParseOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, Defaults) {
  auto p = Parse({});
  ASSERT_TRUE(p.options) << p.message;
  EXPECT_EQ(p.options->lease_duration, milliseconds(15000));
  EXPECT_EQ(p.options->renew_deadline, milliseconds(10000));
  EXPECT_EQ(p.options->retry_period, milliseconds(2000));
  EXPECT_FALSE(p.options->leader_elect);
  EXPECT_TRUE(p.options->namespaces.empty());
  EXPECT_EQ(p.options->metrics_address.port, 8080);
  EXPECT_EQ(p.options->health_address.port, 8081);
  EXPECT_EQ(p.options->log.format, kube::LogFormat::kText);
  EXPECT_EQ(p.options->agent_image, "oncoatlas/oncoatlas-agent:0.1.0");
  EXPECT_EQ(p.options->agent_token_lifetime, std::chrono::hours(1));
  EXPECT_EQ(p.options->site_resync_period, std::chrono::minutes(5));
  EXPECT_EQ(p.options->agent_lease_duration, std::chrono::seconds(40));
  EXPECT_EQ(p.options->agent_renew_interval, std::chrono::seconds(10));
  EXPECT_EQ(p.options->pacs_check_interval, std::chrono::seconds(30));
  EXPECT_EQ(p.options->hub_server, "");
  EXPECT_EQ(p.options->hub_ca_file, "");
}

TEST(Options, EveryFlag) {
  auto p = Parse({"--kubeconfig",
                  "/k",
                  "--namespace",
                  "a",
                  "--namespace",
                  "b",
                  "--leader-elect",
                  "--leader-election-namespace",
                  "sys",
                  "--leader-election-id",
                  "lease",
                  "--lease-duration",
                  "4s",
                  "--renew-deadline",
                  "3s",
                  "--retry-period",
                  "500ms",
                  "--metrics-bind-address",
                  "127.0.0.1:9090",
                  "--health-probe-bind-address",
                  "0",
                  "--log-format",
                  "json",
                  "--log-level",
                  "debug",
                  "--workers",
                  "3",
                  "--operator-namespace",
                  "ops",
                  "--agent-image",
                  "registry.example.eu/agent@sha256:abc",
                  "--agent-token-lifetime",
                  "10m",
                  "--hub-server",
                  "https://hub.example.eu:6443",
                  "--hub-ca-file",
                  "/ca.crt",
                  "--site-resync-period",
                  "30s",
                  "--agent-lease-duration",
                  "6s",
                  "--agent-renew-interval",
                  "2s",
                  "--pacs-check-interval",
                  "1m"});
  ASSERT_TRUE(p.options) << p.message;
  const OperatorOptions& o = *p.options;
  EXPECT_EQ(o.kubeconfig, "/k");
  EXPECT_EQ(o.namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(o.leader_elect);
  EXPECT_EQ(o.leader_election_namespace, "sys");
  EXPECT_EQ(o.leader_election_id, "lease");
  EXPECT_EQ(o.lease_duration, milliseconds(4000));
  EXPECT_EQ(o.retry_period, milliseconds(500));
  EXPECT_EQ(o.metrics_address.host, "127.0.0.1");
  EXPECT_EQ(o.metrics_address.port, 9090);
  EXPECT_FALSE(o.health_address.enabled());
  EXPECT_EQ(o.log.format, kube::LogFormat::kJson);
  EXPECT_EQ(o.log.level, spdlog::level::debug);
  EXPECT_EQ(o.workers, 3);
  EXPECT_EQ(o.operator_namespace, "ops");
  EXPECT_EQ(o.agent_image, "registry.example.eu/agent@sha256:abc");
  EXPECT_EQ(o.agent_token_lifetime, std::chrono::minutes(10));
  EXPECT_EQ(o.hub_server, "https://hub.example.eu:6443");
  EXPECT_EQ(o.hub_ca_file, "/ca.crt");
  EXPECT_EQ(o.site_resync_period, std::chrono::seconds(30));
  EXPECT_EQ(o.agent_lease_duration, std::chrono::seconds(6));
  EXPECT_EQ(o.agent_renew_interval, std::chrono::seconds(2));
  EXPECT_EQ(o.pacs_check_interval, std::chrono::seconds(60));
}

void ExpectRejected(std::vector<std::string> args, const std::string& flag, const std::string& hint) {
  auto p = Parse(args);
  EXPECT_FALSE(p.options);
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_NE(p.message.find(flag), std::string::npos) << p.message;
  EXPECT_NE(p.message.find(hint), std::string::npos) << p.message;
}

TEST(Options, BadFlagsNameTheFlagAndTheFix) {
  ExpectRejected({"--lease-duration", "fifteen"}, "--lease-duration", "15s");
  ExpectRejected({"--retry-period", "0s"}, "--retry-period", "positive duration");
  ExpectRejected({"--lease-duration", "5s", "--renew-deadline", "6s"}, "--renew-deadline", "longer than");
  ExpectRejected({"--metrics-bind-address", "localhost"}, "--metrics-bind-address", "host:port");
  ExpectRejected({"--health-probe-bind-address", ":99999"}, "--health-probe-bind-address", "host:port");
  ExpectRejected({"--log-format", "xml"}, "--log-format", "text or json");
  ExpectRejected({"--log-level", "loud"}, "--log-level", "debug");
  ExpectRejected({"--workers", "0"}, "--workers", "1 to 64");
  ExpectRejected({"--no-such-flag"}, "--no-such-flag", "--help");
  ExpectRejected({"--workers", "many"}, "--workers", "--help");
  // The API server refuses TokenRequests under 10 minutes.
  ExpectRejected({"--agent-token-lifetime", "9m"}, "--agent-token-lifetime", "from 10m to 2160h");
  ExpectRejected({"--agent-token-lifetime", "1500ms"}, "--agent-token-lifetime", "whole seconds");
  ExpectRejected({"--site-resync-period", "1s"}, "--site-resync-period", "from 10s");
  ExpectRejected({"--agent-lease-duration", "1s"}, "--agent-lease-duration", "from 2s");
  ExpectRejected({"--agent-lease-duration", "10s", "--agent-renew-interval", "10s"}, "--agent-renew-interval",
                 "shorter than --agent-lease-duration");
  ExpectRejected({"--pacs-check-interval", "often"}, "--pacs-check-interval", "e.g. 30s");
  ExpectRejected({"--agent-image", "my image"}, "--agent-image", "without spaces");
  ExpectRejected({"--agent-image", ""}, "--agent-image", "without spaces");
  ExpectRejected({"--hub-server", "http://hub:6443"}, "--hub-server", "https URL");
}

// The DataNode reconciler's options from the flags and the operator's own connection.
TEST(DataNodeReconcilerOptions, FlagsAndTheOperatorsOwnConnection) {
  kube::ClientConfig own;
  own.host = "10.0.0.1";
  own.port = "6443";
  own.ca_pem = "-----BEGIN CERTIFICATE-----\nOWN\n-----END CERTIFICATE-----\n";
  auto p = Parse({"--agent-image", "img:1", "--agent-token-lifetime", "20m", "--site-resync-period", "45s",
                  "--agent-lease-duration", "6s", "--agent-renew-interval", "2s", "--pacs-check-interval", "3s"});
  ASSERT_TRUE(p.options) << p.message;
  auto r = DataNodeReconcilerOptions(*p.options, own, "ops");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->operator_namespace, "ops");
  EXPECT_EQ(r->render.default_agent_image, "img:1");
  EXPECT_EQ(r->token_lifetime, std::chrono::minutes(20));
  EXPECT_FALSE(r->token_renew_after);
  EXPECT_EQ(r->site_resync, std::chrono::seconds(45));
  EXPECT_EQ(r->render.lease_duration_seconds, 6);
  EXPECT_EQ(r->render.lease_renew_interval_seconds, 2);
  EXPECT_EQ(r->render.pacs_check_interval_seconds, 3);
  EXPECT_EQ(r->render.local_hub_server, "https://10.0.0.1:6443");
  EXPECT_EQ(r->render.hub_ca_pem, own.ca_pem);

  const std::string ca = (std::filesystem::temp_directory_path() / "options_test_hub_ca.crt").string();
  {
    std::ofstream out(ca);
    out << "-----BEGIN CERTIFICATE-----\nHUB\n-----END CERTIFICATE-----\n";
  }
  p = Parse({"--hub-server", "https://hub.example.eu:443", "--hub-ca-file", ca});
  ASSERT_TRUE(p.options) << p.message;
  r = DataNodeReconcilerOptions(*p.options, own, "ops");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->render.local_hub_server, "https://hub.example.eu:443");
  EXPECT_NE(r->render.hub_ca_pem.find("HUB"), std::string::npos);

  // A CA file that is missing or holds no certificate names the flag.
  p = Parse({"--hub-ca-file", ca + ".missing"});
  ASSERT_TRUE(p.options);
  r = DataNodeReconcilerOptions(*p.options, own, "ops");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--hub-ca-file"), std::string::npos) << r.status().ToString();
  {
    std::ofstream out(ca);
    out << "not a certificate\n";
  }
  p = Parse({"--hub-ca-file", ca});
  r = DataNodeReconcilerOptions(*p.options, own, "ops");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no PEM certificate"), std::string::npos) << r.status().ToString();
  std::filesystem::remove(ca);

  // A URL the client cannot use names --hub-server.
  p = Parse({"--hub-server", "https://"});
  if (p.options) {
    r = DataNodeReconcilerOptions(*p.options, own, "ops");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("--hub-server"), std::string::npos);
  } else {
    EXPECT_NE(p.message.find("--hub-server"), std::string::npos);
  }
}

TEST(Options, HelpListsTheDataNodeFlags) {
  auto p = Parse({"--help"});
  for (const char* flag :
       {"--agent-image", "--agent-token-lifetime", "--hub-server", "--hub-ca-file", "--site-resync-period",
        "--agent-lease-duration", "--agent-renew-interval", "--pacs-check-interval"}) {
    EXPECT_NE(p.message.find(flag), std::string::npos) << flag;
  }
}

TEST(Options, HelpExitsZeroAndListsTheFlags) {
  auto p = Parse({"--help"});
  EXPECT_FALSE(p.options);
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_NE(p.message.find("--leader-elect"), std::string::npos);
}

TEST(ParseDuration, GoDurations) {
  EXPECT_EQ(ParseDuration("15s"), milliseconds(15000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90000));
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("2h"), milliseconds(7'200'000));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_FALSE(ParseDuration("15"));
  EXPECT_FALSE(ParseDuration("s"));
  EXPECT_FALSE(ParseDuration("1.5s"));
  EXPECT_FALSE(ParseDuration("99999999999999s"));
}

TEST(ParseBindAddress, Forms) {
  EXPECT_EQ(ParseBindAddress(":8080")->host, "0.0.0.0");
  EXPECT_EQ(ParseBindAddress("[::1]:80")->host, "::1");
  EXPECT_FALSE(ParseBindAddress("0")->enabled());
  EXPECT_FALSE(ParseBindAddress("8080"));
  EXPECT_FALSE(ParseBindAddress("host:"));
  EXPECT_FALSE(ParseBindAddress("host:65536"));
}

}  // namespace
}  // namespace oncoatlas::op
