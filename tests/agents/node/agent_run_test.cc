// AgentRun with a hub that cannot be reached: it keeps running, retries, and
// /readyz says why it is not ready. (The happy path, 401/403 and token
// rotation run against a real API server in agent_run_integration_test.)
#include "node/agent_run.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/client.h"
#include "support/control_plane.h"

namespace oncoatlas::agent {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

class CountingChecker : public PacsChecker {
 public:
  explicit CountingChecker(std::atomic<int>& n) : n_(n) {}
  PacsCheckResult Check() override {
    ++n_;
    return {true, "fine"};
  }

 private:
  std::atomic<int>& n_;
};

http::Reply Get(int port, const std::string& path) {
  auto r = http::Client::Create("http://127.0.0.1:" + std::to_string(port), {})->Send("GET", path, "");
  return r.ok() ? *r : http::Reply{};
}

AgentConfig Config(const std::string& kubeconfig) {
  AgentConfig c;
  c.node = "n1";
  c.hub.kubeconfig = kubeconfig;
  c.hub.namespace_name = "oncoatlas-node-n1";
  c.hub.heartbeat.lease_duration_seconds = 4;
  c.hub.heartbeat.renew_interval_seconds = 1;
  c.pacs.source = FolderPacsConfig{"/"};
  c.pacs.check_interval_seconds = 1;
  c.store_path = ::testing::TempDir();
  c.server.health_bind_address = "127.0.0.1:0";
  return c;
}

TEST(AgentRunTest, UnreachableHubIsRetriedAndNotReady) {
  const std::string dir = ::testing::TempDir() + "agent-run-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/token") << "secret-token-value";
  std::ofstream(dir + "/kubeconfig") << "apiVersion: v1\nkind: Config\nclusters:\n- name: hub\n  cluster:\n"
                                        "    server: https://127.0.0.1:1\n"
                                        "    certificate-authority: /etc/ssl/certs/ca-certificates.crt\n"
                                        "users:\n- name: a\n  user: {tokenFile: token}\n"
                                        "contexts:\n- name: hub\n  context: {cluster: hub, user: a}\n"
                                        "current-context: hub\n";
  std::atomic<int> checks{0};
  AgentRun run(Config(dir + "/kubeconfig"), kube::DefaultClock(), std::make_unique<CountingChecker>(checks));
  ASSERT_TRUE(run.Start().ok());
  const int port = run.health_port();
  ASSERT_GT(port, 0);
  http::Reply ready;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        ready = Get(port, "/readyz?verbose");
        return ready.status == 500 && ready.body.find("cannot connect to https://127.0.0.1:1") != std::string::npos;
      },
      seconds(20)))
      << ready.body;
  EXPECT_THAT(ready.body, HasSubstr("[-]hub failed: renewing the heartbeat Lease oncoatlas-node-n1/oncoatlas-agent"));
  EXPECT_EQ(ready.body.find("secret-token-value"), std::string::npos);
  EXPECT_EQ(Get(port, "/healthz").status, 200);
  const std::string metrics = Get(port, "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("oncoatlas_agent_hub_connected 0"));
  EXPECT_THAT(metrics, HasSubstr("oncoatlas_agent_pacs_reachable 1"));
  EXPECT_THAT(metrics, HasSubstr("oncoatlas_agent_heartbeat_renewals_total{result=\"error\"}"));
  EXPECT_EQ(metrics.find("oncoatlas_agent_heartbeat_renewals_total{result=\"success\"}"), std::string::npos);
  // The PACS loop keeps going while the hub is away.
  EXPECT_TRUE(testing::WaitFor([&] { return checks.load() >= 2; }, seconds(20)));
  run.Stop();
  EXPECT_EQ(Get(port, "/healthz").status, 0);
  std::filesystem::remove_all(dir);
}

TEST(AgentRunTest, MissingKubeconfigIsRetriedToo) {
  std::atomic<int> checks{0};
  AgentRun run(Config("/nonexistent/kubeconfig"), kube::DefaultClock(), std::make_unique<CountingChecker>(checks));
  ASSERT_TRUE(run.Start().ok());
  http::Reply ready;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        ready = Get(run.health_port(), "/readyz");
        return ready.body.find("loading the hub kubeconfig /nonexistent/kubeconfig") != std::string::npos;
      },
      seconds(20)))
      << ready.body;
}

TEST(AgentRunTest, BusyHealthPortIsAnErrorNamingTheAddress) {
  std::atomic<int> checks{0};
  AgentRun first(Config("/nonexistent/kubeconfig"), kube::DefaultClock(), std::make_unique<CountingChecker>(checks));
  ASSERT_TRUE(first.Start().ok());
  AgentConfig c = Config("/nonexistent/kubeconfig");
  c.server.health_bind_address = "127.0.0.1:" + std::to_string(first.health_port());
  AgentRun second(c, kube::DefaultClock(), std::make_unique<CountingChecker>(checks));
  Status s = second.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("127.0.0.1"));
}

}  // namespace
}  // namespace oncoatlas::agent
