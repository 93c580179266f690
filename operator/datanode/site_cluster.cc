#include "datanode/site_cluster.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "core/base64.h"
#include "datanode/render.h"
#include "kube/client_config.h"
#include "kube/object_meta.h"

namespace oncoatlas::datanode {

SiteProblem ClassifySiteError(const kube::ApiError& error, const std::string& server) {
  if (error.http_code() == 0) {
    return {"SiteClusterUnreachable", "the site cluster at " + server + " cannot be reached: " + error.message() +
                                          "; check the server address in the kubeconfig Secret and that the site's "
                                          "API server is up and reachable from the hub"};
  }
  if (error.http_code() == 401) {
    return {"SiteClusterUnauthorized", "the site cluster at " + server +
                                           " rejected the kubeconfig's credentials (401); put valid, unexpired "
                                           "credentials into the kubeconfig Secret"};
  }
  if (error.http_code() == 403) {
    return {"SiteAccessDenied", "the site cluster at " + server + " denied a request: " + error.message() +
                                    "; grant the kubeconfig's user the rights to manage the agent namespace"};
  }
  return {"ApplyFailed", "a request to the site cluster at " + server + " failed: " + error.message()};
}

SiteClusters::SiteClusters(std::shared_ptr<kube::RestClient> hub, std::string operator_namespace,
                           const op::ObjectLookup& secrets)
    : hub_(std::move(hub)), operator_namespace_(std::move(operator_namespace)), secrets_(secrets) {}

Result<std::unique_ptr<kube::RestClient>> SiteClusters::ClientFromKubeconfig(const std::string& text) {
  // LoadKubeconfig reads files: a private directory holds the text for the moment it takes.
  char dir_template[] = "/tmp/oncoatlas-site-kubeconfig-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return InternalError("cannot create a temporary directory: " + ErrnoString(errno));
  const std::string path = std::string(dir) + "/kubeconfig";
  Result<kube::ClientConfig> config = InternalError("not loaded");
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    config = InternalError("cannot write a temporary kubeconfig: " + ErrnoString(errno));
  } else {
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = write(fd, text.data() + written, text.size() - written);
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    close(fd);
    kube::KubeconfigOptions options;
    options.path = path;
    config = kube::LoadKubeconfig(options, [](const std::string&) { return std::optional<std::string>(); });
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!config.ok()) {
    // The message goes into the DataNode's status: without the temporary
    // path, so the same bad kubeconfig gives the same message (a changing one
    // would be written, watched and reconciled again in a loop).
    std::string message = config.status().message();
    for (std::size_t at; (at = message.find(path)) != std::string::npos;) message.replace(at, path.size(), "(Secret)");
    return Status(config.status().code(), message);
  }
  config->connect_timeout = std::chrono::milliseconds(5000);
  config->request_timeout = std::chrono::milliseconds(20000);
  return kube::RestClient::Create(*config);
}

SiteAccess SiteClusters::For(const api::DataNode& node) {
  const std::string name = node.metadata.value("name", "");
  if (!node.spec.cluster.remote) return {hub_, {}};
  const auto& ref = node.spec.cluster.remote->kubeconfig_secret_ref;
  const std::string key = ref.key.value_or("kubeconfig");
  const std::string where = "Secret " + operator_namespace_ + "/" + ref.name;
  const std::string fix_create = "; create it with: kubectl create secret generic " + ref.name + " -n " +
                                 operator_namespace_ + " --from-file=" + key + "=<site kubeconfig>";

  const op::ObjectPtr cached = secrets_.Get(operator_namespace_, ref.name);
  if (!cached) return {nullptr, {"KubeconfigSecretNotFound", where + " does not exist" + fix_create}};
  const kube::Json& secret = *cached;
  const std::string version = ref.name + "@" + kube::ResourceVersionOf(secret) + "#" + key;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = cache_.find(name); it != cache_.end() && it->second.secret_version == version) {
      return {it->second.client, {}};
    }
  }
  const kube::Json* data = nullptr;
  if (secret.contains("data") && secret["data"].is_object() && secret["data"].contains(key) &&
      secret["data"][key].is_string()) {
    data = &secret["data"][key];
  }
  if (data == nullptr) {
    return {nullptr,
            {"KubeconfigInvalid", where + " has no key \"" + key +
                                      "\"; put the site kubeconfig under that key or set "
                                      "spec.cluster.remote.kubeconfigSecretRef.key to the key that holds it"}};
  }
  auto text = DecodeBase64(data->get<std::string>());
  if (!text.ok()) return {nullptr, {"KubeconfigInvalid", where + " key \"" + key + "\" is not base64"}};
  auto client = ClientFromKubeconfig(*text);
  if (!client.ok()) {
    return {nullptr,
            {"KubeconfigInvalid",
             where + " key \"" + key + "\" is not a usable kubeconfig: " + client.status().message() +
                 "; it must be a complete kubeconfig with the certificates and credentials embedded (*-data fields "
                 "or token), for example from: kubectl config view --minify --flatten"}};
  }
  std::shared_ptr<kube::RestClient> shared(std::move(client).value());
  std::lock_guard<std::mutex> lock(mutex_);
  cache_[name] = {version, shared};
  return {shared, {}};
}

void SiteClusters::Forget(const std::string& node) {
  std::lock_guard<std::mutex> lock(mutex_);
  cache_.erase(node);
}

}  // namespace oncoatlas::datanode
