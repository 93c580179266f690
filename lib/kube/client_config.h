// ClientConfig: where the API server is and how to authenticate to it, loaded
// from a kubeconfig file or from the in-cluster service-account mount. TLS
// verification is always on: a config that asks to skip it is rejected.
// Loading is a pure function of the files and the environment lookup passed
// in; a loaded ClientConfig is an immutable value (its TokenSource is
// thread-safe).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "kube/token_source.h"

namespace oncoatlas::kube {

struct ClientConfig {
  std::string host;  // DNS name or IP address (no brackets)
  std::string port = "443";
  std::string base_path;                      // path prefix of the server URL, without a trailing '/'
  std::string tls_server_name;                // name to verify instead of host, if set
  std::string ca_pem;                         // trusted CA certificates (PEM); required
  std::string client_cert_pem;                // client certificate chain (PEM), optional
  std::string client_key_pem;                 // its private key (PEM)
  std::shared_ptr<TokenSource> token_source;  // bearer token, optional
  std::string namespace_name = "default";     // the context's or pod's namespace
  std::string source;                         // where this came from, for messages (never secrets)

  double qps = 20;  // client-side rate limit; <= 0 disables it
  int burst = 30;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};  // per request (not watches)
  std::string user_agent = "oncoatlas-kube/0.1";

  // "https://host:port/base"
  std::string ServerUrl() const;
};

// Looks up an environment variable; tests pass a map-backed function.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

struct KubeconfigOptions {
  // Explicit kubeconfig file; when empty, $KUBECONFIG (a ':'-separated list,
  // merged with the first file winning) and then $HOME/.kube/config are used.
  std::string path{};
  // Context to use instead of current-context.
  std::string context{};
};

Result<ClientConfig> LoadKubeconfig(const KubeconfigOptions& options, const EnvLookup& env = ProcessEnv());

// The in-cluster config: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT and
// `sa_dir`/{ca.crt,token,namespace}. The token is re-read as it rotates.
inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
Result<ClientConfig> LoadInClusterConfig(const EnvLookup& env = ProcessEnv(),
                                         const std::string& sa_dir = kServiceAccountDir);

// In-cluster when KUBERNETES_SERVICE_HOST is set and no kubeconfig is named
// (options.path or $KUBECONFIG); the kubeconfig otherwise.
Result<ClientConfig> LoadDefaultConfig(const KubeconfigOptions& options = {}, const EnvLookup& env = ProcessEnv());

// Splits "https://host:port/prefix" into the config's host, port and
// base_path. Only https is accepted.
Status ParseServerUrl(const std::string& url, ClientConfig& config);

}  // namespace oncoatlas::kube
