// The controller runtime's metrics, declared as data in one table
// (RuntimeMetricSpecs) with controller-runtime's and client-go's names, and the
// small recorders that update them. Threading: all functions and recorders may
// be used from any thread; a registry must outlive the recorders bound to it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "kube/metrics_registry.h"
#include "kube/workqueue.h"

namespace oncoatlas::kube {

inline constexpr char kReconcileTotal[] = "controller_runtime_reconcile_total";
inline constexpr char kReconcileErrorsTotal[] = "controller_runtime_reconcile_errors_total";
inline constexpr char kTerminalReconcileErrorsTotal[] = "controller_runtime_terminal_reconcile_errors_total";
inline constexpr char kReconcileTimeSeconds[] = "controller_runtime_reconcile_time_seconds";
inline constexpr char kWorkQueueDepth[] = "workqueue_depth";
inline constexpr char kWorkQueueAddsTotal[] = "workqueue_adds_total";
inline constexpr char kWorkQueueQueueDurationSeconds[] = "workqueue_queue_duration_seconds";
inline constexpr char kWorkQueueWorkDurationSeconds[] = "workqueue_work_duration_seconds";
inline constexpr char kWorkQueueRetriesTotal[] = "workqueue_retries_total";
inline constexpr char kRestClientRequestsTotal[] = "rest_client_requests_total";

// Every metric of the runtime: name, help, type, labels, buckets.
const std::vector<MetricSpec>& RuntimeMetricSpecs();

// Registers every runtime metric in `registry` (idempotent).
Status RegisterRuntimeMetrics(MetricsRegistry& registry);

// The process-wide registry served on /metrics, with the runtime metrics
// already registered.
MetricsRegistry& DefaultMetricsRegistry();

// How a reconcile ended, as the `result` label of controller_runtime_reconcile_total.
enum class ReconcileOutcome { kSuccess, kError, kRequeue, kRequeueAfter };
const char* ReconcileOutcomeLabel(ReconcileOutcome outcome);

// Counts one reconcile of `controller`: its result, its duration, and (for
// kError) the error counter.
void RecordReconcile(MetricsRegistry& registry, std::string_view controller, ReconcileOutcome outcome, double seconds);

// Counts one request the REST client sent. `code` is the HTTP status, or 0 or
// less when no response came (shown as "<error>", as client-go does).
void RecordRestClientRequest(MetricsRegistry& registry, int code, std::string_view method);
void RecordRestClientRequest(int code, std::string_view method);  // DefaultMetricsRegistry()

// Feeds a WorkQueue's events into the workqueue_* metrics under {name=...}.
class WorkQueueMetricsRecorder final : public WorkQueueMetrics {
 public:
  WorkQueueMetricsRecorder(MetricsRegistry& registry, std::string name);
  void Added() override;
  void Depth(std::size_t depth) override;
  void QueueDuration(double seconds) override;
  void WorkDuration(double seconds) override;
  void Retried() override;

 private:
  const std::vector<std::string> labels_;
  MetricFamily* depth_;
  MetricFamily* adds_;
  MetricFamily* queue_duration_;
  MetricFamily* work_duration_;
  MetricFamily* retries_;
};

}  // namespace oncoatlas::kube
