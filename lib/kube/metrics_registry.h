// MetricsRegistry: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format (version 0.0.4) for /metrics.
// Metric families are registered once from a MetricSpec (see runtime_metrics.h
// for the runtime's own, declared as data) and live as long as the registry.
// Threading: every method may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/thread_annotations.h"

namespace oncoatlas::kube {

enum class MetricType { kCounter, kGauge, kHistogram };

struct MetricSpec {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<std::string> label_names;
  std::vector<double> buckets;  // histogram upper bounds, strictly increasing; +Inf is implied

  bool operator==(const MetricSpec&) const = default;
};

// Bucket helpers, as in the Prometheus client libraries.
std::vector<double> ExponentialBuckets(double start, double factor, int count);
std::vector<double> LinearBuckets(double start, double width, int count);

// One metric name and all its labelled series. Calls whose number of label
// values differs from the spec's label names, or that do not fit the type
// (Set on a counter, a negative counter increment, Observe on a gauge), are
// ignored: labels are fixed by the spec, so such a call is a bug in the caller,
// and a metric must never take a process down.
class MetricFamily {
 public:
  explicit MetricFamily(MetricSpec spec);

  const MetricSpec& spec() const { return spec_; }

  void Inc(const std::vector<std::string>& label_values, double delta = 1);  // counter or gauge
  void Set(const std::vector<std::string>& label_values, double value);      // gauge
  void Observe(const std::vector<std::string>& label_values, double value);  // histogram

  // The current value of a counter or gauge series (0 if it has none), or a
  // histogram series' observation count.
  double Value(const std::vector<std::string>& label_values) const;

  // Appends the family in text exposition format.
  void Render(std::string& out) const;

 private:
  struct Series {
    double value = 0;
    std::vector<unsigned long long> bucket_counts;  // per bucket, not cumulative; last is +Inf
    double sum = 0;
    unsigned long long count = 0;
  };

  Series* SeriesFor(const std::vector<std::string>& label_values) REQUIRES(mu_);

  const MetricSpec spec_;
  mutable Mutex mu_;
  std::map<std::vector<std::string>, Series> series_ GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  // Registers a family. Registering the same spec again returns the existing
  // family; a different spec under a taken name, or an invalid name, label or
  // bucket list, is an InvalidArgument error naming the problem.
  Result<MetricFamily*> Register(const MetricSpec& spec);

  // The family called `name`, or nullptr.
  MetricFamily* Find(std::string_view name) const;

  // All families, sorted by name, in text exposition format.
  std::string Render() const;

 private:
  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>, std::less<>> families_ GUARDED_BY(mu_);
};

// The content type of Render()'s output.
inline constexpr char kPrometheusTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Escaping of the text format, exposed for tests.
std::string EscapePrometheusLabelValue(std::string_view value);
std::string FormatPrometheusValue(double value);

}  // namespace oncoatlas::kube
