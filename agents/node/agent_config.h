// AgentConfig: the typed form of agent.yaml, the configuration the operator
// renders into the ConfigMap `oncoatlas-agent-<node>` (see /agents/README.md),
// plus the command-line overrides local runs use. Parsing is a pure function of
// the text; every error names the key, the problem and the fix. Values only;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/node_contract.h"
#include "core/status.h"

namespace oncoatlas::agent {

struct HeartbeatConfig {
  std::string lease_name = api::kHeartbeatLease;
  int lease_duration_seconds = 40;
  int renew_interval_seconds = 10;
};

struct HubConfig {
  std::string kubeconfig;      // path; relative paths inside it resolve next to it
  std::string namespace_name;  // the only hub namespace the agent touches
  HeartbeatConfig heartbeat;
};

struct DicomwebPacsConfig {
  std::string url;              // http(s)://host[:port][/path]
  std::string credentials_dir;  // optional: files `username` + `password`, or `token`
};

struct DimsePacsConfig {
  std::string host;
  int port = 104;
  std::string called_ae_title;
  std::string calling_ae_title = "ONCOATLAS";
};

struct FolderPacsConfig {
  std::string path;
};

struct PacsConfig {
  std::variant<DicomwebPacsConfig, DimsePacsConfig, FolderPacsConfig> source;
  int check_interval_seconds = 30;
};

struct ServerConfig {
  std::string health_bind_address = "0.0.0.0:8081";
  std::string dicomweb_bind_address = "0.0.0.0:8080";
};

struct AgentConfig {
  std::string node;
  HubConfig hub;
  PacsConfig pacs;
  std::string store_path;
  ServerConfig server;
  std::string log_level = "info";
  std::string log_format = "json";
  // Keys the agent does not know (e.g. from a newer operator): ignored, and
  // logged at start-up so a typo does not go unnoticed.
  std::vector<std::string> unknown_keys;
};

// Values from the command line that replace paths and addresses of agent.yaml.
struct ConfigOverrides {
  std::optional<std::string> hub_kubeconfig;
  std::optional<std::string> store;
  std::optional<std::string> health_bind_address;
  std::optional<std::string> pacs_credentials_dir;
};

// Parses agent.yaml text; `source` (a path) prefixes every error message.
Result<AgentConfig> ParseAgentConfig(std::string_view yaml, std::string_view source);
// Reads and parses the file.
Result<AgentConfig> LoadAgentConfig(const std::string& path);
// Applies the overrides and checks the values they replace. A DICOMweb
// credentials dir override on a non-DICOMweb PACS is an error.
Status ApplyOverrides(AgentConfig& config, const ConfigOverrides& overrides);

struct BindAddress {
  std::string host;  // an IPv4 or IPv6 literal, without brackets
  int port = 0;      // 0: any free port
};
// "0.0.0.0:8081", "127.0.0.1:0", "[::1]:8081".
Result<BindAddress> ParseBindAddress(std::string_view text, std::string_view key);

// The PACS as one short phrase for messages: "DICOMweb http://...", "DIMSE
// ORTHANC@host:4242", "folder /data/import".
std::string DescribePacs(const PacsConfig& pacs);

}  // namespace oncoatlas::agent
