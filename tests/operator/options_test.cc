// ParseOptions: defaults, every flag, and bad flags that name the flag and
// the fix with exit code 2.
#include <gtest/gtest.h>

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
                  "ops"});
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
