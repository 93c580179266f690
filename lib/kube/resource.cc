#include "kube/resource.h"

#include "http/url.h"

namespace oncoatlas::kube {

std::string GroupVersionPath(const std::string& group, const std::string& version) {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::string ResourcePath(const GroupVersionResource& gvr, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path = GroupVersionPath(gvr.group, gvr.version);
  if (gvr.namespaced && !ns.empty()) path += "/namespaces/" + http::UrlEncode(ns);
  path += "/" + gvr.resource;
  if (!name.empty()) {
    path += "/" + http::UrlEncode(name);
    if (!subresource.empty()) path += "/" + subresource;
  }
  return path;
}

std::string Query::Encode() const {
  std::string out;
  for (const auto& [k, v] : params_) {
    out += out.empty() ? "?" : "&";
    out += http::UrlEncode(k) + "=" + http::UrlEncode(v);
  }
  return out;
}

}  // namespace oncoatlas::kube
