#include "node/agent_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "kube/logging.h"

namespace oncoatlas::agent {
namespace {

// Reads one mapping of agent.yaml; errors name the full key ("hub.heartbeat.leaseName").
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string prefix, std::string source, std::vector<std::string>* unknown)
      : node_(node), prefix_(std::move(prefix)), source_(std::move(source)), unknown_(unknown) {}

  std::string Key(std::string_view name) const {
    if (name.empty()) return prefix_;
    return prefix_.empty() ? std::string(name) : prefix_ + "." + std::string(name);
  }

  // Const access: a missing key must not be added to the mapping.
  YAML::Node Child(std::string_view name) const {
    const YAML::Node& n = node_;
    return n[std::string(name)];
  }

  Status Error(std::string_view name, const std::string& problem) const {
    return InvalidArgumentError(source_ + ": " + Key(name) + " " + problem);
  }

  bool Has(std::string_view name) {
    seen_.insert(std::string(name));
    const YAML::Node child = Child(name);
    return child.IsDefined() && !child.IsNull();
  }

  // A required or optional string. `out` keeps its default when absent.
  Status String(std::string_view name, std::string& out, bool required, std::string_view fix) {
    if (!Has(name)) {
      if (required) return Error(name, "is missing; " + std::string(fix));
      return Status::Ok();
    }
    const YAML::Node child = Child(name);
    if (!child.IsScalar()) return Error(name, "must be a string; " + std::string(fix));
    out = child.Scalar();
    if (required && out.empty()) return Error(name, "is empty; " + std::string(fix));
    return Status::Ok();
  }

  Status Int(std::string_view name, int& out, int min, int max) {
    if (!Has(name)) return Status::Ok();
    const YAML::Node child = Child(name);
    const std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!child.IsScalar()) return Error(name, "must be " + range);
    const std::string& text = child.Scalar();
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || value < min || value > max) {
      return Error(name, "is \"" + text + "\"; set it to " + range);
    }
    out = static_cast<int>(value);
    return Status::Ok();
  }

  // A nested mapping; an error when present but not a mapping.
  Result<std::optional<MapReader>> Map(std::string_view name, bool required, std::string_view fix) {
    if (!Has(name)) {
      if (required) return Error(name, "is missing; " + std::string(fix));
      return std::optional<MapReader>();
    }
    const YAML::Node child = Child(name);
    if (!child.IsMap()) return Error(name, "must be a mapping; " + std::string(fix));
    return std::optional<MapReader>(MapReader(child, Key(name), source_, unknown_));
  }

  // Records keys present in the mapping that were never asked for.
  void CollectUnknown() const {
    for (const auto& kv : node_) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (!seen_.count(k)) unknown_->push_back(Key(k));
    }
  }

 private:
  YAML::Node node_;
  std::string prefix_;
  std::string source_;
  std::vector<std::string>* unknown_;
  std::set<std::string> seen_;
};

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

bool IsAeTitle(std::string_view s) {
  if (s.empty() || s.size() > 16 || s.find_first_not_of(' ') == std::string_view::npos) return false;
  for (char c : s) {
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

Status ParsePacs(MapReader& root, PacsConfig& pacs) {
  auto m = root.Map("pacs", true, "copy spec.pacs of the DataNode (exactly one of dicomweb, dimse, folder)");
  if (!m.ok()) return m.status();
  MapReader& p = **m;
  ONCOATLAS_RETURN_IF_ERROR(p.Int("checkIntervalSeconds", pacs.check_interval_seconds, 1, 86400));
  int count = 0;
  auto dicomweb = p.Map("dicomweb", false, "give {url: https://..., credentialsDir: /etc/oncoatlas/pacs}");
  if (!dicomweb.ok()) return dicomweb.status();
  auto dimse = p.Map("dimse", false, "give {host: ..., port: 104, calledAETitle: ..., callingAETitle: ...}");
  if (!dimse.ok()) return dimse.status();
  auto folder = p.Map("folder", false, "give {path: /data/import}");
  if (!folder.ok()) return folder.status();
  count = (dicomweb->has_value() ? 1 : 0) + (dimse->has_value() ? 1 : 0) + (folder->has_value() ? 1 : 0);
  if (count != 1) {
    return p.Error("", "must hold exactly one of dicomweb, dimse or folder (found " + std::to_string(count) +
                           "); keep the one the DataNode's spec.pacs names");
  }
  if (dicomweb->has_value()) {
    DicomwebPacsConfig d;
    MapReader& r = **dicomweb;
    ONCOATLAS_RETURN_IF_ERROR(
        r.String("url", d.url, true, "set the PACS's DICOMweb root, e.g. http://pacs:8042/dicom-web"));
    if (d.url.rfind("http://", 0) != 0 && d.url.rfind("https://", 0) != 0) {
      return r.Error("url", "is \"" + d.url + "\"; it must start with http:// or https://");
    }
    ONCOATLAS_RETURN_IF_ERROR(r.String("credentialsDir", d.credentials_dir, false, "give a folder path"));
    r.CollectUnknown();
    pacs.source = d;
  } else if (dimse->has_value()) {
    DimsePacsConfig d;
    MapReader& r = **dimse;
    ONCOATLAS_RETURN_IF_ERROR(r.String("host", d.host, true, "set the PACS's host name or IP address"));
    ONCOATLAS_RETURN_IF_ERROR(r.Int("port", d.port, 1, 65535));
    ONCOATLAS_RETURN_IF_ERROR(r.String("calledAETitle", d.called_ae_title, true, "set the PACS's AE title"));
    ONCOATLAS_RETURN_IF_ERROR(r.String("callingAETitle", d.calling_ae_title, false, "set the agent's AE title"));
    if (!IsAeTitle(d.called_ae_title)) {
      return r.Error("calledAETitle",
                     "\"" + d.called_ae_title + "\" is not an AE title; use 1-16 printable characters, no backslash");
    }
    if (!IsAeTitle(d.calling_ae_title)) {
      return r.Error("callingAETitle",
                     "\"" + d.calling_ae_title + "\" is not an AE title; use 1-16 printable characters, no backslash");
    }
    r.CollectUnknown();
    pacs.source = d;
  } else {
    FolderPacsConfig f;
    MapReader& r = **folder;
    ONCOATLAS_RETURN_IF_ERROR(r.String("path", f.path, true, "set the folder the agent imports from"));
    r.CollectUnknown();
    pacs.source = f;
  }
  p.CollectUnknown();
  return Status::Ok();
}

Status ParseRoot(const YAML::Node& doc, std::string_view source, AgentConfig& c) {
  const std::string src(source);
  if (!doc.IsMap()) return InvalidArgumentError(src + ": must be a YAML mapping (node:, hub:, pacs:, store:, ...)");
  MapReader root(doc, "", src, &c.unknown_keys);
  ONCOATLAS_RETURN_IF_ERROR(root.String("node", c.node, true, "set it to the DataNode's name"));
  if (!IsDnsLabel(c.node)) {
    return root.Error("node", "\"" + c.node + "\" is not a DataNode name; use lower-case letters, digits and '-'");
  }

  auto hub = root.Map("hub", true, "give hub.kubeconfig and hub.namespace");
  if (!hub.ok()) return hub.status();
  MapReader& h = **hub;
  ONCOATLAS_RETURN_IF_ERROR(
      h.String("kubeconfig", c.hub.kubeconfig, true, "set the path of the hub kubeconfig (or pass --hub-kubeconfig)"));
  ONCOATLAS_RETURN_IF_ERROR(h.String("namespace", c.hub.namespace_name, true,
                                     "set it to the node's hub namespace, " + api::NodeNamespace(c.node)));
  if (!IsDnsLabel(c.hub.namespace_name)) {
    return h.Error("namespace",
                   "\"" + c.hub.namespace_name + "\" is not a namespace name; use lower-case letters, digits and '-'");
  }
  auto hb = h.Map("heartbeat", false, "give leaseName, leaseDurationSeconds, renewIntervalSeconds");
  if (!hb.ok()) return hb.status();
  if (hb->has_value()) {
    MapReader& r = **hb;
    ONCOATLAS_RETURN_IF_ERROR(r.String("leaseName", c.hub.heartbeat.lease_name, true, "name the heartbeat Lease"));
    if (!IsDnsLabel(c.hub.heartbeat.lease_name)) {
      return r.Error("leaseName", "\"" + c.hub.heartbeat.lease_name +
                                      "\" is not a valid name; use lower-case letters, digits and '-'");
    }
    ONCOATLAS_RETURN_IF_ERROR(r.Int("leaseDurationSeconds", c.hub.heartbeat.lease_duration_seconds, 2, 3600));
    ONCOATLAS_RETURN_IF_ERROR(r.Int("renewIntervalSeconds", c.hub.heartbeat.renew_interval_seconds, 1, 3600));
    if (c.hub.heartbeat.renew_interval_seconds >= c.hub.heartbeat.lease_duration_seconds) {
      return r.Error("renewIntervalSeconds", "(" + std::to_string(c.hub.heartbeat.renew_interval_seconds) +
                                                 ") must be shorter than leaseDurationSeconds (" +
                                                 std::to_string(c.hub.heartbeat.lease_duration_seconds) +
                                                 "), or the Lease goes stale between renewals; e.g. a quarter of it");
    }
    r.CollectUnknown();
  }
  h.CollectUnknown();

  ONCOATLAS_RETURN_IF_ERROR(ParsePacs(root, c.pacs));

  auto store = root.Map("store", true, "give store: {path: /var/lib/oncoatlas} (or pass --store)");
  if (!store.ok()) return store.status();
  ONCOATLAS_RETURN_IF_ERROR((*store)->String("path", c.store_path, true, "set the folder of the agent's store"));
  (*store)->CollectUnknown();

  auto server = root.Map("server", false, "give healthBindAddress and dicomwebBindAddress");
  if (!server.ok()) return server.status();
  if (server->has_value()) {
    MapReader& r = **server;
    ONCOATLAS_RETURN_IF_ERROR(r.String("healthBindAddress", c.server.health_bind_address, true, "e.g. 0.0.0.0:8081"));
    ONCOATLAS_RETURN_IF_ERROR(
        r.String("dicomwebBindAddress", c.server.dicomweb_bind_address, true, "e.g. 0.0.0.0:8080"));
    auto a = ParseBindAddress(c.server.health_bind_address, src + ": server.healthBindAddress");
    if (!a.ok()) return a.status();
    auto b = ParseBindAddress(c.server.dicomweb_bind_address, src + ": server.dicomwebBindAddress");
    if (!b.ok()) return b.status();
    r.CollectUnknown();
  }

  ONCOATLAS_RETURN_IF_ERROR(root.String("logLevel", c.log_level, false, "one of trace, debug, info, warn, error"));
  if (auto l = kube::ParseLogLevel(c.log_level); !l.ok()) {
    return root.Error("logLevel",
                      "is \"" + c.log_level + "\"; use one of trace, debug, info, warn, error, critical, off");
  }
  ONCOATLAS_RETURN_IF_ERROR(root.String("logFormat", c.log_format, false, "json or text"));
  if (auto f = kube::ParseLogFormat(c.log_format); !f.ok()) {
    return root.Error("logFormat", "is \"" + c.log_format + "\"; use json or text");
  }
  root.CollectUnknown();
  return Status::Ok();
}

}  // namespace

Result<AgentConfig> ParseAgentConfig(std::string_view yaml, std::string_view source) {
  AgentConfig c;
  try {
    const YAML::Node doc = YAML::Load(std::string(yaml));
    ONCOATLAS_RETURN_IF_ERROR(ParseRoot(doc, source, c));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string(source) + ": not valid YAML (line " + std::to_string(e.mark.line + 1) +
                                ", column " + std::to_string(e.mark.column + 1) + "): " + e.msg +
                                "; fix the file or render it again from the DataNode");
  }
  return c;
}

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgumentError("cannot read the agent configuration " + path + " (" + ErrnoString(errno) +
                                "); pass --config with the path of the mounted agent.yaml");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseAgentConfig(ss.str(), path);
}

Status ApplyOverrides(AgentConfig& c, const ConfigOverrides& o) {
  if (o.hub_kubeconfig) {
    if (o.hub_kubeconfig->empty())
      return InvalidArgumentError("--hub-kubeconfig is empty; give the hub kubeconfig's path");
    c.hub.kubeconfig = *o.hub_kubeconfig;
  }
  if (o.store) {
    if (o.store->empty()) return InvalidArgumentError("--store is empty; give the folder of the agent's store");
    c.store_path = *o.store;
  }
  if (o.health_bind_address) {
    auto a = ParseBindAddress(*o.health_bind_address, "--health-bind-address");
    if (!a.ok()) return a.status();
    c.server.health_bind_address = *o.health_bind_address;
  }
  if (o.pacs_credentials_dir) {
    auto* d = std::get_if<DicomwebPacsConfig>(&c.pacs.source);
    if (d == nullptr) {
      return InvalidArgumentError("--pacs-credentials-dir applies to a DICOMweb PACS only, and agent.yaml names " +
                                  DescribePacs(c.pacs) + "; drop the flag");
    }
    d->credentials_dir = *o.pacs_credentials_dir;
  }
  return Status::Ok();
}

Result<BindAddress> ParseBindAddress(std::string_view text, std::string_view key) {
  const auto bad = [&](const std::string& why) {
    return InvalidArgumentError(std::string(key) + " \"" + std::string(text) + "\" " + why +
                                "; use ADDRESS:PORT, e.g. 0.0.0.0:8081, 127.0.0.1:0 or [::1]:8081");
  };
  BindAddress a;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("has an unclosed '[' or no port");
    }
    a.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("has no port");
    a.host = std::string(text.substr(0, colon));
    if (a.host.find(':') != std::string::npos) return bad("is an IPv6 address without brackets");
    port = text.substr(colon + 1);
  }
  if (a.host.empty()) return bad("has no address");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad("has no valid port");
  }
  a.port = std::stoi(std::string(port));
  if (a.port > 65535) return bad("has a port above 65535");
  return a;
}

std::string DescribePacs(const PacsConfig& pacs) {
  if (const auto* d = std::get_if<DicomwebPacsConfig>(&pacs.source)) return "DICOMweb " + d->url;
  if (const auto* d = std::get_if<DimsePacsConfig>(&pacs.source)) {
    return "DIMSE " + d->called_ae_title + "@" + d->host + ":" + std::to_string(d->port);
  }
  return "folder " + std::get<FolderPacsConfig>(pacs.source).path;
}

}  // namespace oncoatlas::agent
