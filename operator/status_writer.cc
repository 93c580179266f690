#include "status_writer.h"

#include "object_lookup.h"

namespace oncoatlas::op {

Result<bool> WriteStatusIfChanged(StatusWriter& writer, const kube::GroupVersionResource& gvr,
                                  const nlohmann::json& object, const nlohmann::json& status) {
  const auto current = object.find("status");
  if (current != object.end() && *current == status) return false;
  Status written = writer.Write(gvr, object, status);
  if (!written.ok()) return written;
  return true;
}

RestStatusWriter::RestStatusWriter(kube::RestClient& client, std::string field_manager, kube::MetricsRegistry& metrics)
    : client_(client), field_manager_(std::move(field_manager)) {
  auto family = metrics.Register({.name = "oncoatlas_operator_status_writes_total",
                                  .help = "Status subresource writes the operator sent, by resource.",
                                  .type = kube::MetricType::kCounter,
                                  .label_names = {"resource"},
                                  .buckets = {}});
  writes_ = family.ok() ? *family : nullptr;
}

Status RestStatusWriter::Write(const kube::GroupVersionResource& gvr, const nlohmann::json& object,
                               const nlohmann::json& status) {
  nlohmann::json updated = object;
  updated["status"] = status;
  if (writes_ != nullptr) writes_->Inc({gvr.resource});
  auto result = client_.UpdateStatus(gvr, kube::NamespaceOf(object), updated, {.field_manager = field_manager_});
  if (!result.ok()) return result.error().status();
  return Status::Ok();
}

Status FakeStatusWriter::Write(const kube::GroupVersionResource& gvr, const nlohmann::json& object,
                               const nlohmann::json& status) {
  std::lock_guard<std::mutex> l(mu_);
  if (!fail_next_.ok()) {
    Status failure = fail_next_;
    fail_next_ = Status::Ok();
    return failure;
  }
  writes_.push_back({gvr.resource, kube::NamespaceOf(object), kube::NameOf(object), status});
  return Status::Ok();
}

std::vector<FakeStatusWriter::RecordedWrite> FakeStatusWriter::writes() const {
  std::lock_guard<std::mutex> l(mu_);
  return writes_;
}

void FakeStatusWriter::FailNextWith(Status status) {
  std::lock_guard<std::mutex> l(mu_);
  fail_next_ = std::move(status);
}

}  // namespace oncoatlas::op
