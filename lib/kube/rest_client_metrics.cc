#include "kube/rest_client_metrics.h"

#include "kube/runtime_metrics.h"

namespace oncoatlas::kube {

RestClientMetricsObserver::RestClientMetricsObserver(MetricsRegistry& registry) : registry_(registry) {
  (void)RegisterRuntimeMetrics(registry_);  // idempotent; a clash leaves the counter unrecorded, not the client broken
}

void RestClientMetricsObserver::OnRequest(const std::string& method, int code, std::chrono::nanoseconds /*latency*/) {
  RecordRestClientRequest(registry_, code, method);
}

RequestObserver& RestClientMetrics() {
  static RestClientMetricsObserver* observer = new RestClientMetricsObserver(DefaultMetricsRegistry());
  return *observer;
}

}  // namespace oncoatlas::kube
