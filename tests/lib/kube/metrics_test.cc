#include <gtest/gtest.h>

#include <string>

#include "kube/metrics_registry.h"
#include "kube/runtime_metrics.h"

namespace oncoatlas::kube {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(MetricsRegistry, RendersCountersAndGaugesWithLabels) {
  MetricsRegistry r;
  auto c = r.Register({"things_total", "Things seen.", MetricType::kCounter, {"kind", "zone"}, {}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto g = r.Register({"temperature", "Current\ntemperature \\ C", MetricType::kGauge, {}, {}});
  ASSERT_TRUE(g.ok());
  (*c)->Inc({"a", "x"});
  (*c)->Inc({"a", "x"}, 2);
  (*c)->Inc({"b", "quote\" back\\ nl\n"});
  (*g)->Set({}, -1.5);
  EXPECT_EQ(r.Render(),
            "# HELP temperature Current\\ntemperature \\\\ C\n"
            "# TYPE temperature gauge\n"
            "temperature -1.5\n"
            "# HELP things_total Things seen.\n"
            "# TYPE things_total counter\n"
            "things_total{kind=\"a\",zone=\"x\"} 3\n"
            "things_total{kind=\"b\",zone=\"quote\\\" back\\\\ nl\\n\"} 1\n");
}

TEST(MetricsRegistry, RendersCumulativeHistogramBuckets) {
  MetricsRegistry r;
  auto h = r.Register({"latency_seconds", "Latency.", MetricType::kHistogram, {"op"}, {0.1, 1, 10}});
  ASSERT_TRUE(h.ok());
  (*h)->Observe({"get"}, 0.05);
  (*h)->Observe({"get"}, 0.1);  // on the bound: counted in le="0.1"
  (*h)->Observe({"get"}, 5);
  (*h)->Observe({"get"}, 50);
  EXPECT_EQ(r.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
            "latency_seconds_bucket{op=\"get\",le=\"1\"} 2\n"
            "latency_seconds_bucket{op=\"get\",le=\"10\"} 3\n"
            "latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{op=\"get\"} 55.15\n"
            "latency_seconds_count{op=\"get\"} 4\n");
  EXPECT_EQ((*h)->Value({"get"}), 4);
}

TEST(MetricsRegistry, IgnoresCallsThatDoNotFitTheSpec) {
  MetricsRegistry r;
  auto c = r.Register({"c_total", "C.", MetricType::kCounter, {"l"}, {}});
  ASSERT_TRUE(c.ok());
  (*c)->Inc({"a", "extra"});
  (*c)->Inc({});
  (*c)->Inc({"a"}, -1);
  (*c)->Set({"a"}, 7);
  (*c)->Observe({"a"}, 1);
  EXPECT_EQ((*c)->Value({"a"}), 0);
  EXPECT_EQ(r.Render(), "# HELP c_total C.\n# TYPE c_total counter\n");
}

TEST(MetricsRegistry, RejectsInvalidAndConflictingSpecs) {
  MetricsRegistry r;
  EXPECT_EQ(r.Register({"1bad", "", MetricType::kCounter, {}, {}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.Register({"ok", "", MetricType::kCounter, {"bad-label"}, {}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r.Register({"h", "", MetricType::kHistogram, {"le"}, {1}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.Register({"h", "", MetricType::kHistogram, {}, {2, 1}}).status().code(), StatusCode::kInvalidArgument);
  auto first = r.Register({"dup", "help", MetricType::kCounter, {}, {}});
  ASSERT_TRUE(first.ok());
  auto again = r.Register({"dup", "help", MetricType::kCounter, {}, {}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*first, *again);
  auto clash = r.Register({"dup", "help", MetricType::kGauge, {}, {}});
  ASSERT_FALSE(clash.ok());
  EXPECT_TRUE(Contains(clash.status().message(), "already registered"));
}

TEST(MetricsRegistry, FormatsValues) {
  EXPECT_EQ(FormatPrometheusValue(3), "3");
  EXPECT_EQ(FormatPrometheusValue(0.25), "0.25");
  EXPECT_EQ(FormatPrometheusValue(1e-8), "1e-08");
  EXPECT_EQ(FormatPrometheusValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatPrometheusValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatPrometheusValue(0.0 / 0.0), "NaN");
}

TEST(RuntimeMetrics, TableIsValidAndUsesControllerRuntimeNames) {
  MetricsRegistry r;
  ASSERT_TRUE(RegisterRuntimeMetrics(r).ok());
  ASSERT_TRUE(RegisterRuntimeMetrics(r).ok()) << "registering twice must be harmless";
  const std::string text = r.Render();
  for (const char* line :
       {"# TYPE controller_runtime_reconcile_total counter", "# TYPE controller_runtime_reconcile_errors_total counter",
        "# TYPE controller_runtime_reconcile_time_seconds histogram", "# TYPE workqueue_depth gauge",
        "# TYPE workqueue_adds_total counter", "# TYPE workqueue_queue_duration_seconds histogram",
        "# TYPE workqueue_work_duration_seconds histogram", "# TYPE workqueue_retries_total counter",
        "# TYPE rest_client_requests_total counter"}) {
    EXPECT_TRUE(Contains(text, line)) << line;
  }
}

TEST(RuntimeMetrics, RecordReconcileCountsResultsErrorsAndTime) {
  MetricsRegistry r;
  RecordReconcile(r, "datanode", ReconcileOutcome::kSuccess, 0.02);
  RecordReconcile(r, "datanode", ReconcileOutcome::kError, 0.3);
  RecordReconcile(r, "datanode", ReconcileOutcome::kError, 0.3);
  RecordReconcile(r, "datanode", ReconcileOutcome::kRequeueAfter, 0.001);
  RecordReconcile(r, "datanode", ReconcileOutcome::kRequeue, 0.001);
  const std::string text = r.Render();
  EXPECT_TRUE(Contains(text, "controller_runtime_reconcile_total{controller=\"datanode\",result=\"success\"} 1\n"));
  EXPECT_TRUE(Contains(text, "controller_runtime_reconcile_total{controller=\"datanode\",result=\"error\"} 2\n"));
  EXPECT_TRUE(
      Contains(text, "controller_runtime_reconcile_total{controller=\"datanode\",result=\"requeue_after\"} 1\n"));
  EXPECT_TRUE(Contains(text, "controller_runtime_reconcile_total{controller=\"datanode\",result=\"requeue\"} 1\n"));
  EXPECT_TRUE(Contains(text, "controller_runtime_reconcile_errors_total{controller=\"datanode\"} 2\n"));
  EXPECT_TRUE(Contains(text, "controller_runtime_reconcile_time_seconds_count{controller=\"datanode\"} 5\n"));
  EXPECT_TRUE(
      Contains(text, "controller_runtime_reconcile_time_seconds_bucket{controller=\"datanode\",le=\"0.005\"} 2\n"));
  EXPECT_TRUE(
      Contains(text, "controller_runtime_reconcile_time_seconds_bucket{controller=\"datanode\",le=\"0.25\"} 3\n"));
}

TEST(RuntimeMetrics, RestClientRequests) {
  MetricsRegistry r;
  RecordRestClientRequest(r, 200, "GET");
  RecordRestClientRequest(r, 200, "GET");
  RecordRestClientRequest(r, 409, "PUT");
  RecordRestClientRequest(r, 0, "POST");
  const std::string text = r.Render();
  EXPECT_TRUE(Contains(text, "rest_client_requests_total{code=\"200\",method=\"GET\"} 2\n"));
  EXPECT_TRUE(Contains(text, "rest_client_requests_total{code=\"409\",method=\"PUT\"} 1\n"));
  EXPECT_TRUE(Contains(text, "rest_client_requests_total{code=\"<error>\",method=\"POST\"} 1\n"));
  RecordRestClientRequest(201, "POST");
  EXPECT_TRUE(Contains(DefaultMetricsRegistry().Render(), "rest_client_requests_total{code=\"201\",method=\"POST\"}"));
}

TEST(RuntimeMetrics, WorkQueueRecorderFeedsTheWorkqueueMetrics) {
  MetricsRegistry r;
  FakeClock clock;
  WorkQueueMetricsRecorder recorder(r, "datanode");
  WorkQueue<std::string> q(clock, nullptr, &recorder);
  EXPECT_TRUE(Contains(r.Render(), "workqueue_depth{name=\"datanode\"} 0\n"));
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_TRUE(Contains(r.Render(), "workqueue_depth{name=\"datanode\"} 2\n"));
  EXPECT_TRUE(Contains(r.Render(), "workqueue_adds_total{name=\"datanode\"} 2\n"));
  clock.Advance(std::chrono::milliseconds(20));
  ASSERT_EQ(q.Get(), "a");
  clock.Advance(std::chrono::seconds(2));
  q.Done("a");
  q.AddRateLimited("a");
  const std::string text = r.Render();
  EXPECT_TRUE(Contains(text, "workqueue_depth{name=\"datanode\"} 1\n"));
  EXPECT_TRUE(Contains(text, "workqueue_retries_total{name=\"datanode\"} 1\n"));
  // 20 ms in the queue: first counted in the 0.1 s bucket; 2 s of work: in the 10 s bucket.
  EXPECT_TRUE(Contains(text, "workqueue_queue_duration_seconds_bucket{name=\"datanode\",le=\"0.01\"} 0\n"));
  EXPECT_TRUE(Contains(text, "workqueue_queue_duration_seconds_bucket{name=\"datanode\",le=\"0.1\"} 1\n"));
  EXPECT_TRUE(Contains(text, "workqueue_work_duration_seconds_bucket{name=\"datanode\",le=\"1\"} 0\n"));
  EXPECT_TRUE(Contains(text, "workqueue_work_duration_seconds_bucket{name=\"datanode\",le=\"10\"} 1\n"));
  EXPECT_TRUE(Contains(text, "workqueue_work_duration_seconds_sum{name=\"datanode\"} 2\n"));
}

}  // namespace
}  // namespace oncoatlas::kube
