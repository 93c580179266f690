// Test support: one DataNode's agent (`oncoatlas-agent run`) as a local
// process, started through e2e/node-agent from the ConfigMap and Secret the
// operator rendered on the site cluster — the kubelet's part: files in a
// private directory, the Secret's token kept in sync with the file, the exit
// code recorded. Down in the destructor, and through the script's reaper when
// the test binary dies. Not thread-safe: drive it from one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/status.h"

namespace oncoatlas::testing {

struct AgentProcessOptions {
  std::string node{};             // the DataNode's name
  std::string site_kubeconfig{};  // admin kubeconfig of the cluster holding the rendered objects
  std::string site_namespace{};   // "" = oncoatlas-agent-<node>
  // A Secret in site_namespace with username/password (or token) for a
  // DICOMweb PACS; copied into the credentials dir. "" = the Secret that
  // Deployment oncoatlas-agent-<node> (container agent) mounts at agent.yaml's
  // pacs.dicomweb.credentialsDir, if any.
  std::string pacs_credentials_secret{};
  std::string agent_binary{};  // "" = <build>/bin/oncoatlas-agent
  // How long to wait for the rendered objects and for the agent's /healthz.
  std::chrono::seconds timeout{60};
};

class AgentProcess {
 public:
  static Result<std::unique_ptr<AgentProcess>> Start(const AgentProcessOptions& options);
  ~AgentProcess();  // Down()
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // SIGKILL the agent (a crash); the token syncer keeps running.
  Status Kill();
  // SIGTERM and wait; the agent's exit code.
  Result<int> Terminate();
  // Starts the agent again (after Kill or Terminate; kills it first if it
  // runs), from the ConfigMap and Secret as they are now.
  Status Restart();
  // Stops everything and removes the directory; idempotent.
  Status Down();

  // GET <health_url()><path> (e.g. "/readyz"); the HTTP status, 0 when nothing answered.
  int Probe(const std::string& path) const;
  // The agent's log so far (stdout and stderr).
  std::string Log() const;

  int pid() const;                                               // the running agent's pid (re-read), or 0
  const std::string& dir() const { return dir_; }                // 0700; config/, hub/, store/, pacs/
  const std::string& health_url() const { return health_url_; }  // http://127.0.0.1:PORT
  std::string hub_token_path() const { return dir_ + "/hub/token"; }

 private:
  AgentProcess() = default;
  Result<std::string> Script(const std::string& command, std::chrono::seconds timeout) const;

  AgentProcessOptions options_;
  std::string root_, dir_, health_url_;
  bool up_ = false;
};

}  // namespace oncoatlas::testing
