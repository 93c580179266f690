// ConditionReconciler: the reconcile loop every controller of this operator
// shares — fetch the object from the cache (gone → done), let the kind's
// Assess decide its conditions (a pure decision over the cached world), set
// them with observedGeneration, write the status only if it changed, and emit
// an Event for each condition transition (Normal when it became True, Warning
// when False). A kind implements Assess only.
// Threading: Reconcile is called by the Controller's workers, never twice at
// once for one request; Assess must only read the lookups it was given.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/clock.h"
#include "kube/conditions.h"
#include "kube/controller.h"
#include "kube/event_recorder.h"
#include "kube/resource.h"
#include "object_lookup.h"
#include "status_writer.h"

namespace oncoatlas::op {

// What a reconciler needs from the process; every member must outlive it.
struct ReconcilerDeps {
  StatusWriter* status_writer = nullptr;
  kube::EventRecorder* events = nullptr;  // may be null: no Events
  kube::Clock* clock = nullptr;           // DefaultClock() when null
};

// A kind's decision about one object.
struct Assessment {
  std::vector<kube::ConditionSpec> conditions;
  // Status fields besides conditions and observedGeneration this reconciler
  // owns (e.g. datasetCount), merged into the status.
  nlohmann::json fields = nlohmann::json::object();
  // Look again after this long (e.g. when a validity window opens).
  std::optional<kube::Clock::Duration> requeue_after;
  // Whether this reconciler owns status.observedGeneration (and so sets it).
  // False where another writer reports on the spec, e.g. a Dataset, whose
  // status the node agent writes: the operator then sets only its own
  // conditions and leaves observedGeneration as the agent wrote it.
  bool owns_observed_generation = true;
};

class ConditionReconciler : public kube::Reconciler {
 public:
  // `objects` is the cache of the reconciled kind; it must outlive this.
  ConditionReconciler(kube::GroupVersionResource gvr, const ObjectLookup& objects, ReconcilerDeps deps);

  kube::ReconcileResult Reconcile(const kube::Request& request) final;

 protected:
  // Decides the object's conditions from the world as the caches show it now.
  virtual Assessment Assess(const nlohmann::json& object) = 0;
  kube::Clock& clock() const { return clock_; }

 private:
  const kube::GroupVersionResource gvr_;
  const ObjectLookup& objects_;
  const ReconcilerDeps deps_;
  kube::Clock& clock_;
};

// The ObjectReference of `object` for Events.
kube::ObjectReference ReferenceTo(const nlohmann::json& object);

// Records an Event about `object` for each of `changes` (as SetConditions
// returns them, filtered by the caller): Normal when the condition is now
// True, Warning otherwise; the reason and message are the condition's.
// `events` null: none. Failures are logged, except a full Event budget.
void RecordConditionEvents(kube::EventRecorder* events, const nlohmann::json& object,
                           const std::vector<kube::ConditionChange>& changes);

}  // namespace oncoatlas::op
