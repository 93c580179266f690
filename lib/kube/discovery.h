// Discovery: which groups, versions and resources the API server serves
// (/api, /apis, and each group version's resource list), and the mapping
// kind <-> resource with its scope. Results are cached; a miss refreshes the
// group version once. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/thread_annotations.h"
#include "kube/api_error.h"
#include "kube/resource.h"
#include "kube/rest_client.h"

namespace oncoatlas::kube {

class Discovery {
 public:
  // `client` must outlive the Discovery.
  explicit Discovery(RestClient& client) : client_(client) {}

  // Every served group version ("v1", "apps/v1", ...), preferred versions first.
  ApiResult<std::vector<std::string>> GroupVersions();
  // The resources of one group version (subresources such as "status" left out).
  ApiResult<std::vector<GroupVersionResource>> Resources(const std::string& group_version);
  // The resource serving `kind` in `api_version` ("oncoatlas.io/v1alpha1",
  // "DataNode"). NotFound names what is missing.
  ApiResult<GroupVersionResource> ResourceForKind(const std::string& api_version, const std::string& kind);
  // The kind behind a resource name ("configmaps") in `group_version`.
  ApiResult<GroupVersionResource> ResourceByName(const std::string& group_version, const std::string& resource);
  // Forgets everything (e.g. after a CRD was installed).
  void Invalidate();

  // Parses an APIResourceList JSON object (exposed for tests).
  static std::vector<GroupVersionResource> ParseResourceList(const std::string& group_version, const Json& list);

 private:
  ApiResult<std::vector<GroupVersionResource>> Fetch(const std::string& group_version, bool refresh);

  RestClient& client_;
  Mutex mutex_;
  std::map<std::string, std::vector<GroupVersionResource>> cache_ GUARDED_BY(mutex_);
};

}  // namespace oncoatlas::kube
