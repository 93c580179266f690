// StatusWriter: how reconcilers write an object's status — through the status
// subresource, guarded by the resourceVersion they read (a stale read loses
// with Conflict and is retried), and only when the status changed, so a
// reconcile that changes nothing writes nothing. RestStatusWriter is the real
// one; unit tests use FakeStatusWriter. Each write counts in
// oncoatlas_operator_status_writes_total{resource}.
// Threading: implementations are safe from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "kube/metrics_registry.h"
#include "kube/resource.h"
#include "kube/rest_client.h"

namespace oncoatlas::op {

class StatusWriter {
 public:
  virtual ~StatusWriter() = default;
  // Replaces the status of `object` (as read, with metadata.resourceVersion)
  // by `status`, unconditionally.
  virtual Status Write(const kube::GroupVersionResource& gvr, const nlohmann::json& object,
                       const nlohmann::json& status) = 0;
};

// Writes `status` only when it differs from object["status"]. Returns whether
// it wrote.
Result<bool> WriteStatusIfChanged(StatusWriter& writer, const kube::GroupVersionResource& gvr,
                                  const nlohmann::json& object, const nlohmann::json& status);

class RestStatusWriter final : public StatusWriter {
 public:
  // `client` and `metrics` must outlive the writer.
  RestStatusWriter(kube::RestClient& client, std::string field_manager, kube::MetricsRegistry& metrics);
  Status Write(const kube::GroupVersionResource& gvr, const nlohmann::json& object,
               const nlohmann::json& status) override;

 private:
  kube::RestClient& client_;
  const std::string field_manager_;
  kube::MetricFamily* writes_;  // null if registration failed
};

// Records writes in memory, for unit tests.
class FakeStatusWriter final : public StatusWriter {
 public:
  struct RecordedWrite {
    std::string resource;
    std::string ns;
    std::string name;
    nlohmann::json status;
  };
  Status Write(const kube::GroupVersionResource& gvr, const nlohmann::json& object,
               const nlohmann::json& status) override;
  std::vector<RecordedWrite> writes() const;
  void FailNextWith(Status status);

 private:
  mutable std::mutex mu_;
  std::vector<RecordedWrite> writes_;  // GUARDED_BY(mu_)
  Status fail_next_;                   // GUARDED_BY(mu_)
};

}  // namespace oncoatlas::op
