// DataNode (cluster-scoped): one site of the federation. Mirrors
// crds/datanode.yaml field for field; tests/crds/api_types_test.cc proves it.
// Plain values; not synchronized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/common_types.h"

namespace oncoatlas::api {

struct DataNodeOrganisation {
  std::string name;
  std::optional<std::string> ror_id;
  std::optional<std::string> contact_email;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("name", self.name);
    m("rorId", self.ror_id);
    m("contactEmail", self.contact_email);
  }
};

struct LocalCluster {
  std::optional<std::string> agent_namespace;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) { m("agentNamespace", self.agent_namespace); }
};

struct RemoteCluster {
  KeyRef kubeconfig_secret_ref;
  std::optional<std::string> agent_namespace;
  std::string hub_server;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("kubeconfigSecretRef", self.kubeconfig_secret_ref);
    m("agentNamespace", self.agent_namespace);
    m("hubServer", self.hub_server);
  }
};

// Exactly one of local and remote is set (the schema enforces it).
struct ClusterPlacement {
  std::optional<LocalCluster> local;
  std::optional<RemoteCluster> remote;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("local", self.local);
    m("remote", self.remote);
  }
};

struct DicomWebSource {
  std::string url;
  std::optional<NameRef> credentials_secret_ref;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("url", self.url);
    m("credentialsSecretRef", self.credentials_secret_ref);
  }
};

struct DimseSource {
  std::string host;
  std::int64_t port = 0;
  std::string called_ae_title;
  std::optional<std::string> calling_ae_title;
  std::optional<std::string> retrieve_method;  // "C-GET" or "C-MOVE"
  std::optional<std::string> move_destination_ae_title;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("host", self.host);
    m("port", self.port);
    m("calledAETitle", self.called_ae_title);
    m("callingAETitle", self.calling_ae_title);
    m("retrieveMethod", self.retrieve_method);
    m("moveDestinationAETitle", self.move_destination_ae_title);
  }
};

struct FolderSource {
  std::string path;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) { m("path", self.path); }
};

// Exactly one source is set (the schema enforces it).
struct PacsSource {
  std::optional<DicomWebSource> dicomweb;
  std::optional<DimseSource> dimse;
  std::optional<FolderSource> folder;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("dicomweb", self.dicomweb);
    m("dimse", self.dimse);
    m("folder", self.folder);
  }
};

struct NodeStorage {
  std::string size;  // a Kubernetes quantity
  std::optional<std::string> storage_class_name;
  std::optional<bool> retain_on_delete;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("size", self.size);
    m("storageClassName", self.storage_class_name);
    m("retainOnDelete", self.retain_on_delete);
  }
};

struct NodeCompute {
  std::string mode;  // "Job" or "Sandbox"
  std::optional<std::int64_t> max_concurrent_tasks;
  std::optional<std::string> max_task_duration;  // a Go duration
  std::optional<std::int64_t> gpus;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("mode", self.mode);
    m("maxConcurrentTasks", self.max_concurrent_tasks);
    m("maxTaskDuration", self.max_task_duration);
    m("gpus", self.gpus);
  }
};

struct AgentSettings {
  std::optional<std::string> image;
  std::optional<std::string> log_level;
  std::optional<std::string> credential_rotation_interval;  // a Go duration
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("image", self.image);
    m("logLevel", self.log_level);
    m("credentialRotationInterval", self.credential_rotation_interval);
  }
};

struct DataNodeSpec {
  std::optional<std::string> display_name;
  DataNodeOrganisation organisation;
  std::string country;  // ISO 3166-1 alpha-2
  std::int64_t tier = 0;
  ClusterPlacement cluster;
  std::optional<PacsSource> pacs;
  std::optional<NodeStorage> storage;
  std::optional<NodeCompute> compute;
  std::optional<AgentSettings> agent;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("displayName", self.display_name);
    m("organisation", self.organisation);
    m("country", self.country);
    m("tier", self.tier);
    m("cluster", self.cluster);
    m("pacs", self.pacs);
    m("storage", self.storage);
    m("compute", self.compute);
    m("agent", self.agent);
  }
};

struct DataNodeStatus {
  std::optional<std::int64_t> observed_generation;
  std::optional<std::string> phase;
  std::optional<std::string> namespace_;
  std::optional<std::string> agent_version;
  std::optional<std::string> last_heartbeat;     // RFC 3339
  std::optional<std::string> credential_expiry;  // RFC 3339
  std::optional<std::vector<std::string>> capabilities;
  std::optional<std::int64_t> dataset_count;
  std::optional<std::vector<Condition>> conditions;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("observedGeneration", self.observed_generation);
    m("phase", self.phase);
    m("namespace", self.namespace_);
    m("agentVersion", self.agent_version);
    m("lastHeartbeat", self.last_heartbeat);
    m("credentialExpiry", self.credential_expiry);
    m("capabilities", self.capabilities);
    m("datasetCount", self.dataset_count);
    m("conditions", self.conditions);
  }
};

using DataNode = Object<DataNodeSpec, DataNodeStatus, "DataNode">;

}  // namespace oncoatlas::api
