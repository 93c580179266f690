// RestClientMetricsObserver: the RequestObserver that counts every request a
// RestClient completes in rest_client_requests_total{code,method}.
// RestClientMetrics() is the process-wide one, feeding DefaultMetricsRegistry()
// (served on /metrics): RestClient::Create(config, {.observer = &RestClientMetrics()}).
// Thread-safe; the registry must outlive the observer.
#pragma once

#include <chrono>
#include <string>

#include "kube/metrics_registry.h"
#include "kube/transport.h"

namespace oncoatlas::kube {

class RestClientMetricsObserver final : public RequestObserver {
 public:
  // Registers the runtime metrics in `registry` if they are not there yet.
  explicit RestClientMetricsObserver(MetricsRegistry& registry);
  void OnRequest(const std::string& method, int code, std::chrono::nanoseconds latency) override;

 private:
  MetricsRegistry& registry_;
};

// The process-wide observer for DefaultMetricsRegistry(); lives as long as the process.
RequestObserver& RestClientMetrics();

}  // namespace oncoatlas::kube
