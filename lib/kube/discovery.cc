#include "kube/discovery.h"

namespace oncoatlas::kube {

std::vector<GroupVersionResource> Discovery::ParseResourceList(const std::string& group_version, const Json& list) {
  std::vector<GroupVersionResource> out;
  const std::size_t slash = group_version.find('/');
  const std::string group = slash == std::string::npos ? "" : group_version.substr(0, slash);
  const std::string version = slash == std::string::npos ? group_version : group_version.substr(slash + 1);
  if (!list.is_object() || !list.contains("resources") || !list["resources"].is_array()) return out;
  for (const auto& r : list["resources"]) {
    if (!r.is_object()) continue;
    const std::string name = r.value("name", "");
    if (name.empty() || name.find('/') != std::string::npos) continue;  // subresource
    GroupVersionResource gvr;
    gvr.group = group;
    gvr.version = version;
    gvr.resource = name;
    gvr.namespaced = r.value("namespaced", false);
    gvr.kind = r.value("kind", "");
    out.push_back(std::move(gvr));
  }
  return out;
}

ApiResult<std::vector<std::string>> Discovery::GroupVersions() {
  std::vector<std::string> out;
  auto core = client_.Request("GET", "/api");
  if (!core.ok()) return core.error();
  if (core->contains("versions") && (*core)["versions"].is_array()) {
    for (const auto& v : (*core)["versions"]) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  auto groups = client_.Request("GET", "/apis");
  if (!groups.ok()) return groups.error();
  if (groups->contains("groups") && (*groups)["groups"].is_array()) {
    for (const auto& g : (*groups)["groups"]) {
      if (!g.is_object()) continue;
      std::string preferred;
      if (g.contains("preferredVersion") && g["preferredVersion"].is_object()) {
        preferred = g["preferredVersion"].value("groupVersion", "");
        if (!preferred.empty()) out.push_back(preferred);
      }
      if (g.contains("versions") && g["versions"].is_array()) {
        for (const auto& v : g["versions"]) {
          const std::string gv = v.is_object() ? v.value("groupVersion", "") : "";
          if (!gv.empty() && gv != preferred) out.push_back(gv);
        }
      }
    }
  }
  return out;
}

ApiResult<std::vector<GroupVersionResource>> Discovery::Fetch(const std::string& group_version, bool refresh) {
  {
    MutexLock lock(mutex_);
    auto it = cache_.find(group_version);
    if (!refresh && it != cache_.end()) return it->second;
  }
  const std::size_t slash = group_version.find('/');
  const std::string path = slash == std::string::npos
                               ? GroupVersionPath("", group_version)
                               : GroupVersionPath(group_version.substr(0, slash), group_version.substr(slash + 1));
  auto list = client_.Request("GET", path);
  if (!list.ok()) return list.error();
  auto resources = ParseResourceList(group_version, *list);
  MutexLock lock(mutex_);
  cache_[group_version] = resources;
  return resources;
}

ApiResult<std::vector<GroupVersionResource>> Discovery::Resources(const std::string& group_version) {
  return Fetch(group_version, false);
}

ApiResult<GroupVersionResource> Discovery::ResourceForKind(const std::string& api_version, const std::string& kind) {
  for (bool refresh : {false, true}) {
    auto resources = Fetch(api_version, refresh);
    if (!resources.ok()) {
      if (resources.error().code() == StatusCode::kNotFound) {
        return NotFoundError("the API server does not serve " + api_version + " (is its CRD installed?)");
      }
      return resources.error();
    }
    for (const auto& r : *resources) {
      if (r.kind == kind) return r;
    }
  }
  return NotFoundError("the API server serves no kind " + kind + " in " + api_version);
}

ApiResult<GroupVersionResource> Discovery::ResourceByName(const std::string& group_version,
                                                          const std::string& resource) {
  for (bool refresh : {false, true}) {
    auto resources = Fetch(group_version, refresh);
    if (!resources.ok()) return resources.error();
    for (const auto& r : *resources) {
      if (r.resource == resource) return r;
    }
  }
  return NotFoundError("the API server serves no resource " + resource + " in " + group_version);
}

void Discovery::Invalidate() {
  MutexLock lock(mutex_);
  cache_.clear();
}

}  // namespace oncoatlas::kube
