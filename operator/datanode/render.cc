#include "datanode/render.h"

#include <arpa/inet.h>

#include <yaml-cpp/yaml.h>

#include "core/base64.h"
#include "http/url.h"
#include "kube/core_resources.h"

namespace oncoatlas::datanode {
namespace {

constexpr const char* kAgentConfigPath = "/etc/oncoatlas/config/agent.yaml";
constexpr const char* kHubMountPath = "/etc/oncoatlas/hub";
constexpr const char* kPacsCredentialsPath = "/etc/oncoatlas/pacs";
constexpr const char* kStorePath = "/var/lib/oncoatlas";

Json Labels(const std::string& node) {
  return {{"app.kubernetes.io/name", "oncoatlas-agent"},
          {"app.kubernetes.io/instance", node},
          {"app.kubernetes.io/managed-by", kManagedBy},
          {api::kNodeLabel, node}};
}

Json SelectorLabels(const std::string& node) {
  return {{"app.kubernetes.io/name", "oncoatlas-agent"}, {"app.kubernetes.io/instance", node}};
}

Json Metadata(const std::string& name, const std::string& ns, const std::string& node) {
  Json m = {{"name", name}, {"labels", Labels(node)}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

Json OwnerReference(const api::DataNode& node, const std::string& uid) {
  return Json::array({{{"apiVersion", api::kApiVersion},
                       {"kind", "DataNode"},
                       {"name", node.metadata.value("name", "")},
                       {"uid", uid},
                       {"controller", true},
                       {"blockOwnerDeletion", true}}});
}

std::string NameOf(const api::DataNode& node) { return node.metadata.value("name", ""); }

bool IsIpAddress(const std::string& host, bool& v6) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

// One egress rule to host:port over TCP.
Json EgressTo(const std::string& host, int port) {
  Json rule = {{"ports", Json::array({{{"protocol", "TCP"}, {"port", port}}})}};
  bool v6 = false;
  if (IsIpAddress(host, v6)) {
    rule["to"] = Json::array({{{"ipBlock", {{"cidr", host + (v6 ? "/128" : "/32")}}}}});
  }
  return rule;
}

}  // namespace

const kube::GroupVersionResource* ResourceForKind(const std::string& kind) {
  namespace core = kube::core;
  for (const auto* g : {&core::kNamespaces, &core::kServiceAccounts, &core::kRoles, &core::kRoleBindings,
                        &core::kConfigMaps, &core::kSecrets, &core::kPersistentVolumeClaims, &core::kServices,
                        &core::kNetworkPolicies, &core::kDeployments}) {
    if (g->kind == kind) return g;
  }
  return nullptr;
}

std::string AgentObjectName(const std::string& node) { return "oncoatlas-agent-" + node; }
std::string HubSecretName(const std::string& node) { return AgentObjectName(node) + "-hub"; }
std::string StoreClaimName(const std::string& node) { return AgentObjectName(node) + "-store"; }

Placement PlacementOf(const api::DataNode& node, const RenderOptions& options) {
  Placement p;
  if (node.spec.cluster.remote) {
    p.remote = true;
    p.agent_namespace = node.spec.cluster.remote->agent_namespace.value_or(api::kDefaultRemoteAgentNamespace);
    p.hub_server = node.spec.cluster.remote->hub_server;
  } else {
    const auto& local = node.spec.cluster.local;
    p.agent_namespace = local && local->agent_namespace ? *local->agent_namespace : api::kDefaultLocalAgentNamespace;
    p.hub_server = options.local_hub_server;
  }
  return p;
}

std::vector<Json> RenderHubObjects(const api::DataNode& node, const std::string& uid) {
  const std::string name = NameOf(node);
  const std::string ns = api::NodeNamespace(name);
  const Json owner = OwnerReference(node, uid);
  std::vector<Json> out;

  Json namespace_object = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", Metadata(ns, "", name)}};
  namespace_object["metadata"]["ownerReferences"] = owner;
  out.push_back(std::move(namespace_object));

  Json sa = {{"apiVersion", "v1"},
             {"kind", "ServiceAccount"},
             {"metadata", Metadata(api::kAgentServiceAccount, ns, name)},
             // The agent runs outside any pod of this cluster; no token Secret, no mount.
             {"automountServiceAccountToken", false}};
  sa["metadata"]["ownerReferences"] = owner;
  out.push_back(std::move(sa));

  // The agent's rights, in this namespace only.
  Json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
               {"kind", "Role"},
               {"metadata", Metadata(api::kAgentRole, ns, name)},
               {"rules", api::AgentHubRulesJson()}};
  role["metadata"]["ownerReferences"] = owner;
  out.push_back(std::move(role));

  Json binding = {
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "RoleBinding"},
      {"metadata", Metadata(api::kAgentRole, ns, name)},
      {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", api::kAgentRole}}},
      {"subjects",
       Json::array({{{"kind", "ServiceAccount"}, {"name", api::kAgentServiceAccount}, {"namespace", ns}}})}};
  binding["metadata"]["ownerReferences"] = owner;
  out.push_back(std::move(binding));
  return out;
}

std::string RenderAgentConfig(const api::DataNode& node, const Placement& placement, const RenderOptions& options) {
  const std::string name = NameOf(node);
  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "node" << YAML::Value << name;
  y << YAML::Key << "hub" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "kubeconfig" << YAML::Value << std::string(kHubMountPath) + "/kubeconfig";
  y << YAML::Key << "namespace" << YAML::Value << api::NodeNamespace(name);
  y << YAML::Key << "heartbeat" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "leaseName" << YAML::Value << api::kHeartbeatLease;
  y << YAML::Key << "leaseDurationSeconds" << YAML::Value << options.lease_duration_seconds;
  y << YAML::Key << "renewIntervalSeconds" << YAML::Value << options.lease_renew_interval_seconds;
  y << YAML::EndMap << YAML::EndMap;
  if (node.spec.pacs) {
    const auto& pacs = *node.spec.pacs;
    y << YAML::Key << "pacs" << YAML::Value << YAML::BeginMap;
    if (pacs.dicomweb) {
      y << YAML::Key << "dicomweb" << YAML::Value << YAML::BeginMap;
      y << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << pacs.dicomweb->url;
      if (pacs.dicomweb->credentials_secret_ref) {
        y << YAML::Key << "credentialsDir" << YAML::Value << kPacsCredentialsPath;
      }
      y << YAML::EndMap;
    } else if (pacs.dimse) {
      y << YAML::Key << "dimse" << YAML::Value << YAML::BeginMap;
      y << YAML::Key << "host" << YAML::Value << YAML::DoubleQuoted << pacs.dimse->host;
      y << YAML::Key << "port" << YAML::Value << pacs.dimse->port;
      y << YAML::Key << "calledAETitle" << YAML::Value << YAML::DoubleQuoted << pacs.dimse->called_ae_title;
      y << YAML::Key << "callingAETitle" << YAML::Value << YAML::DoubleQuoted
        << pacs.dimse->calling_ae_title.value_or("ONCOATLAS");
      y << YAML::EndMap;
    } else if (pacs.folder) {
      y << YAML::Key << "folder" << YAML::Value << YAML::BeginMap;
      y << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << pacs.folder->path;
      y << YAML::EndMap;
    }
    y << YAML::Key << "checkIntervalSeconds" << YAML::Value << options.pacs_check_interval_seconds;
    y << YAML::EndMap;
  }
  y << YAML::Key << "store" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "path" << YAML::Value << kStorePath << YAML::EndMap;
  y << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "healthBindAddress" << YAML::Value << YAML::DoubleQuoted
    << "0.0.0.0:" + std::to_string(kHealthPort);
  y << YAML::Key << "dicomwebBindAddress" << YAML::Value << YAML::DoubleQuoted
    << "0.0.0.0:" + std::to_string(kDicomWebPort);
  y << YAML::EndMap;
  const std::string level = node.spec.agent && node.spec.agent->log_level ? *node.spec.agent->log_level : "info";
  y << YAML::Key << "logLevel" << YAML::Value << level;
  y << YAML::Key << "logFormat" << YAML::Value << "json";
  y << YAML::EndMap;
  (void)placement;
  return std::string(y.c_str()) + "\n";
}

std::string RenderHubKubeconfig(const std::string& node, const std::string& hub_server) {
  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "apiVersion" << YAML::Value << "v1";
  y << YAML::Key << "kind" << YAML::Value << "Config";
  y << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << "hub";
  y << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "server" << YAML::Value << hub_server;
  y << YAML::Key << "certificate-authority" << YAML::Value << "ca.crt";
  y << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  y << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << "oncoatlas-agent";
  y << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "tokenFile" << YAML::Value << "token";
  y << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  y << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << "hub";
  y << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "cluster" << YAML::Value << "hub";
  y << YAML::Key << "user" << YAML::Value << "oncoatlas-agent";
  y << YAML::Key << "namespace" << YAML::Value << api::NodeNamespace(node);
  y << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  y << YAML::Key << "current-context" << YAML::Value << "hub";
  y << YAML::EndMap;
  return std::string(y.c_str()) + "\n";
}

Json RenderEgressRules(const api::DataNode& node, const Placement& placement) {
  Json rules = Json::array();
  if (auto hub = http::Url::Parse(placement.hub_server); hub.ok()) {
    rules.push_back(EgressTo(hub->host, std::stoi(hub->port)));
  }
  if (node.spec.pacs) {
    const auto& pacs = *node.spec.pacs;
    if (pacs.dimse) {
      rules.push_back(EgressTo(pacs.dimse->host, static_cast<int>(pacs.dimse->port)));
    } else if (pacs.dicomweb) {
      if (auto u = http::Url::Parse(pacs.dicomweb->url); u.ok()) rules.push_back(EgressTo(u->host, std::stoi(u->port)));
    }
  }
  rules.push_back({{"ports", Json::array({{{"protocol", "UDP"}, {"port", 53}}, {{"protocol", "TCP"}, {"port", 53}}})}});
  return rules;
}

std::vector<Json> RenderSiteObjects(const api::DataNode& node, const RenderOptions& options,
                                    const AgentCredentials& credentials) {
  const std::string name = NameOf(node);
  const Placement placement = PlacementOf(node, options);
  const std::string& ns = placement.agent_namespace;
  std::vector<Json> out;

  // Possibly shared by several nodes: only the managed-by label, no node label.
  out.push_back({{"apiVersion", "v1"},
                 {"kind", "Namespace"},
                 {"metadata", {{"name", ns}, {"labels", {{"app.kubernetes.io/managed-by", kManagedBy}}}}}});

  out.push_back({{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", Metadata(AgentObjectName(name), ns, name)},
                 {"data", {{"agent.yaml", RenderAgentConfig(node, placement, options)}}}});

  Json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", "Opaque"},
                 {"metadata", Metadata(HubSecretName(name), ns, name)},
                 {"data",
                  {{"kubeconfig", EncodeBase64(RenderHubKubeconfig(name, placement.hub_server))},
                   {"token", EncodeBase64(credentials.token)},
                   {"ca.crt", EncodeBase64(options.hub_ca_pem)}}}};
  secret["metadata"]["annotations"] = {{kTokenExpiryAnnotation, credentials.expiry},
                                       {kTokenServiceAccountUidAnnotation, credentials.service_account_uid}};
  out.push_back(std::move(secret));

  const bool has_storage = node.spec.storage.has_value();
  if (has_storage) {
    Json pvc = {
        {"apiVersion", "v1"},
        {"kind", "PersistentVolumeClaim"},
        {"metadata", Metadata(StoreClaimName(name), ns, name)},
        {"spec",
         {{"accessModes", {"ReadWriteOnce"}}, {"resources", {{"requests", {{"storage", node.spec.storage->size}}}}}}}};
    if (node.spec.storage->storage_class_name) pvc["spec"]["storageClassName"] = *node.spec.storage->storage_class_name;
    out.push_back(std::move(pvc));
  }

  out.push_back({{"apiVersion", "v1"},
                 {"kind", "Service"},
                 {"metadata", Metadata(AgentObjectName(name), ns, name)},
                 {"spec",
                  {{"type", "ClusterIP"},
                   {"selector", SelectorLabels(name)},
                   {"ports", Json::array({{{"name", "dicomweb"},
                                           {"protocol", "TCP"},
                                           {"port", kDicomWebPort},
                                           {"targetPort", kDicomWebPort}}})}}}});

  out.push_back(
      {{"apiVersion", "networking.k8s.io/v1"},
       {"kind", "NetworkPolicy"},
       {"metadata", Metadata(AgentObjectName(name), ns, name)},
       {"spec",
        {{"podSelector", {{"matchLabels", SelectorLabels(name)}}},
         {"policyTypes", {"Ingress", "Egress"}},
         // In-site DICOMweb consumers reach the agent; nothing else comes in.
         {"ingress", Json::array({{{"ports", Json::array({{{"protocol", "TCP"}, {"port", kDicomWebPort}}})}}})},
         {"egress", RenderEgressRules(node, placement)}}}});

  const std::string image =
      node.spec.agent && node.spec.agent->image ? *node.spec.agent->image : options.default_agent_image;
  Json volumes = Json::array({
      {{"name", "config"}, {"configMap", {{"name", AgentObjectName(name)}}}},
      {{"name", "hub"}, {"secret", {{"secretName", HubSecretName(name)}}}},
      {{"name", "tmp"}, {"emptyDir", Json::object()}},
  });
  Json mounts = Json::array({
      {{"name", "config"}, {"mountPath", "/etc/oncoatlas/config"}, {"readOnly", true}},
      {{"name", "hub"}, {"mountPath", kHubMountPath}, {"readOnly", true}},
      {{"name", "tmp"}, {"mountPath", "/tmp"}},
      {{"name", "store"}, {"mountPath", kStorePath}},
  });
  if (has_storage) {
    volumes.push_back({{"name", "store"}, {"persistentVolumeClaim", {{"claimName", StoreClaimName(name)}}}});
  } else {
    volumes.push_back({{"name", "store"}, {"emptyDir", Json::object()}});
  }
  if (node.spec.pacs && node.spec.pacs->dicomweb && node.spec.pacs->dicomweb->credentials_secret_ref) {
    volumes.push_back(
        {{"name", "pacs"}, {"secret", {{"secretName", node.spec.pacs->dicomweb->credentials_secret_ref->name}}}});
    mounts.push_back({{"name", "pacs"}, {"mountPath", kPacsCredentialsPath}, {"readOnly", true}});
  }
  const auto probe = [](const char* path, int period) {
    return Json{{"httpGet", {{"path", path}, {"port", kHealthPort}, {"scheme", "HTTP"}}},
                {"periodSeconds", period},
                {"timeoutSeconds", 5},
                {"failureThreshold", 3}};
  };
  Json container = {
      {"name", "agent"},
      {"image", image},
      {"imagePullPolicy", "IfNotPresent"},
      {"args", {"run", "--config", kAgentConfigPath}},
      {"ports", Json::array({{{"name", "dicomweb"}, {"containerPort", kDicomWebPort}, {"protocol", "TCP"}},
                             {{"name", "health"}, {"containerPort", kHealthPort}, {"protocol", "TCP"}}})},
      {"resources",
       {{"requests", {{"cpu", "100m"}, {"memory", "256Mi"}}}, {"limits", {{"cpu", "2"}, {"memory", "2Gi"}}}}},
      {"livenessProbe", probe("/healthz", 20)},
      {"readinessProbe", probe("/readyz", 10)},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"readOnlyRootFilesystem", true},
        {"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", {"ALL"}}}}}},
      {"volumeMounts", mounts}};
  out.push_back({{"apiVersion", "apps/v1"},
                 {"kind", "Deployment"},
                 {"metadata", Metadata(AgentObjectName(name), ns, name)},
                 {"spec",
                  {{"replicas", 1},
                   // One agent at a time owns the store (a ReadWriteOnce volume) and the heartbeat.
                   {"strategy", {{"type", "Recreate"}}},
                   {"selector", {{"matchLabels", SelectorLabels(name)}}},
                   {"template",
                    {{"metadata", {{"labels", Labels(name)}}},
                     {"spec",
                      {{"automountServiceAccountToken", false},
                       {"securityContext",
                        {{"runAsNonRoot", true},
                         {"runAsUser", 65532},
                         {"runAsGroup", 65532},
                         {"fsGroup", 65532},
                         {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
                       {"containers", Json::array({container})},
                       {"volumes", volumes}}}}}}}});
  return out;
}

}  // namespace oncoatlas::datanode
