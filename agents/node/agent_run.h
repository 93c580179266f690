// AgentRun: `oncoatlas-agent run` — from an AgentConfig it serves /healthz
// and /readyz (+ /metrics), checks the PACS every pacs.checkIntervalSeconds,
// connects to the hub with the hub kubeconfig (its token file is re-read on
// every request, so a rotated token is used without a restart), renews the
// heartbeat Lease every hub.heartbeat.renewIntervalSeconds (at once when the
// PACS state changes), and watches Datasets in its hub namespace only: the
// DatasetController (dataset_controller.h) ingests them into the index and
// store under store.path and writes their status.
// A hub that is unreachable or refuses the token (401/403) is retried with
// backoff and makes /readyz fail; it never ends the process.
// Threading: Start and Stop from one thread; the work runs on threads of its own.
#pragma once

#include <memory>

#include "core/status.h"
#include "kube/clock.h"
#include "node/agent_config.h"
#include "node/pacs_check.h"

namespace oncoatlas::agent {

class AgentRun {
 public:
  // `clock` must outlive the run. A null checker means MakePacsChecker(config.pacs).
  AgentRun(AgentConfig config, kube::Clock& clock, std::unique_ptr<PacsChecker> checker = nullptr);
  ~AgentRun();  // Stops.
  AgentRun(const AgentRun&) = delete;
  AgentRun& operator=(const AgentRun&) = delete;

  // Binds the health server (an error names the address) and starts the loops.
  Status Start();
  // Stops every loop and the health server; returns once they are joined.
  void Stop();

  // The health server's bound port (after Start).
  int health_port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncoatlas::agent
