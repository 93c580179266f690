#include "kube/controller.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "kube/log_redaction.h"
#include "kube/object_meta.h"

namespace oncoatlas::kube {

std::string Request::ToString() const { return ns.empty() ? name : ns + "/" + name; }

std::size_t RequestHash::operator()(const Request& r) const noexcept {
  const std::size_t a = std::hash<std::string>{}(r.ns);
  const std::size_t b = std::hash<std::string>{}(r.name);
  return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
}

Controller::Controller(ControllerOptions options, Reconciler& reconciler)
    : options_(std::move(options)),
      reconciler_(reconciler),
      clock_(options_.clock ? *options_.clock : DefaultClock()),
      metrics_(options_.metrics ? *options_.metrics : DefaultMetricsRegistry()),
      logger_(options_.logger ? options_.logger : spdlog::default_logger()),
      queue_metrics_(metrics_, options_.name),
      queue_(clock_, NewControllerRateLimiter<Request, RequestHash>(clock_, options_.rate_limits), &queue_metrics_) {}

Controller::~Controller() { Stop(); }

void Controller::Enqueue(const Request& request) { queue_.Add(request); }

void Controller::EnqueueAfter(const Request& request, Clock::Duration delay) { queue_.AddAfter(request, delay); }

Status Controller::Start() {
  std::lock_guard<std::mutex> l(lifecycle_mu_);
  if (started_) return FailedPreconditionError("controller " + options_.name + " already started; it starts once");
  if (options_.workers < 1) {
    return InvalidArgumentError("controller " + options_.name + " needs at least one worker, got " +
                                std::to_string(options_.workers));
  }
  started_ = true;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
  logger_->info("controller {} started with {} workers", options_.name, options_.workers);
  return Status::Ok();
}

void Controller::Stop() {
  std::lock_guard<std::mutex> l(lifecycle_mu_);
  queue_.ShutDownWithDrain();
  for (std::thread& t : workers_) t.join();
  if (!workers_.empty()) logger_->info("controller {} stopped", options_.name);
  workers_.clear();
}

void Controller::Work() {
  while (std::optional<Request> request = queue_.Get()) {
    ReconcileOne(*request);
    queue_.Done(*request);
  }
}

void Controller::ReconcileOne(const Request& request) {
  const Clock::TimePoint start = clock_.Now();
  std::optional<ReconcileResult> result;
  try {
    result = reconciler_.Reconcile(request);
  } catch (const std::exception& e) {
    result = ReconcileResult::Error(InternalError(std::string("reconciler threw: ") + e.what()));
  } catch (...) {
    result = ReconcileResult::Error(InternalError("reconciler threw"));
  }
  const double seconds = std::chrono::duration<double>(clock_.Now() - start).count();

  ReconcileOutcome outcome = ReconcileOutcome::kSuccess;
  switch (result->kind()) {
    case ReconcileResult::Kind::kDone:
      queue_.Forget(request);
      break;
    case ReconcileResult::Kind::kRequeueAfter:
      if (result->delay().count() > 0) {
        queue_.Forget(request);
        queue_.AddAfter(request, result->delay());
        outcome = ReconcileOutcome::kRequeueAfter;
        break;
      }
      [[fallthrough]];  // no positive delay: an ordinary requeue
    case ReconcileResult::Kind::kRequeue:
      queue_.AddRateLimited(request);
      outcome = ReconcileOutcome::kRequeue;
      break;
    case ReconcileResult::Kind::kError:
      queue_.AddRateLimited(request);
      outcome = ReconcileOutcome::kError;
      logger_->error("controller {}: reconciling {} failed (retry {}): {}", options_.name, request.ToString(),
                     queue_.NumRequeues(request), RedactSecrets(result->status().ToString()));
      break;
    case ReconcileResult::Kind::kTerminalError:
      queue_.Forget(request);
      outcome = ReconcileOutcome::kError;
      if (MetricFamily* f = metrics_.Find(kTerminalReconcileErrorsTotal)) f->Inc({options_.name});
      logger_->error("controller {}: reconciling {} failed for good, not retrying: {}", options_.name,
                     request.ToString(), RedactSecrets(result->status().ToString()));
      break;
  }
  RecordReconcile(metrics_, options_.name, outcome, seconds);
}

namespace {

std::string_view GroupOf(std::string_view api_version) {
  const std::size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

const nlohmann::json* Field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string StringField(const nlohmann::json& object, const char* key) {
  const nlohmann::json* v = Field(object, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::vector<Request> OwnerRequests(const nlohmann::json& object, const OwnerMatch& match) {
  std::vector<Request> out;
  const nlohmann::json* refs = Field(MetadataOf(object), "ownerReferences");
  if (refs == nullptr || !refs->is_array()) return out;
  const std::string ns = match.owner_namespaced ? NamespaceOf(object) : std::string();
  for (const nlohmann::json& ref : *refs) {
    if (!ref.is_object()) continue;
    if (match.only_controller) {
      const nlohmann::json* controller = Field(ref, "controller");
      if (controller == nullptr || !controller->is_boolean() || !controller->get<bool>()) continue;
    }
    if (StringField(ref, "kind") != match.kind) continue;
    const std::string api_version = StringField(ref, "apiVersion");
    if (api_version.empty() || GroupOf(api_version) != match.api_group) continue;
    std::string name = StringField(ref, "name");
    if (name.empty()) continue;
    Request r{ns, std::move(name)};
    bool seen = false;
    for (const Request& o : out) seen = seen || o == r;
    if (!seen) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace oncoatlas::kube
