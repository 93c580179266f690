#include "kube/runtime_metrics.h"

namespace oncoatlas::kube {

namespace {

// controller-runtime's reconcile time buckets.
std::vector<double> ReconcileTimeBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5,
          1.75,  2.0,  2.5,   3.0,  3.5, 4.0,  4.5, 5,    6,   7,    8,   9,    10,  15,  20,  25,  30,  40,  50,   60};
}

// From 10 ns to 1000 s, one bucket per decade, as client-go's workqueue metrics.
std::vector<double> WorkQueueDurationBuckets() { return ExponentialBuckets(10e-9, 10, 12); }

// A family the runtime registered itself. Registration of the runtime's table
// cannot fail (a unit test proves the table valid), so a miss is a bug; the
// recorders then do nothing rather than crash.
MetricFamily* Family(MetricsRegistry& registry, std::string_view name) {
  MetricFamily* f = registry.Find(name);
  if (f == nullptr) {
    (void)RegisterRuntimeMetrics(registry);
    f = registry.Find(name);
  }
  return f;
}

}  // namespace

const std::vector<MetricSpec>& RuntimeMetricSpecs() {
  static const std::vector<MetricSpec> specs = {
      {kReconcileTotal,
       "Total number of reconciliations per controller",
       MetricType::kCounter,
       {"controller", "result"},
       {}},
      {kReconcileErrorsTotal,
       "Total number of reconciliation errors per controller",
       MetricType::kCounter,
       {"controller"},
       {}},
      {kTerminalReconcileErrorsTotal,
       "Total number of terminal reconciliation errors per controller",
       MetricType::kCounter,
       {"controller"},
       {}},
      {kReconcileTimeSeconds,
       "Length of time per reconciliation per controller",
       MetricType::kHistogram,
       {"controller"},
       ReconcileTimeBuckets()},
      {kWorkQueueDepth, "Current depth of workqueue", MetricType::kGauge, {"name"}, {}},
      {kWorkQueueAddsTotal, "Total number of adds handled by workqueue", MetricType::kCounter, {"name"}, {}},
      {kWorkQueueQueueDurationSeconds,
       "How long in seconds an item stays in workqueue before being requested",
       MetricType::kHistogram,
       {"name"},
       WorkQueueDurationBuckets()},
      {kWorkQueueWorkDurationSeconds,
       "How long in seconds processing an item from workqueue takes",
       MetricType::kHistogram,
       {"name"},
       WorkQueueDurationBuckets()},
      {kWorkQueueRetriesTotal, "Total number of retries handled by workqueue", MetricType::kCounter, {"name"}, {}},
      {kRestClientRequestsTotal,
       "Number of HTTP requests, partitioned by status code and method",
       MetricType::kCounter,
       {"code", "method"},
       {}},
  };
  return specs;
}

Status RegisterRuntimeMetrics(MetricsRegistry& registry) {
  for (const MetricSpec& spec : RuntimeMetricSpecs()) {
    Result<MetricFamily*> r = registry.Register(spec);
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

MetricsRegistry& DefaultMetricsRegistry() {
  static MetricsRegistry* registry = [] {
    auto* r = new MetricsRegistry();  // never destroyed: recorders may run during exit
    (void)RegisterRuntimeMetrics(*r);
    return r;
  }();
  return *registry;
}

const char* ReconcileOutcomeLabel(ReconcileOutcome outcome) {
  switch (outcome) {
    case ReconcileOutcome::kSuccess:
      return "success";
    case ReconcileOutcome::kError:
      return "error";
    case ReconcileOutcome::kRequeue:
      return "requeue";
    case ReconcileOutcome::kRequeueAfter:
      return "requeue_after";
  }
  return "error";
}

void RecordReconcile(MetricsRegistry& registry, std::string_view controller, ReconcileOutcome outcome, double seconds) {
  const std::string name(controller);
  if (MetricFamily* f = Family(registry, kReconcileTotal)) f->Inc({name, ReconcileOutcomeLabel(outcome)});
  if (outcome == ReconcileOutcome::kError) {
    if (MetricFamily* f = Family(registry, kReconcileErrorsTotal)) f->Inc({name});
  }
  if (MetricFamily* f = Family(registry, kReconcileTimeSeconds)) f->Observe({name}, seconds);
}

void RecordRestClientRequest(MetricsRegistry& registry, int code, std::string_view method) {
  if (MetricFamily* f = Family(registry, kRestClientRequestsTotal)) {
    f->Inc({code > 0 ? std::to_string(code) : "<error>", std::string(method)});
  }
}

void RecordRestClientRequest(int code, std::string_view method) {
  RecordRestClientRequest(DefaultMetricsRegistry(), code, method);
}

WorkQueueMetricsRecorder::WorkQueueMetricsRecorder(MetricsRegistry& registry, std::string name)
    : labels_{std::move(name)},
      depth_(Family(registry, kWorkQueueDepth)),
      adds_(Family(registry, kWorkQueueAddsTotal)),
      queue_duration_(Family(registry, kWorkQueueQueueDurationSeconds)),
      work_duration_(Family(registry, kWorkQueueWorkDurationSeconds)),
      retries_(Family(registry, kWorkQueueRetriesTotal)) {
  // Show the queue's series from the start, as client-go does.
  if (depth_) depth_->Set(labels_, 0);
  if (adds_) adds_->Inc(labels_, 0);
  if (retries_) retries_->Inc(labels_, 0);
}

void WorkQueueMetricsRecorder::Added() {
  if (adds_) adds_->Inc(labels_);
}
void WorkQueueMetricsRecorder::Depth(std::size_t depth) {
  if (depth_) depth_->Set(labels_, static_cast<double>(depth));
}
void WorkQueueMetricsRecorder::QueueDuration(double seconds) {
  if (queue_duration_) queue_duration_->Observe(labels_, seconds);
}
void WorkQueueMetricsRecorder::WorkDuration(double seconds) {
  if (work_duration_) work_duration_->Observe(labels_, seconds);
}
void WorkQueueMetricsRecorder::Retried() {
  if (retries_) retries_->Inc(labels_);
}

}  // namespace oncoatlas::kube
