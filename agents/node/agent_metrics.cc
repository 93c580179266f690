#include "node/agent_metrics.h"

#include "kube/runtime_metrics.h"

namespace oncoatlas::agent {

kube::MetricsRegistry& AgentMetrics() { return kube::DefaultMetricsRegistry(); }

const AgentMetricFamilies& AgentMetricsFamilies() {
  static const AgentMetricFamilies families = [] {
    auto reg = [](const kube::MetricSpec& spec) {
      auto f = AgentMetrics().Register(spec);
      return f.ok() ? *f : nullptr;  // the specs below are valid; a null family is never dereferenced
    };
    return AgentMetricFamilies{
        reg({"oncoatlas_agent_pacs_reachable",
             "1 when the last PACS check succeeded, else 0.",
             kube::MetricType::kGauge,
             {},
             {}}),
        reg({"oncoatlas_agent_hub_connected",
             "1 when the last heartbeat renewal on the hub succeeded, else 0.",
             kube::MetricType::kGauge,
             {},
             {}}),
        reg({"oncoatlas_agent_heartbeat_renewals_total",
             "Heartbeat Lease renewals by result (success, error).",
             kube::MetricType::kCounter,
             {"result"},
             {}}),
    };
  }();
  return families;
}

}  // namespace oncoatlas::agent
