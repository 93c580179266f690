#include "manager.h"

#include <unistd.h>

#include <set>

#include <spdlog/spdlog.h>

#include "object_cache.h"

namespace oncoatlas::op {
namespace {

constexpr char kFieldManager[] = "oncoatlas-operator";
// Caches re-announce every object this often, so a missed decision is re-made.
constexpr std::chrono::hours kResyncPeriod{10};

std::string CacheKey(const kube::GroupVersionResource& gvr, const std::vector<std::string>& namespaces,
                     const CacheScope& scope) {
  std::set<std::string> sorted(namespaces.begin(), namespaces.end());
  std::string key = gvr.Name() + "?" + scope.label_selector + "?" + scope.field_selector;
  if (gvr.namespaced) {
    for (const std::string& ns : sorted) key += "|" + ns;
  }
  return key;
}

// A unique identity for this candidate: the pod name when set, else the host
// name, plus the process id.
std::string CandidateIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  const char* pod = std::getenv("POD_NAME");
  std::string base = pod != nullptr && *pod != '\0' ? pod : (host[0] != '\0' ? host : "oncoatlas-operator");
  return base + "_" + std::to_string(getpid());
}

}  // namespace

std::vector<kube::Request> SelfRequest(const nlohmann::json& object) {
  const std::string name = kube::NameOf(object);
  if (name.empty()) return {};
  return {kube::Request{kube::NamespaceOf(object), name}};
}

Manager::Manager(OperatorOptions options, std::shared_ptr<kube::RestClient> client)
    : options_(std::move(options)),
      client_(std::move(client)),
      operator_namespace_(options_.operator_namespace.empty() ? client_->config().namespace_name
                                                              : options_.operator_namespace),
      metrics_(kube::DefaultMetricsRegistry()),
      status_writer_(*client_, kFieldManager, metrics_),
      event_sink_(*client_, {.field_manager = kFieldManager}),
      recorder_({.component = "oncoatlas-operator"}, event_sink_) {}

Manager::~Manager() {
  StopControllers();
  if (elector_) elector_->Stop();
  for (auto& [key, cache] : caches_) cache->Stop();
}

ObjectCache& Manager::CacheFor(const kube::GroupVersionResource& gvr, const CacheScope& scope) {
  std::vector<std::string> effective = scope.namespaces.empty() ? options_.namespaces : scope.namespaces;
  if (effective.empty()) effective = kAllNamespaces;
  const std::string key = CacheKey(gvr, effective, scope);
  auto it = caches_.find(key);
  if (it == caches_.end()) {
    it = caches_
             .emplace(key, std::make_unique<ObjectCache>(
                               *client_, gvr, effective, scope.label_selector, scope.field_selector,
                               std::chrono::duration_cast<std::chrono::milliseconds>(kResyncPeriod)))
             .first;
  }
  return *it->second;
}

const ObjectLookup& Manager::Cache(const kube::GroupVersionResource& gvr, const CacheScope& scope) {
  return CacheFor(gvr, scope);
}

kube::Controller& Manager::AddController(const std::string& name, std::unique_ptr<kube::Reconciler> reconciler) {
  Registered r;
  r.name = name;
  r.reconciler = std::move(reconciler);
  kube::ControllerOptions controller_options;
  controller_options.name = name;
  controller_options.workers = options_.workers;
  controller_options.metrics = &metrics_;
  r.controller = std::make_unique<kube::Controller>(controller_options, *r.reconciler);
  controllers_.push_back(std::move(r));
  return *controllers_.back().controller;
}

void Manager::Watch(const kube::GroupVersionResource& gvr, kube::Controller& controller, MapFunc map,
                    const CacheScope& scope) {
  CacheFor(gvr, scope)
      .AddHandler(
          [&controller, map = std::move(map)](const nlohmann::json& old_object, const nlohmann::json& new_object) {
            for (const nlohmann::json* object : {&old_object, &new_object}) {
              if (object->is_null()) continue;
              for (const kube::Request& r : map(*object)) controller.Enqueue(r);
            }
          });
}

bool Manager::CachesSynced() const {
  for (const auto& [key, cache] : caches_) {
    if (!cache->HasSynced()) return false;
  }
  return true;
}

bool Manager::StartServers() {
  if (options_.metrics_address.enabled()) {
    metrics_server_ = std::make_unique<kube::HealthServer>(
        kube::HealthServerOptions{options_.metrics_address.host,
                                  static_cast<std::uint16_t>(options_.metrics_address.port)},
        &metrics_);
    Status started = metrics_server_->Start();
    if (!started.ok()) {
      spdlog::error("cannot serve metrics ({}); choose a free address with --metrics-bind-address", started.ToString());
      return false;
    }
    spdlog::info("serving /metrics on {}:{}", options_.metrics_address.host, metrics_server_->port());
  }
  if (options_.health_address.enabled()) {
    health_server_ = std::make_unique<kube::HealthServer>(
        kube::HealthServerOptions{options_.health_address.host,
                                  static_cast<std::uint16_t>(options_.health_address.port)},
        nullptr);
    health_server_->AddHealthCheck("ping", [] { return Status::Ok(); });
    health_server_->AddReadinessCheck("informer-sync", [this] {
      return CachesSynced() ? Status::Ok() : UnavailableError("the caches have not listed every resource yet");
    });
    Status started = health_server_->Start();
    if (!started.ok()) {
      spdlog::error("cannot serve health probes ({}); choose a free address with --health-probe-bind-address",
                    started.ToString());
      return false;
    }
    spdlog::info("serving /healthz and /readyz on {}:{}", options_.health_address.host, health_server_->port());
  }
  return true;
}

bool Manager::WaitForCaches() {
  std::unique_lock<std::mutex> l(mu_);
  while (!shutdown_requested_) {
    if (CachesSynced()) return true;
    cv_.wait_for(l, std::chrono::milliseconds(50));
  }
  return false;
}

void Manager::StartControllers() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (shutdown_requested_ || controllers_running_) return;
    for (Registered& r : controllers_) {
      Status started = r.controller->Start();
      if (!started.ok()) spdlog::error("controller {} did not start: {}", r.name, started.ToString());
    }
    // The caches' initial lists were enqueued while not leading; the workers
    // take them now, so every object is reconciled once at start.
    controllers_running_ = true;
  }
  spdlog::info("started {} controllers", controllers_.size());
}

void Manager::StopControllers() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!controllers_running_) return;
    controllers_running_ = false;
  }
  for (Registered& r : controllers_) r.controller->Stop();  // waits for the reconciles in flight
}

void Manager::RequestShutdown(int exit_code) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (shutdown_requested_) return;
    shutdown_requested_ = true;
    exit_code_ = exit_code;
  }
  cv_.notify_all();
}

int Manager::Run() {
  if (!StartServers()) return 1;
  for (auto& [key, cache] : caches_) cache->Start();
  if (WaitForCaches()) {
    spdlog::info("caches synced");
    if (options_.leader_elect) {
      const std::string lease_ns =
          options_.leader_election_namespace.empty() ? operator_namespace_ : options_.leader_election_namespace;
      lease_store_ =
          std::make_unique<kube::RestLeaseStore>(*client_, lease_ns, options_.leader_election_id, kFieldManager);
      kube::LeaderElectionConfig config;
      config.identity = CandidateIdentity();
      config.lease_duration = options_.lease_duration;
      config.renew_deadline = options_.renew_deadline;
      config.retry_period = options_.retry_period;
      // The elector's thread must keep renewing: Run's thread starts the controllers.
      config.on_started_leading = [this] {
        leading_ = true;
        std::lock_guard<std::mutex> l(mu_);
        start_requested_ = true;
        cv_.notify_all();
      };
      config.on_stopped_leading = [this] {
        if (!leading_.exchange(false)) return;
        std::lock_guard<std::mutex> l(mu_);
        if (shutdown_requested_) return;
        // Another process may be reconciling now; stop at once, as
        // controller-runtime does, and let the pod restart as a follower.
        spdlog::error("lost the leader Lease {}; exiting", options_.leader_election_id);
        shutdown_requested_ = true;
        exit_code_ = 1;
        cv_.notify_all();
      };
      elector_ = std::make_unique<kube::LeaderElector>(config, *lease_store_);
      spdlog::info("campaigning for Lease {}/{} as {}", lease_ns, options_.leader_election_id, config.identity);
      Status started = elector_->Start();
      if (!started.ok()) {
        spdlog::error("leader election did not start: {}", started.ToString());
        RequestShutdown(1);
      }
    } else {
      std::lock_guard<std::mutex> l(mu_);
      start_requested_ = true;
    }
  }

  {
    std::unique_lock<std::mutex> l(mu_);
    while (!shutdown_requested_) {
      if (start_requested_) {
        start_requested_ = false;
        l.unlock();
        StartControllers();
        l.lock();
        continue;
      }
      cv_.wait(l);
    }
  }
  spdlog::info("shutting down: finishing reconciles in flight");
  StopControllers();
  if (elector_) elector_->Stop();  // releases the Lease if we hold it
  for (auto& [key, cache] : caches_) cache->Stop();
  if (health_server_) health_server_->Stop();
  if (metrics_server_) metrics_server_->Stop();
  std::lock_guard<std::mutex> l(mu_);
  spdlog::info("stopped");
  return exit_code_;
}

}  // namespace oncoatlas::op
