// The agent's metrics registry (lib/kube's default one), behind a header of its
// own: runtime_metrics.h and the REST client's headers cannot share a
// translation unit (both define kube::TokenBucket). Thread-safe.
#pragma once

#include "kube/metrics_registry.h"

namespace oncoatlas::agent {

kube::MetricsRegistry& AgentMetrics();

}  // namespace oncoatlas::agent
