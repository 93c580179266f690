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
        reg({"oncoatlas_agent_dataset_instances_total",
             "Source items finished ingestion passes of a Dataset recorded, by outcome: stored (de-identified and "
             "indexed) or "
             "excluded (rejected or quarantined, see the Dataset's status for the reasons).",
             kube::MetricType::kCounter,
             {"dataset", "outcome"},
             {}}),
        reg({"oncoatlas_agent_dataset_passes_total",
             "Finished ingestion passes of a Dataset by result (ready, failed, refresh_failed).",
             kube::MetricType::kCounter,
             {"dataset", "result"},
             {}}),
        reg({"oncoatlas_agent_dataset_pass_seconds",
             "How long the last finished ingestion pass of a Dataset took, in seconds.",
             kube::MetricType::kGauge,
             {"dataset"},
             {}}),
    };
  }();
  return families;
}

}  // namespace oncoatlas::agent
