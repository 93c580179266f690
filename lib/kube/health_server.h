// HealthServer: the plain-HTTP probe and metrics endpoint of a process —
// /healthz (liveness checks), /readyz (readiness checks; "?verbose" lists
// every check, /readyz/<name> runs one) and /metrics (a MetricsRegistry in
// Prometheus text format). 200 when every check passes, 500 naming the failing
// ones otherwise. Serves on one I/O thread of its own.
// Threading: Add*Check, Start, Stop and port may be called from any thread.
// Checks run on the I/O thread while a request waits: they must be quick, must
// not block, and must stay valid until Stop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "kube/metrics_registry.h"

namespace oncoatlas::kube {

struct HealthServerOptions {
  // An IPv4 or IPv6 address literal; "0.0.0.0" listens everywhere.
  std::string bind_address = "0.0.0.0";
  // 0 asks the system for a free port; port() reports the one bound.
  std::uint16_t port = 8081;
};

// A named check: OK, or a Status whose message says what is wrong.
using HealthCheck = std::function<Status()>;

class HealthServer {
 public:
  // `metrics` may be null (then /metrics is 404); otherwise it must outlive the server.
  HealthServer(HealthServerOptions options, const MetricsRegistry* metrics);
  ~HealthServer();  // Stops.

  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // A check of /healthz and of /readyz (a process that is not alive is not ready).
  void AddHealthCheck(std::string name, HealthCheck check);
  // A check of /readyz only.
  void AddReadinessCheck(std::string name, HealthCheck check);

  // Binds and starts serving. A bad address or a port in use is an error that
  // names the address.
  Status Start();
  // Stops serving and closes every connection; idempotent.
  void Stop();

  // The bound port once Start succeeded, else 0.
  std::uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncoatlas::kube
