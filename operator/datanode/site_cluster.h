// SiteClusters: the API client of the cluster a DataNode's agent runs in —
// the hub's own client in local mode, or one built from the kubeconfig in the
// Secret spec.cluster.remote.kubeconfigSecretRef names (in the operator's
// namespace, read from the Manager's cache of them). A problem comes back as a CamelCase reason and a message that
// says what is wrong and how to fix it (KubeconfigSecretNotFound,
// KubeconfigInvalid). Remote clients are cached per node and rebuilt when the
// Secret changes. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/datanode.h"
#include "kube/api_error.h"
#include "kube/rest_client.h"
#include "object_lookup.h"

namespace oncoatlas::datanode {

struct SiteProblem {
  std::string reason;
  std::string message;
};

struct SiteAccess {
  std::shared_ptr<kube::RestClient> client;  // null when `problem` is set
  SiteProblem problem;
  bool ok() const { return client != nullptr; }
};

// Classifies a failed request to a site cluster: no HTTP answer →
// SiteClusterUnreachable; 401 → SiteClusterUnauthorized; 403 →
// SiteAccessDenied; anything else → ApplyFailed. `server` names the cluster.
SiteProblem ClassifySiteError(const kube::ApiError& error, const std::string& server);

class SiteClusters {
 public:
  // `secrets` is a cache of the Secrets in `operator_namespace`; it must
  // outlive this.
  SiteClusters(std::shared_ptr<kube::RestClient> hub, std::string operator_namespace, const op::ObjectLookup& secrets);

  SiteAccess For(const api::DataNode& node);
  // Drops the cached client of `node`.
  void Forget(const std::string& node);

  const std::string& operator_namespace() const { return operator_namespace_; }

  // Builds a client from kubeconfig text (exposed for tests). Errors are
  // KubeconfigInvalid problems.
  static Result<std::unique_ptr<kube::RestClient>> ClientFromKubeconfig(const std::string& text);

 private:
  struct Cached {
    std::string secret_version;
    std::shared_ptr<kube::RestClient> client;
  };
  std::shared_ptr<kube::RestClient> hub_;
  const std::string operator_namespace_;
  const op::ObjectLookup& secrets_;
  std::mutex mutex_;
  std::map<std::string, Cached> cache_;  // GUARDED_BY(mutex_)
};

}  // namespace oncoatlas::datanode
