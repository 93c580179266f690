// oncoatlas-operator: wiring only. Parses flags, sets up logging and the API
// client, registers one controller per kind with the Manager and runs it until
// SIGTERM/SIGINT (exit 0) or a lost leader Lease (exit 1). Bad flags: exit 2.
#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>

#include "access_grant_controller.h"
#include "access_policy_controller.h"
#include "benchmark_run_controller.h"
#include "datanode_controller.h"
#include "dataset_controller.h"
#include "kube/client_config.h"
#include "kube/logging.h"
#include "kube/rest_client.h"
#include "kube/rest_client_metrics.h"
#include "manager.h"
#include "options.h"
#include "shutdown_signals.h"

int main(int argc, char** argv) {
  using namespace oncoatlas;
  op::ParsedOptions parsed = op::ParseOptions(argc, argv);
  if (!parsed.options) {
    (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message << "\n";
    return parsed.exit_code;
  }
  const op::OperatorOptions& options = *parsed.options;
  if (Status blocked = op::ShutdownSignals::Block(); !blocked.ok()) {
    std::cerr << blocked.ToString() << "\n";
    return 1;
  }
  kube::SetUpLogging(options.log, "oncoatlas-operator");

  auto config = kube::LoadDefaultConfig({.path = options.kubeconfig});
  if (!config.ok()) {
    spdlog::error("cannot load the API server configuration: {} ({})", config.status().ToString(),
                  options.kubeconfig.empty() ? "pass --kubeconfig, or run in a pod"
                                             : "give --kubeconfig the path of a readable kubeconfig file");
    return 2;
  }
  config->user_agent = "oncoatlas-operator/0.1";
  // rest_client_requests_total{code,method} for every request the client sends.
  auto client = kube::RestClient::Create(*config, {.observer = &kube::RestClientMetrics()});
  if (!client.ok()) {
    spdlog::error("cannot create the API client: {}", client.status().ToString());
    return 2;
  }

  op::Manager manager(options, std::shared_ptr<kube::RestClient>(std::move(client).value()));
  // Controller registration: one call per kind. Each adds its controller,
  // its caches and its watches to the manager.
  if (Status registered = op::RegisterDataNodeController(manager); !registered.ok()) {
    spdlog::error("{}", registered.message());
    return 2;
  }
  op::RegisterDatasetController(manager);
  op::RegisterAccessPolicyController(manager);
  op::RegisterAccessGrantController(manager);
  op::RegisterBenchmarkRunController(manager);

  op::ShutdownSignals signals;
  signals.Start([&manager](int signal_number) {
    spdlog::info("received {}; shutting down", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    manager.RequestShutdown(0);
  });
  const int exit_code = manager.Run();
  signals.Stop();
  return exit_code;
}
