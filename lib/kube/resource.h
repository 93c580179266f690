// Naming API resources and building request URLs: GroupVersionResource, the
// REST path of an object or collection, and query strings with proper
// percent-encoding. Pure functions and values; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace oncoatlas::kube {

struct GroupVersionResource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "configmaps"
  bool namespaced = true;
  std::string kind;  // "ConfigMap"; informational (discovery fills it)

  // "v1" or "apps/v1"
  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  // "configmaps" or "widgets.test.oncoatlas.io"
  std::string Name() const { return group.empty() ? resource : resource + "." + group; }
};

// "/api/v1" or "/apis/<group>/<version>"
std::string GroupVersionPath(const std::string& group, const std::string& version);

// The REST path of a collection (name empty) or an object, optionally of a
// subresource: /api/v1/namespaces/ns/configmaps/name/status. `ns` is ignored
// for cluster-scoped resources; empty `ns` for a namespaced resource means
// all namespaces (valid for list and watch only).
std::string ResourcePath(const GroupVersionResource& gvr, const std::string& ns, const std::string& name = "",
                         const std::string& subresource = "");

// An ordered list of query parameters; Encode() gives "" or "?a=1&b=x%20y".
class Query {
 public:
  Query& Add(const std::string& key, const std::string& value) {
    params_.emplace_back(key, value);
    return *this;
  }
  // Adds only when value is not empty.
  Query& AddIfSet(const std::string& key, const std::string& value) {
    if (!value.empty()) Add(key, value);
    return *this;
  }
  std::string Encode() const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace oncoatlas::kube
