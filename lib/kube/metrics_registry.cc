#include "kube/metrics_registry.h"

#include <charconv>
#include <cmath>

namespace oncoatlas::kube {

namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool ValidMetricName(std::string_view n) {
  if (n.empty() || !(IsNameStart(n[0]) || n[0] == ':')) return false;
  for (char c : n) {
    if (!IsNameChar(c) && c != ':') return false;
  }
  return true;
}

bool ValidLabelName(std::string_view n) {
  if (n.empty() || !IsNameStart(n[0]) || n.substr(0, 2) == "__") return false;
  for (char c : n) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} — with an optional extra label (histograms' le) at the end.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += EscapePrometheusLabelValue(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

std::string EscapePrometheusLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatPrometheusValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> b;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) b.push_back(v);
  return b;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  std::vector<double> b;
  for (int i = 0; i < count; ++i) b.push_back(start + width * i);
  return b;
}

MetricFamily::MetricFamily(MetricSpec spec) : spec_(std::move(spec)) {
  // A family without labels has exactly one series, shown from the start.
  if (spec_.label_names.empty()) {
    MutexLock l(mu_);
    SeriesFor({});
  }
}

MetricFamily::Series* MetricFamily::SeriesFor(const std::vector<std::string>& label_values) {
  if (label_values.size() != spec_.label_names.size()) return nullptr;
  auto [it, inserted] = series_.try_emplace(label_values);
  if (inserted && spec_.type == MetricType::kHistogram) it->second.bucket_counts.assign(spec_.buckets.size() + 1, 0);
  return &it->second;
}

void MetricFamily::Inc(const std::vector<std::string>& label_values, double delta) {
  if (spec_.type == MetricType::kHistogram) return;
  if (spec_.type == MetricType::kCounter && !(delta >= 0)) return;
  MutexLock l(mu_);
  if (Series* s = SeriesFor(label_values)) s->value += delta;
}

void MetricFamily::Set(const std::vector<std::string>& label_values, double value) {
  if (spec_.type != MetricType::kGauge) return;
  MutexLock l(mu_);
  if (Series* s = SeriesFor(label_values)) s->value = value;
}

void MetricFamily::Observe(const std::vector<std::string>& label_values, double value) {
  if (spec_.type != MetricType::kHistogram || std::isnan(value)) return;
  MutexLock l(mu_);
  Series* s = SeriesFor(label_values);
  if (s == nullptr) return;
  std::size_t i = 0;
  while (i < spec_.buckets.size() && value > spec_.buckets[i]) ++i;
  ++s->bucket_counts[i];
  s->sum += value;
  ++s->count;
}

double MetricFamily::Value(const std::vector<std::string>& label_values) const {
  MutexLock l(mu_);
  auto it = series_.find(label_values);
  if (it == series_.end()) return 0;
  return spec_.type == MetricType::kHistogram ? static_cast<double>(it->second.count) : it->second.value;
}

void MetricFamily::Render(std::string& out) const {
  MutexLock l(mu_);
  out += "# HELP " + spec_.name + " " + EscapeHelp(spec_.help) + "\n";
  out += "# TYPE " + spec_.name + " " + TypeName(spec_.type) + "\n";
  for (const auto& [labels, s] : series_) {
    if (spec_.type != MetricType::kHistogram) {
      out += spec_.name + LabelSet(spec_.label_names, labels) + " " + FormatPrometheusValue(s.value) + "\n";
      continue;
    }
    unsigned long long cumulative = 0;
    for (std::size_t i = 0; i <= spec_.buckets.size(); ++i) {
      cumulative += s.bucket_counts[i];
      const std::string le = i < spec_.buckets.size() ? FormatPrometheusValue(spec_.buckets[i]) : "+Inf";
      out += spec_.name + "_bucket" + LabelSet(spec_.label_names, labels, "le", le) + " " + std::to_string(cumulative) +
             "\n";
    }
    out += spec_.name + "_sum" + LabelSet(spec_.label_names, labels) + " " + FormatPrometheusValue(s.sum) + "\n";
    out += spec_.name + "_count" + LabelSet(spec_.label_names, labels) + " " + std::to_string(s.count) + "\n";
  }
}

Result<MetricFamily*> MetricsRegistry::Register(const MetricSpec& spec) {
  if (!ValidMetricName(spec.name)) {
    return InvalidArgumentError("metric name \"" + spec.name +
                                "\" is not valid: use letters, digits, '_' and ':', not starting with a digit");
  }
  for (const std::string& label : spec.label_names) {
    if (!ValidLabelName(label)) {
      return InvalidArgumentError("label name \"" + label + "\" of metric " + spec.name +
                                  " is not valid: use letters, digits and '_', not starting with a digit or \"__\"");
    }
    if (spec.type == MetricType::kHistogram && label == "le") {
      return InvalidArgumentError("histogram " + spec.name + " may not have a label named \"le\": it is reserved");
    }
  }
  if (spec.type == MetricType::kHistogram) {
    for (std::size_t i = 0; i < spec.buckets.size(); ++i) {
      if (!std::isfinite(spec.buckets[i]) || (i > 0 && spec.buckets[i] <= spec.buckets[i - 1])) {
        return InvalidArgumentError("buckets of histogram " + spec.name +
                                    " must be finite and strictly increasing (+Inf is added by itself)");
      }
    }
  } else if (!spec.buckets.empty()) {
    return InvalidArgumentError("metric " + spec.name + " has buckets but is not a histogram");
  }

  MutexLock l(mu_);
  auto it = families_.find(spec.name);
  if (it != families_.end()) {
    if (it->second->spec() == spec) return it->second.get();
    return InvalidArgumentError("metric " + spec.name +
                                " is already registered with a different type, help, labels or buckets");
  }
  auto family = std::make_unique<MetricFamily>(spec);
  MetricFamily* raw = family.get();
  families_.emplace(spec.name, std::move(family));
  return raw;
}

MetricFamily* MetricsRegistry::Find(std::string_view name) const {
  MutexLock l(mu_);
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second.get();
}

std::string MetricsRegistry::Render() const {
  MutexLock l(mu_);
  std::string out;
  for (const auto& [name, family] : families_) family->Render(out);
  return out;
}

}  // namespace oncoatlas::kube
