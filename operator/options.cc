#include "options.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <sstream>

namespace oncoatlas::op {

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  long long total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    long long value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i] - '0');
      if (value > 1'000'000'000LL) return std::nullopt;
      ++i;
    }
    std::string unit;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
    long long factor = 0;
    if (unit == "ms")
      factor = 1;
    else if (unit == "s")
      factor = 1000;
    else if (unit == "m")
      factor = 60'000;
    else if (unit == "h")
      factor = 3'600'000;
    else
      return std::nullopt;
    total_ms += value * factor;
  }
  return std::chrono::milliseconds(total_ms);
}

std::optional<BindAddress> ParseBindAddress(const std::string& text) {
  if (text == "0") return BindAddress{};
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5) return std::nullopt;
  for (char c : port_text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  const int port = std::stoi(port_text);
  if (port > 65535) return std::nullopt;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  return BindAddress{host, port};
}

namespace {

std::string FlagError(const std::string& flag, const std::string& value, const std::string& fix) {
  return "invalid value \"" + value + "\" for " + flag + ": " + fix;
}

// 90s → "1m30s", 3600s → "1h".
std::string FormatSeconds(std::chrono::seconds d) {
  const long long total = d.count();
  std::string out;
  if (total >= 3600) out += std::to_string(total / 3600) + "h";
  if (total % 3600 >= 60) out += std::to_string(total % 3600 / 60) + "m";
  if (total % 60 > 0 || out.empty()) out += std::to_string(total % 60) + "s";
  return out;
}

}  // namespace

ParsedOptions ParseOptions(int argc, const char* const* argv) {
  OperatorOptions o;
  std::string lease = "15s", renew = "10s", retry = "2s";
  std::string metrics = "0.0.0.0:8080", health = "0.0.0.0:8081";
  std::string log_format = "text", log_level = "info";
  std::string token_lifetime = "1h", site_resync = "5m";
  std::string agent_lease = "40s", agent_renew = "10s", pacs_check = "30s";

  CLI::App app{
      "oncoatlas-operator: reconciles the oncoatlas.io DataNode, Dataset, AccessGrant, BenchmarkRun and "
      "AccessPolicy resources of a hub cluster."};
  app.option_defaults()->always_capture_default();
  app.add_option("--kubeconfig", o.kubeconfig,
                 "kubeconfig file to use; without it the in-cluster service account (or $KUBECONFIG) is used");
  app.add_option("--namespace", o.namespaces,
                 "a namespace to watch for Datasets, AccessGrants and BenchmarkRuns (repeatable; none = all)");
  app.add_option("--operator-namespace", o.operator_namespace,
                 "the operator's own namespace, where DataNode kubeconfig Secrets live (default: the pod's or "
                 "the kubeconfig context's namespace)");
  app.add_flag("--leader-elect", o.leader_elect, "run controllers only while holding the leader Lease");
  app.add_option("--leader-election-namespace", o.leader_election_namespace,
                 "namespace of the leader Lease (default: the operator namespace)");
  app.add_option("--leader-election-id", o.leader_election_id, "name of the leader Lease");
  app.add_option("--lease-duration", lease, "how long followers wait before taking over a lease not renewed");
  app.add_option("--renew-deadline", renew, "how long the leader keeps trying to renew before it steps down");
  app.add_option("--retry-period", retry, "how often candidates try to take or renew the lease");
  app.add_option("--metrics-bind-address", metrics, "address of /metrics, host:port (\"0\" disables it)");
  app.add_option("--health-probe-bind-address", health,
                 "address of /healthz and /readyz, host:port (\"0\" disables it)");
  app.add_option("--log-format", log_format, "text or json");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off");
  app.add_option("--workers", o.workers, "concurrent reconciles per controller");
  app.add_option("--agent-image", o.agent_image,
                 "the agent's container image for DataNodes without spec.agent.image (pin by digest in production)");
  app.add_option("--agent-token-lifetime", token_lifetime,
                 "lifetime of the agents' hub tokens (TokenRequest, at least 10m), renewed at 2/3 of it; a "
                 "DataNode's spec.agent.credentialRotationInterval overrides it (lifetime = 2 intervals)");
  app.add_option("--hub-server", o.hub_server,
                 "https URL of the hub API server written into local agents' hub kubeconfig (default: the "
                 "server the operator itself uses)");
  app.add_option("--hub-ca-file", o.hub_ca_file,
                 "PEM file of the CA agents trust for the hub API server (default: the CA the operator itself "
                 "trusts)");
  app.add_option("--site-resync-period", site_resync,
                 "how often a remote site cluster's agent objects are re-read to correct drift (at least 10s)");
  app.add_option("--agent-lease-duration", agent_lease,
                 "the agents' heartbeat Lease duration: AgentConnected turns False (HeartbeatStale) when a "
                 "heartbeat is older");
  app.add_option("--agent-renew-interval", agent_renew,
                 "how often agents renew their heartbeat Lease (shorter than --agent-lease-duration)");
  app.add_option("--pacs-check-interval", pacs_check, "how often agents check their PACS");

  ParsedOptions result;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.message = app.help();
    return result;
  } catch (const CLI::ParseError& e) {
    result.exit_code = 2;
    result.message = std::string(e.what()) + "\nRun with --help to list the flags.";
    return result;
  }

  std::vector<std::string> errors;
  auto duration = [&](const char* flag, const std::string& text, std::chrono::milliseconds& out) {
    auto parsed = ParseDuration(text);
    if (!parsed || parsed->count() <= 0) {
      errors.push_back(FlagError(flag, text, "give a positive duration such as 15s, 500ms or 2m"));
    } else {
      out = *parsed;
    }
  };
  duration("--lease-duration", lease, o.lease_duration);
  duration("--renew-deadline", renew, o.renew_deadline);
  duration("--retry-period", retry, o.retry_period);
  if (errors.empty() && !(o.lease_duration > o.renew_deadline && o.renew_deadline > o.retry_period)) {
    errors.push_back("--lease-duration (" + lease + ") must be longer than --renew-deadline (" + renew +
                     "), which must be longer than --retry-period (" + retry + "); e.g. 15s, 10s, 2s");
  }
  auto address = [&](const char* flag, const std::string& text, BindAddress& out) {
    auto parsed = ParseBindAddress(text);
    if (!parsed) {
      errors.push_back(FlagError(flag, text, "give host:port (e.g. 0.0.0.0:8080 or :8080), or 0 to disable"));
    } else {
      out = *parsed;
    }
  };
  address("--metrics-bind-address", metrics, o.metrics_address);
  address("--health-probe-bind-address", health, o.health_address);
  if (auto format = kube::ParseLogFormat(log_format); format.ok()) {
    o.log.format = *format;
  } else {
    errors.push_back(FlagError("--log-format", log_format, "use text or json"));
  }
  if (auto level = kube::ParseLogLevel(log_level); level.ok()) {
    o.log.level = *level;
  } else {
    errors.push_back(FlagError("--log-level", log_level, "use trace, debug, info, warn, error, critical or off"));
  }
  if (o.workers < 1 || o.workers > 64) {
    errors.push_back(FlagError("--workers", std::to_string(o.workers), "give a number from 1 to 64"));
  }
  for (const std::string& ns : o.namespaces) {
    if (ns.empty())
      errors.push_back(FlagError("--namespace", ns, "give a namespace name (omit the flag to watch all)"));
  }
  auto seconds = [&](const char* flag, const std::string& text, std::chrono::seconds minimum,
                     std::chrono::seconds maximum, std::chrono::seconds& out) {
    auto parsed = ParseDuration(text);
    if (!parsed || parsed->count() % 1000 != 0 || *parsed < minimum || *parsed > maximum) {
      errors.push_back(FlagError(flag, text,
                                 "give whole seconds from " + FormatSeconds(minimum) + " to " + FormatSeconds(maximum) +
                                     ", e.g. " + FormatSeconds(out)));
    } else {
      out = std::chrono::duration_cast<std::chrono::seconds>(*parsed);
    }
  };
  // The API server refuses TokenRequests shorter than 10 minutes.
  seconds("--agent-token-lifetime", token_lifetime, std::chrono::minutes(10), std::chrono::hours(24 * 90),
          o.agent_token_lifetime);
  seconds("--site-resync-period", site_resync, std::chrono::seconds(10), std::chrono::hours(24), o.site_resync_period);
  // The agent accepts leases of 2 s to 1 h.
  seconds("--agent-lease-duration", agent_lease, std::chrono::seconds(2), std::chrono::hours(1),
          o.agent_lease_duration);
  seconds("--agent-renew-interval", agent_renew, std::chrono::seconds(1), std::chrono::hours(1),
          o.agent_renew_interval);
  seconds("--pacs-check-interval", pacs_check, std::chrono::seconds(1), std::chrono::hours(24), o.pacs_check_interval);
  if (o.agent_renew_interval >= o.agent_lease_duration) {
    errors.push_back("--agent-renew-interval (" + agent_renew + ") must be shorter than --agent-lease-duration (" +
                     agent_lease + "); e.g. 10s and 40s");
  }
  if (o.agent_image.empty() || o.agent_image.find_first_of(" \t\r\n") != std::string::npos) {
    errors.push_back(
        FlagError("--agent-image", o.agent_image,
                  "give an image reference without spaces, e.g. registry.example.eu/oncoatlas-agent:0.1.0"));
  }
  if (!o.hub_server.empty() && (o.hub_server.rfind("https://", 0) != 0 || o.hub_server.size() <= 8 ||
                                o.hub_server.find_first_of(" \t\r\n") != std::string::npos)) {
    errors.push_back(
        FlagError("--hub-server", o.hub_server, "give the hub API server's https URL, e.g. https://10.0.0.1:6443"));
  }
  if (o.leader_election_id.empty()) {
    errors.push_back(FlagError("--leader-election-id", "", "give the name of the Lease, e.g. oncoatlas-operator"));
  }
  if (!errors.empty()) {
    result.exit_code = 2;
    std::ostringstream message;
    for (const std::string& e : errors) message << "error: " << e << "\n";
    message << "Run with --help to list the flags.";
    result.message = message.str();
    return result;
  }
  result.options = std::move(o);
  return result;
}

}  // namespace oncoatlas::op
