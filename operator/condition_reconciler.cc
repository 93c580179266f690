#include "condition_reconciler.h"

#include <spdlog/spdlog.h>

namespace oncoatlas::op {

kube::ObjectReference ReferenceTo(const nlohmann::json& object) {
  kube::ObjectReference ref;
  ref.api_version = object.value("apiVersion", "");
  ref.kind = object.value("kind", "");
  ref.ns = kube::NamespaceOf(object);
  ref.name = kube::NameOf(object);
  ref.uid = kube::UidOf(object);
  return ref;
}

ConditionReconciler::ConditionReconciler(kube::GroupVersionResource gvr, const ObjectLookup& objects,
                                         ReconcilerDeps deps)
    : gvr_(std::move(gvr)),
      objects_(objects),
      deps_(deps),
      clock_(deps.clock != nullptr ? *deps.clock : kube::DefaultClock()) {}

kube::ReconcileResult ConditionReconciler::Reconcile(const kube::Request& request) {
  const ObjectPtr object = objects_.Get(request.ns, request.name);
  if (object == nullptr) return kube::ReconcileResult::Done();  // deleted: nothing of ours to clean up
  if (kube::IsBeingDeleted(*object)) {
    return kube::ReconcileResult::Done();  // being deleted: no finalizers of ours, nothing to report
  }

  Assessment assessment = Assess(*object);
  nlohmann::json status = object->value("status", nlohmann::json::object());
  if (!status.is_object()) status = nlohmann::json::object();
  for (auto it = assessment.fields.begin(); it != assessment.fields.end(); ++it) status[it.key()] = *it;
  std::vector<kube::ConditionChange> changes =
      kube::SetConditions(status, assessment.conditions, kube::GenerationOf(*object), clock_.WallNow());
  if (assessment.owns_observed_generation) status["observedGeneration"] = kube::GenerationOf(*object);

  auto wrote = WriteStatusIfChanged(*deps_.status_writer, gvr_, *object, status);
  if (!wrote.ok()) {
    // A Conflict means our cached copy was stale: the watch brings the new
    // one and the retry decides again.
    return kube::ReconcileResult::Error(wrote.status().WithContext("writing the status of " + request.ToString()));
  }
  if (*wrote) {
    // A new reason under the same status is no transition.
    std::erase_if(changes, [](const kube::ConditionChange& c) { return !c.StatusChanged(); });
    RecordConditionEvents(deps_.events, *object, changes);
  }
  if (assessment.requeue_after) return kube::ReconcileResult::RequeueAfter(*assessment.requeue_after);
  return kube::ReconcileResult::Done();
}

void RecordConditionEvents(kube::EventRecorder* events, const nlohmann::json& object,
                           const std::vector<kube::ConditionChange>& changes) {
  if (events == nullptr) return;
  for (const kube::ConditionChange& c : changes) {
    const auto type = c.now.IsTrue() ? kube::EventType::kNormal : kube::EventType::kWarning;
    Status recorded = events->Record(ReferenceTo(object), type, c.now.reason, c.now.message);
    if (!recorded.ok() && recorded.code() != StatusCode::kResourceExhausted) {
      spdlog::warn("could not record Event {} for {} {}: {}", c.now.reason, object.value("kind", ""),
                   kube::NameOf(object), recorded.ToString());
    }
  }
}

}  // namespace oncoatlas::op
