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

}  // namespace

ParsedOptions ParseOptions(int argc, const char* const* argv) {
  OperatorOptions o;
  std::string lease = "15s", renew = "10s", retry = "2s";
  std::string metrics = "0.0.0.0:8080", health = "0.0.0.0:8081";
  std::string log_format = "text", log_level = "info";

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
