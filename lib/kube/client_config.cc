#include "kube/client_config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/base64.h"
#include "http/url.h"

namespace oncoatlas::kube {
namespace {

Result<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(what + ": cannot read file " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Resolve(const std::string& file, const std::string& base_dir) {
  if (file.empty() || file[0] == '/') return file;
  return (std::filesystem::path(base_dir) / file).string();
}

// A named entry (cluster, user, context) and the file it came from.
struct Entry {
  YAML::Node node;
  std::string file;
};

struct MergedKubeconfig {
  std::string current_context;
  std::map<std::string, Entry> clusters, users, contexts;
};

Status MergeFile(const std::string& path, MergedKubeconfig& merged) {
  auto text = ReadFile(path, "kubeconfig");
  if (!text.ok()) return text.status();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("kubeconfig " + path + ": not valid YAML: " + e.what());
  }
  if (!root || root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return InvalidArgumentError("kubeconfig " + path + ": top level must be a mapping");
  try {
    if (merged.current_context.empty() && root["current-context"] && root["current-context"].IsScalar()) {
      merged.current_context = root["current-context"].as<std::string>();
    }
    const std::pair<const char*, std::map<std::string, Entry>*> lists[] = {
        {"clusters", &merged.clusters}, {"users", &merged.users}, {"contexts", &merged.contexts}};
    for (const auto& [key, out] : lists) {
      const YAML::Node list = root[key];
      if (!list || list.IsNull()) continue;
      if (!list.IsSequence()) return InvalidArgumentError("kubeconfig " + path + ": '" + key + "' must be a list");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const YAML::Node item = list[i];
        if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) {
          return InvalidArgumentError("kubeconfig " + path + ": " + key + "[" + std::to_string(i) + "] has no 'name'");
        }
        out->emplace(item["name"].as<std::string>(), Entry{item, path});  // first file wins
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("kubeconfig " + path + ": " + e.what());
  }
  return Status::Ok();
}

std::string Scalar(const YAML::Node& map, const char* key) {
  if (!map || !map.IsMap()) return "";
  const YAML::Node v = map[key];
  if (!v || !v.IsScalar()) return "";
  return v.as<std::string>();
}

// Reads PEM material given either inline (`data_key`, base64) or as a file.
Result<std::string> Material(const YAML::Node& map, const char* data_key, const char* file_key,
                             const std::string& where, const std::string& base_dir) {
  const std::string data = Scalar(map, data_key);
  if (!data.empty()) {
    auto decoded = DecodeBase64(data);
    if (!decoded.ok()) return InvalidArgumentError(where + "." + data_key + ": " + decoded.status().message());
    return decoded;
  }
  const std::string file = Scalar(map, file_key);
  if (!file.empty()) return ReadFile(Resolve(file, base_dir), where + "." + file_key);
  return std::string();
}

}  // namespace

std::string ClientConfig::ServerUrl() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "https://" + (v6 ? "[" + host + "]" : host) + ":" + port + base_path;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Status ParseServerUrl(const std::string& url, ClientConfig& config) {
  auto parsed = http::Url::Parse(url);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->tls) {
    return InvalidArgumentError("server '" + url + "' must be an https:// URL (TLS is always verified)");
  }
  config.host = parsed->host;
  config.port = parsed->port;
  config.base_path = parsed->path;
  return Status::Ok();
}

Result<ClientConfig> LoadKubeconfig(const KubeconfigOptions& options, const EnvLookup& env) {
  std::vector<std::string> files;
  if (!options.path.empty()) {
    files.push_back(options.path);
  } else if (auto kc = env("KUBECONFIG"); kc && !kc->empty()) {
    std::stringstream ss(*kc);
    std::string f;
    while (std::getline(ss, f, ':')) {
      if (!f.empty()) files.push_back(f);
    }
  } else if (auto home = env("HOME"); home && !home->empty()) {
    files.push_back(*home + "/.kube/config");
  }
  if (files.empty()) return InvalidArgumentError("no kubeconfig: set KUBECONFIG or pass a kubeconfig path");

  MergedKubeconfig merged;
  for (const auto& f : files) {
    if (files.size() > 1 && !std::filesystem::exists(f)) continue;  // kubectl skips missing list entries
    ONCOATLAS_RETURN_IF_ERROR(MergeFile(f, merged));
  }
  // Built by append: gcc 12 at -O3 reports a false -Wrestrict for "(" + std::string&&.
  std::string where_files;
  if (files.size() == 1) {
    where_files = files[0];
  } else {
    where_files.append("(").append(std::to_string(files.size())).append(" files in KUBECONFIG)");
  }
  const std::string context_name = options.context.empty() ? merged.current_context : options.context;
  if (context_name.empty()) {
    return InvalidArgumentError("kubeconfig " + where_files + ": no current-context set and no context given");
  }
  auto ctx_it = merged.contexts.find(context_name);
  if (ctx_it == merged.contexts.end()) {
    return InvalidArgumentError("kubeconfig " + where_files + ": context '" + context_name +
                                "' not found in 'contexts'");
  }
  const YAML::Node ctx = ctx_it->second.node["context"];
  const std::string ctx_where = "kubeconfig " + ctx_it->second.file + ": contexts[name=" + context_name + "].context";
  const std::string cluster_name = Scalar(ctx, "cluster");
  const std::string user_name = Scalar(ctx, "user");
  if (cluster_name.empty()) return InvalidArgumentError(ctx_where + ".cluster is missing");

  ClientConfig config;
  config.source = "kubeconfig " + where_files + " context " + context_name;
  if (std::string ns = Scalar(ctx, "namespace"); !ns.empty()) config.namespace_name = ns;

  auto cl_it = merged.clusters.find(cluster_name);
  if (cl_it == merged.clusters.end()) {
    return InvalidArgumentError(ctx_where + ".cluster: cluster '" + cluster_name + "' not found in 'clusters'");
  }
  const YAML::Node cluster = cl_it->second.node["cluster"];
  const std::string cl_file = cl_it->second.file;
  const std::string cl_where = "kubeconfig " + cl_file + ": clusters[name=" + cluster_name + "].cluster";
  const std::string base_dir = std::filesystem::path(cl_file).parent_path().string();
  const std::string server = Scalar(cluster, "server");
  if (server.empty()) return InvalidArgumentError(cl_where + ".server is missing");
  if (Status s = ParseServerUrl(server, config); !s.ok()) return s.WithContext(cl_where + ".server");
  if (Scalar(cluster, "insecure-skip-tls-verify") == "true") {
    return InvalidArgumentError(cl_where +
                                ".insecure-skip-tls-verify: not supported; TLS verification is always on "
                                "(set certificate-authority or certificate-authority-data)");
  }
  config.tls_server_name = Scalar(cluster, "tls-server-name");
  auto ca = Material(cluster, "certificate-authority-data", "certificate-authority", cl_where, base_dir);
  if (!ca.ok()) return ca.status();
  if (ca->empty()) {
    return InvalidArgumentError(cl_where +
                                ": neither certificate-authority nor certificate-authority-data is set; "
                                "the server's CA is needed to verify it");
  }
  config.ca_pem = std::move(*ca);

  if (!user_name.empty()) {
    auto us_it = merged.users.find(user_name);
    if (us_it == merged.users.end()) {
      return InvalidArgumentError(ctx_where + ".user: user '" + user_name + "' not found in 'users'");
    }
    const YAML::Node user = us_it->second.node["user"];
    const std::string us_where = "kubeconfig " + us_it->second.file + ": users[name=" + user_name + "].user";
    const std::string us_dir = std::filesystem::path(us_it->second.file).parent_path().string();
    if (user && user.IsMap() && (user["exec"] || user["auth-provider"])) {
      return InvalidArgumentError(us_where +
                                  ": exec and auth-provider credentials are not supported; "
                                  "use a client certificate, token or tokenFile");
    }
    if (!Scalar(user, "username").empty() || !Scalar(user, "password").empty()) {
      return InvalidArgumentError(us_where + ": basic auth (username/password) is not supported");
    }
    auto cert = Material(user, "client-certificate-data", "client-certificate", us_where, us_dir);
    if (!cert.ok()) return cert.status();
    auto key = Material(user, "client-key-data", "client-key", us_where, us_dir);
    if (!key.ok()) return key.status();
    if (cert->empty() != key->empty()) {
      return InvalidArgumentError(us_where + ": client-certificate and client-key must be set together");
    }
    config.client_cert_pem = std::move(*cert);
    config.client_key_pem = std::move(*key);
    if (std::string token = Scalar(user, "token"); !token.empty()) {
      config.token_source = std::make_shared<StaticTokenSource>(token);
    } else if (std::string token_file = Scalar(user, "tokenFile"); !token_file.empty()) {
      auto source = std::make_shared<FileTokenSource>(Resolve(token_file, us_dir));
      if (auto t = source->Token(); !t.ok()) return t.status().WithContext(us_where + ".tokenFile");
      config.token_source = std::move(source);
    }
  }
  return config;
}

Result<ClientConfig> LoadInClusterConfig(const EnvLookup& env, const std::string& sa_dir) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  const auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return FailedPreconditionError(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set");
  }
  ClientConfig config;
  const bool v6 = host->find(':') != std::string::npos;
  if (Status s = ParseServerUrl("https://" + (v6 ? "[" + *host + "]" : *host) + ":" + *port, config); !s.ok()) {
    return s.WithContext("in-cluster config (KUBERNETES_SERVICE_HOST/PORT)");
  }
  auto ca = ReadFile(sa_dir + "/ca.crt", "in-cluster config: service-account CA");
  if (!ca.ok()) return ca.status();
  if (ca->empty()) return InvalidArgumentError("in-cluster config: " + sa_dir + "/ca.crt is empty");
  config.ca_pem = std::move(*ca);
  auto source = std::make_shared<FileTokenSource>(sa_dir + "/token");
  if (auto t = source->Token(); !t.ok()) return t.status().WithContext("in-cluster config");
  config.token_source = std::move(source);
  if (std::ifstream ns_in(sa_dir + "/namespace"); ns_in) {
    std::string ns;
    std::getline(ns_in, ns);
    if (!ns.empty()) config.namespace_name = ns;
  }
  config.source = "in-cluster service account (" + sa_dir + ")";
  return config;
}

Result<ClientConfig> LoadDefaultConfig(const KubeconfigOptions& options, const EnvLookup& env) {
  const auto kc = env("KUBECONFIG");
  const auto host = env("KUBERNETES_SERVICE_HOST");
  if (options.path.empty() && (!kc || kc->empty()) && host && !host->empty()) return LoadInClusterConfig(env);
  return LoadKubeconfig(options, env);
}

}  // namespace oncoatlas::kube
