// Controller: N worker threads take keys (Request) from a rate-limited work
// queue and call a Reconciler. A key is never reconciled by two workers at once,
// and keys added while queued or in progress are merged (see workqueue.h).
// Results: Done forgets the key's backoff; RequeueAfter(d) comes back after d;
// Error retries with per-key exponential backoff; TerminalError is logged and
// counted but not retried. Every reconcile updates the controller_runtime_*
// metrics. Threading: all methods are thread-safe; Stop stops accepting keys,
// waits for the reconciles in flight and joins the workers (it must not be
// called from a Reconcile).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <spdlog/logger.h>
#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "kube/clock.h"
#include "kube/metrics_registry.h"
#include "kube/runtime_metrics.h"
#include "kube/workqueue.h"
#include "kube/workqueue_rate_limiter.h"

namespace oncoatlas::kube {

// The key of an object to reconcile; namespace is empty for cluster-scoped kinds.
struct Request {
  std::string ns;
  std::string name;

  bool operator==(const Request&) const = default;
  // "namespace/name", or "name" when cluster-scoped.
  std::string ToString() const;
};

struct RequestHash {
  std::size_t operator()(const Request& r) const noexcept;
};

class ReconcileResult {
 public:
  enum class Kind { kDone, kRequeue, kRequeueAfter, kError, kTerminalError };

  static ReconcileResult Done() { return ReconcileResult(Kind::kDone, {}, Status::Ok()); }
  // Look again soon, with backoff, though nothing failed.
  static ReconcileResult Requeue() { return ReconcileResult(Kind::kRequeue, {}, Status::Ok()); }
  // Look again once `delay` has passed (waiting on time, e.g. an expiry).
  static ReconcileResult RequeueAfter(Clock::Duration delay) {
    return ReconcileResult(Kind::kRequeueAfter, delay, Status::Ok());
  }
  // Something failed that may pass: retry with backoff.
  static ReconcileResult Error(Status status) { return ReconcileResult(Kind::kError, {}, std::move(status)); }
  // Retrying cannot help (e.g. invalid spec): record it and stop until the key is added again.
  static ReconcileResult TerminalError(Status status) {
    return ReconcileResult(Kind::kTerminalError, {}, std::move(status));
  }

  Kind kind() const { return kind_; }
  Clock::Duration delay() const { return delay_; }
  const Status& status() const { return status_; }

 private:
  ReconcileResult(Kind kind, Clock::Duration delay, Status status)
      : kind_(kind), delay_(delay), status_(std::move(status)) {}
  Kind kind_;
  Clock::Duration delay_;
  Status status_;
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // Reads the world as it is now and moves it towards the desired state.
  // Called from worker threads, never twice at once for the same request.
  virtual ReconcileResult Reconcile(const Request& request) = 0;
};

struct ControllerOptions {
  std::string name;  // the `controller` and queue `name` label of the metrics
  int workers = 1;
  Clock* clock = nullptr;                  // DefaultClock() when null
  MetricsRegistry* metrics = nullptr;      // DefaultMetricsRegistry() when null
  std::shared_ptr<spdlog::logger> logger;  // spdlog's default logger when null
  ControllerRateLimiterOptions rate_limits;
};

class Controller {
 public:
  // `reconciler` must outlive the controller; so must options.clock and options.metrics.
  Controller(ControllerOptions options, Reconciler& reconciler);
  ~Controller();  // Stops.

  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  void Enqueue(const Request& request);
  void EnqueueAfter(const Request& request, Clock::Duration delay);

  // Starts the workers. Rejects a second start and workers < 1.
  Status Start();
  // Stops accepting keys, waits for the reconciles in flight, joins the workers.
  void Stop();

  WorkQueue<Request, RequestHash>& queue() { return queue_; }

 private:
  void Work();
  void ReconcileOne(const Request& request);

  const ControllerOptions options_;
  Reconciler& reconciler_;
  Clock& clock_;
  MetricsRegistry& metrics_;
  std::shared_ptr<spdlog::logger> logger_;
  WorkQueueMetricsRecorder queue_metrics_;
  WorkQueue<Request, RequestHash> queue_;
  std::mutex lifecycle_mu_;
  bool started_ = false;              // GUARDED_BY(lifecycle_mu_)
  std::vector<std::thread> workers_;  // GUARDED_BY(lifecycle_mu_)
};

// How an owned object maps to its owners' requests (for watches on owned objects).
struct OwnerMatch {
  std::string api_group;         // the owner's API group, "" for the core group
  std::string kind;              // the owner's kind, e.g. "DataNode"
  bool only_controller = true;   // only the ownerReference with controller: true
  bool owner_namespaced = true;  // the owner lives in the object's namespace; else cluster-scoped
};

// The requests of `object`'s owners that match. Anything malformed (not an
// object, no metadata, ownerReferences not a list, entries without a name)
// yields no request rather than an error: the object is not ours to judge.
std::vector<Request> OwnerRequests(const nlohmann::json& object, const OwnerMatch& match);

}  // namespace oncoatlas::kube
