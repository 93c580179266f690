// The operator's command line: OperatorOptions and ParseOptions (CLI11). Bad
// flags give an error naming the flag and the fix (exit code 2), never a crash.
// Pure: parsing reads only argv; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "kube/logging.h"

namespace oncoatlas::op {

struct BindAddress {
  std::string host;  // "" when the server is disabled ("0")
  int port = 0;      // 0 picks a free port
  bool enabled() const { return !host.empty(); }
};

struct OperatorOptions {
  std::string kubeconfig;               // "" = in-cluster (or $KUBECONFIG)
  std::vector<std::string> namespaces;  // watched namespaces; empty = all
  std::string operator_namespace;       // where kubeconfig Secrets live; "" = the config's namespace
  bool leader_elect = false;
  std::string leader_election_namespace;  // "" = operator_namespace
  std::string leader_election_id = "oncoatlas-operator";
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  BindAddress metrics_address{"0.0.0.0", 8080};
  BindAddress health_address{"0.0.0.0", 8081};
  kube::LogOptions log;
  int workers = 2;

  // The DataNode controller: what it renders for the agents, and how often.
  std::string agent_image = "oncoatlas/oncoatlas-agent:0.1.0";  // when spec.agent.image is unset
  std::chrono::seconds agent_token_lifetime{3600};              // when spec.agent.credentialRotationInterval is unset
  std::string hub_server;   // https URL local agents reach the hub at; "" = the operator's own API server
  std::string hub_ca_file;  // PEM file of the hub CA agents trust; "" = the operator's own CA
  std::chrono::seconds site_resync_period{300};   // remote site objects re-read for drift
  std::chrono::seconds agent_lease_duration{40};  // the agents' heartbeat Lease
  std::chrono::seconds agent_renew_interval{10};
  std::chrono::seconds pacs_check_interval{30};
};

// The outcome of parsing: options, or an exit (help printed: code 0; bad
// flags: code 2 with `message` for stderr).
struct ParsedOptions {
  std::optional<OperatorOptions> options;
  int exit_code = 0;
  std::string message;
};

ParsedOptions ParseOptions(int argc, const char* const* argv);

// "15s", "500ms", "2m", "1h30m" (Go durations without fractions); an error
// message naming the text otherwise.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text);
// "host:port", ":port" (all interfaces) or "0" (disabled).
std::optional<BindAddress> ParseBindAddress(const std::string& text);

}  // namespace oncoatlas::op
