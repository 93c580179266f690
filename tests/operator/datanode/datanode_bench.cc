// datanode_bench: local-mode DataNodes applied at once to a local control
// plane with the DataNode controller running in-process. For a baseline round
// of 20 nodes and the measured round of 200 it prints the time until all are
// AgentDeployed, the operator's API requests (and writes) per DataNode, and
// the ratio of 200 to 20; then the operator's writes during 60 s of steady
// state (goal: zero).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "api/resources.h"
#include "datanode_controller.h"
#include "kube/client_config.h"
#include "manager.h"
#include "support/control_plane.h"

namespace {

namespace kube = oncoatlas::kube;
namespace dn = oncoatlas::datanode;
using kube::Json;

class CountingObserver : public kube::RequestObserver {
 public:
  void OnRequest(const std::string& method, int, std::chrono::nanoseconds) override {
    requests_.fetch_add(1);
    if (method != "GET") writes_.fetch_add(1);
  }
  long requests() const { return requests_.load(); }
  long writes() const { return writes_.load(); }

 private:
  std::atomic<long> requests_{0};
  std::atomic<long> writes_{0};
};

Json Node(const std::string& name) {
  return {{"apiVersion", "oncoatlas.io/v1alpha1"},
          {"kind", "DataNode"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"organisation", {{"name", "Bench Hospital"}}},
            {"country", "SE"},
            {"tier", 2},
            {"cluster", {{"local", Json::object()}}},
            {"pacs", {{"dimse", {{"host", "127.0.0.1"}, {"port", 4242}, {"calledAETitle", "ORTHANC"}}}}},
            {"storage", {{"size", "1Gi"}}}}}};
}

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

bool Deployed(const Json& node) {
  if (!node.contains("status") || !node["status"].contains("conditions")) return false;
  for (const auto& c : node["status"]["conditions"]) {
    if (c["type"] == "AgentDeployed" && c["status"] == "True") return true;
  }
  return false;
}

struct Round {
  int nodes = 0;
  double seconds = 0;
  long requests = 0;
  long writes = 0;
};

// Creates `count` DataNodes named <prefix>-i with 8 threads and waits until all are AgentDeployed.
bool RunRound(kube::RestClient& admin, const CountingObserver& observer, const std::string& prefix, int count,
              Round& round) {
  const long requests_before = observer.requests();
  const long writes_before = observer.writes();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < count; i += 8) {
        if (!admin.Create(oncoatlas::api::kDataNodes, "", Node(prefix + "-" + std::to_string(i))).ok()) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failures > 0) {
    std::fprintf(stderr, "datanode_bench: %d DataNodes could not be created\n", failures.load());
    return false;
  }
  const auto deadline = start + std::chrono::minutes(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto list = admin.List(oncoatlas::api::kDataNodes, "");
    if (list.ok()) {
      int deployed = 0;
      for (const auto& n : (*list)["items"]) {
        if (n["metadata"].value("name", "").rfind(prefix + "-", 0) == 0 && Deployed(n)) deployed++;
      }
      if (deployed == count) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  round.nodes = count;
  round.seconds = Seconds(std::chrono::steady_clock::now() - start);
  round.requests = observer.requests() - requests_before;
  round.writes = observer.writes() - writes_before;
  return std::chrono::steady_clock::now() < deadline;
}

int Run() {
  auto cp = oncoatlas::testing::ControlPlane::Start("dnbench");
  if (!cp.ok()) {
    std::fprintf(stderr, "datanode_bench: %s\n", cp.status().ToString().c_str());
    return 1;
  }
  for (const char* crd : {"datanode.yaml", "dataset.yaml"}) {
    auto r = (*cp)->Kubectl({"apply", "-f", oncoatlas::testing::SourceDir() + "/crds/" + crd});
    if (r.exit_code != 0) {
      std::fprintf(stderr, "datanode_bench: kubectl apply %s: %s\n", crd, r.err.c_str());
      return 1;
    }
  }
  (*cp)->Kubectl({"wait", "--for=condition=Established", "crd/datanodes.oncoatlas.io", "crd/datasets.oncoatlas.io",
                  "--timeout=60s"});
  auto config = kube::LoadKubeconfig({.path = (*cp)->kubeconfig()});
  if (!config.ok()) {
    std::fprintf(stderr, "datanode_bench: %s\n", config.status().ToString().c_str());
    return 1;
  }
  config->qps = 0;
  auto admin = kube::RestClient::Create(*config);
  // The operator's client, with the client-side rate limit an operator flag would set.
  CountingObserver observer;
  kube::ClientConfig operator_config = *config;
  operator_config.qps = 200;
  operator_config.burst = 400;
  auto hub = kube::RestClient::Create(operator_config, {.observer = &observer});
  if (!admin.ok() || !hub.ok()) {
    std::fprintf(stderr, "datanode_bench: cannot create clients\n");
    return 1;
  }
  std::shared_ptr<kube::RestClient> hub_shared(std::move(hub).value());
  oncoatlas::op::OperatorOptions manager_options;
  manager_options.operator_namespace = "oncoatlas-system";
  manager_options.metrics_address = {};
  manager_options.health_address = {};
  manager_options.workers = 8;
  oncoatlas::op::Manager manager(manager_options, hub_shared);
  dn::ReconcilerOptions options;
  options.render.local_hub_server = operator_config.ServerUrl();
  options.render.hub_ca_pem = operator_config.ca_pem;
  oncoatlas::op::RegisterDataNodeController(manager, options);
  std::thread manager_thread([&manager] { manager.Run(); });

  Round baseline, measured;
  if (!RunRound(**admin, observer, "base", 20, baseline) || !RunRound(**admin, observer, "node", 200, measured)) {
    std::fprintf(stderr, "datanode_bench: not all DataNodes became AgentDeployed within 10 minutes\n");
    manager.RequestShutdown();
    manager_thread.join();
    return 1;
  }
  const long steady_requests_before = observer.requests();
  const long steady_writes_before = observer.writes();
  std::this_thread::sleep_for(std::chrono::seconds(60));
  const long steady_requests = observer.requests() - steady_requests_before;
  const long steady_writes = observer.writes() - steady_writes_before;
  manager.RequestShutdown();
  manager_thread.join();

  std::printf("datanode_bench: local-mode DataNodes applied at once (8 workers, client limit 200 qps)\n");
  std::printf("%-26s %12s %12s\n", "", "20 nodes", "200 nodes");
  std::printf("%-26s %12.2f %12.2f\n", "s until all AgentDeployed", baseline.seconds, measured.seconds);
  std::printf("%-26s %12.1f %12.1f\n", "DataNodes per second", baseline.nodes / baseline.seconds,
              measured.nodes / measured.seconds);
  std::printf("%-26s %12.1f %12.1f\n", "API requests per DataNode", double(baseline.requests) / baseline.nodes,
              double(measured.requests) / measured.nodes);
  std::printf("%-26s %12.1f %12.1f\n", "writes per DataNode", double(baseline.writes) / baseline.nodes,
              double(measured.writes) / measured.nodes);
  std::printf("ratio 200/20: time %.2fx for 10x the nodes; requests per node %.2fx\n",
              measured.seconds / baseline.seconds,
              (double(measured.requests) / measured.nodes) / (double(baseline.requests) / baseline.nodes));
  std::printf("steady state, 60 s with 220 DataNodes: %ld requests, %ld writes (goal: 0 writes)\n", steady_requests,
              steady_writes);
  return 0;
}

}  // namespace

int main() { return Run(); }
