#include "kube/resource.h"

namespace oncoatlas::kube {

std::string GroupVersionPath(const std::string& group, const std::string& version) {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::string ResourcePath(const GroupVersionResource& gvr, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path = GroupVersionPath(gvr.group, gvr.version);
  if (gvr.namespaced && !ns.empty()) path += "/namespaces/" + PercentEncode(ns);
  path += "/" + gvr.resource;
  if (!name.empty()) {
    path += "/" + PercentEncode(name);
    if (!subresource.empty()) path += "/" + subresource;
  }
  return path;
}

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string Query::Encode() const {
  std::string out;
  for (const auto& [k, v] : params_) {
    out += out.empty() ? "?" : "&";
    out += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return out;
}

}  // namespace oncoatlas::kube
