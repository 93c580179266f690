// The agent's metrics, declared as data in one place, in lib/kube's default
// registry (served on /metrics). A header of its own: runtime_metrics.h and the
// REST client's headers cannot share a translation unit (both define
// kube::TokenBucket). Thread-safe.
#pragma once

#include "kube/metrics_registry.h"

namespace oncoatlas::agent {

kube::MetricsRegistry& AgentMetrics();

struct AgentMetricFamilies {
  kube::MetricFamily* pacs_reachable;      // gauge 0/1
  kube::MetricFamily* hub_connected;       // gauge 0/1: the last renewal succeeded
  kube::MetricFamily* heartbeat_renewals;  // counter {result="success"|"error"}
  // Dataset ingestion, by Dataset name (a resource name, never a patient value).
  kube::MetricFamily* dataset_instances;     // counter {dataset, outcome="stored"|"excluded"}
  kube::MetricFamily* dataset_passes;        // counter {dataset, result="ready"|"failed"|"refresh_failed"}
  kube::MetricFamily* dataset_pass_seconds;  // gauge {dataset}: duration of the last finished pass
};

// Registered on first use.
const AgentMetricFamilies& AgentMetricsFamilies();

}  // namespace oncoatlas::agent
