#include "node/agent_metrics.h"

#include "kube/runtime_metrics.h"

namespace oncoatlas::agent {

kube::MetricsRegistry& AgentMetrics() { return kube::DefaultMetricsRegistry(); }

}  // namespace oncoatlas::agent
