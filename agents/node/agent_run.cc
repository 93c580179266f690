#include "node/agent_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "api/resources.h"
#include "dicom/dcmtk_deidentifier.h"
#include "index/sqlite_index.h"
#include "kube/backoff.h"
#include "kube/client_config.h"
#include "kube/health_server.h"
#include "kube/informer.h"
#include "kube/rest_client.h"
#include "kube/rest_lease_store.h"
#include "node/agent_metrics.h"
#include "node/dataset_controller.h"
#include "node/dataset_hub.h"
#include "node/heartbeat.h"
#include "store/blob_store.h"

namespace oncoatlas::agent {
namespace {

constexpr std::chrono::seconds kInitialBackoff(1);
constexpr std::chrono::seconds kFirstCheckWait(10);

}  // namespace

class AgentRun::Impl {
 public:
  Impl(AgentConfig config, kube::Clock& clock, std::unique_ptr<PacsChecker> checker)
      : config_(std::move(config)), clock_(clock), checker_(std::move(checker)) {
    if (!checker_) {
      const auto timeout = std::min<std::chrono::milliseconds>(
          std::chrono::seconds(10), std::chrono::seconds(config_.pacs.check_interval_seconds));
      checker_ = MakePacsChecker(config_.pacs, timeout);
    }
    identity_.node = config_.node;
    identity_.holder_identity = HolderIdentity(config_.node);
    identity_.lease_name = config_.hub.heartbeat.lease_name;
    identity_.namespace_name = config_.hub.namespace_name;
    identity_.lease_duration_seconds = config_.hub.heartbeat.lease_duration_seconds;
  }

  ~Impl() { Stop(); }

  Status Start() {
    auto bind = ParseBindAddress(config_.server.health_bind_address, "server.healthBindAddress");
    if (!bind.ok()) return bind.status();
    health_ = std::make_unique<kube::HealthServer>(
        kube::HealthServerOptions{bind->host, static_cast<std::uint16_t>(bind->port)}, &AgentMetrics());
    health_->AddHealthCheck("ping", [] { return Status::Ok(); });
    health_->AddReadinessCheck("hub", [this] {
      std::lock_guard<std::mutex> lock(mu_);
      return hub_ready_ ? Status::Ok() : UnavailableError(hub_error_);
    });
    ONCOATLAS_RETURN_IF_ERROR(OpenStore());
    ONCOATLAS_RETURN_IF_ERROR(health_->Start());
    spdlog::info(
        "oncoatlas-agent {} running for node {}: hub namespace {}, heartbeat Lease {} every {}s, PACS {}, "
        "store {}, health on {}:{}",
        kAgentVersion, config_.node, config_.hub.namespace_name, config_.hub.heartbeat.lease_name,
        config_.hub.heartbeat.renew_interval_seconds, DescribePacs(config_.pacs), config_.store_path, bind->host,
        health_->port());
    for (const std::string& key : config_.unknown_keys) {
      spdlog::warn("agent.yaml: ignoring unknown key {} (a typo, or a newer operator than this agent)", key);
    }
    pacs_thread_ = std::thread([this] { PacsLoop(); });
    hub_thread_ = std::thread([this] { HubLoop(); });
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    if (pacs_thread_.joinable()) pacs_thread_.join();
    if (hub_thread_.joinable()) hub_thread_.join();
    if (controller_) controller_->Stop();
    if (datasets_) datasets_->Stop();
    if (health_) health_->Stop();
    spdlog::info("oncoatlas-agent stopped");
  }

  int health_port() const { return health_ ? health_->port() : 0; }

 private:
  // Waits until `deadline`, Stop, or (when `wake_on_pacs`) a changed PACS
  // state. Returns false when stopping.
  bool Wait(kube::Clock::TimePoint deadline, bool wake_on_pacs) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_ && clock_.Now() < deadline && !(wake_on_pacs && pacs_changed_)) {
      clock_.WaitUntil(lock, cv_, deadline);
    }
    return !stopping_;
  }

  void PacsLoop() {
    const auto interval = std::chrono::seconds(config_.pacs.check_interval_seconds);
    for (;;) {
      const auto next = clock_.Now() + interval;
      PacsCheckResult r = checker_->Check();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        const bool changed = !pacs_.checked_at || r.reachable != pacs_.reachable || r.message != pacs_.message;
        pacs_ = PacsStatus{r.reachable, r.message, clock_.WallNow()};
        if (auto* g = AgentMetricsFamilies().pacs_reachable) g->Set({}, r.reachable ? 1 : 0);
        if (changed) {
          if (r.reachable) {
            spdlog::info("PACS reachable: {}", r.message);
          } else {
            spdlog::warn("PACS unreachable: {}", r.message);
          }
          pacs_changed_ = true;
        }
      }
      cv_.notify_all();
      if (!Wait(next, false)) return;
    }
  }

  // The index and the content-addressed store under store.path, and the
  // DICOM library the de-identification engine needs.
  Status OpenStore() {
    ONCOATLAS_RETURN_IF_ERROR(dicom::InitDicomLibrary());
    std::error_code ec;
    std::filesystem::create_directories(config_.store_path, ec);
    if (ec) {
      return InvalidArgumentError("store.path " + config_.store_path + " cannot be created: " + ec.message() +
                                  "; give the agent a writable volume there");
    }
    auto index = SqliteIndex::Open(config_.store_path + "/index.sqlite");
    if (!index.ok()) return index.status().WithContext("store.path");
    index_ = std::move(index).value();
    auto store = FileBlobStore::Open(config_.store_path + "/objects");
    if (!store.ok()) return store.status().WithContext("store.path");
    store_ = std::move(store).value();
    return Status::Ok();
  }

  Status EnsureClient() {
    if (client_) return Status::Ok();
    kube::KubeconfigOptions options;
    options.path = config_.hub.kubeconfig;
    auto cfg = kube::LoadKubeconfig(options);
    if (!cfg.ok()) return cfg.status().WithContext("loading the hub kubeconfig " + config_.hub.kubeconfig);
    cfg->user_agent = std::string("oncoatlas-agent/") + kAgentVersion;
    server_ = cfg->ServerUrl();
    auto client = kube::RestClient::Create(*cfg);
    if (!client.ok()) return client.status().WithContext("hub client from " + config_.hub.kubeconfig);
    client_ = std::move(client).value();
    leases_ = std::make_unique<kube::RestLeaseStore>(*client_, config_.hub.namespace_name,
                                                     config_.hub.heartbeat.lease_name, "oncoatlas-agent");
    heartbeat_ = std::make_unique<Heartbeat>(*leases_, identity_);
    kube::ReflectorOptions watch;
    watch.resource = api::kDatasets;
    watch.namespace_name = config_.hub.namespace_name;
    datasets_ = std::make_unique<kube::Informer>(*client_, watch);
    dataset_hub_ = MakeRestDatasetHub(*client_, config_.hub.namespace_name);
    DatasetControllerOptions dco;
    dco.pacs = config_.pacs;
    dco.namespace_name = config_.hub.namespace_name;
    dco.spool_dir = config_.store_path + "/spool";
    ingestion_ = MakeIngestionBackend(config_.pacs, *store_, *index_);
    controller_ = std::make_unique<DatasetController>(dco, datasets_->store(), *dataset_hub_, *index_, *store_,
                                                      *ingestion_, clock_);
    datasets_->AddHandler(controller_.get());
    if (Status s = controller_->Start(); !s.ok()) spdlog::error("the Dataset controller: {}", s.ToString());
    datasets_->Start();
    spdlog::info("hub client for {} from {}; watching Datasets in namespace {}", server_, config_.hub.kubeconfig,
                 config_.hub.namespace_name);
    return Status::Ok();
  }

  std::string Explain(const Status& e) const {
    const std::string lease = "Lease " + config_.hub.namespace_name + "/" + config_.hub.heartbeat.lease_name;
    if (e.code() == StatusCode::kUnauthenticated) {
      return "the hub " + server_ +
             " rejected the agent's token (401 Unauthorized): it expired or was revoked; the "
             "operator renews it in Secret oncoatlas-agent-" +
             config_.node + "-hub (key token)";
    }
    if (e.code() == StatusCode::kPermissionDenied) {
      return "the hub " + server_ + " denied renewing the heartbeat " + lease + " (403 Forbidden: " + e.message() +
             "); check Role and RoleBinding oncoatlas-agent in namespace " + config_.hub.namespace_name;
    }
    return "renewing the heartbeat " + lease + " on " + (server_.empty() ? "the hub" : server_) +
           " failed: " + e.message();
  }

  void HubLoop() {
    const auto renew = std::chrono::seconds(config_.hub.heartbeat.renew_interval_seconds);
    kube::Backoff backoff(kInitialBackoff, renew);
    // The first heartbeat carries the first PACS check's result rather than
    // "not checked yet", unless that check takes longer than a check may.
    if (!Wait(clock_.Now() + kFirstCheckWait, true)) return;
    for (;;) {
      PacsStatus pacs;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        pacs = pacs_;
        pacs_changed_ = false;
      }
      Status connected = EnsureClient();
      std::string error;
      if (!connected.ok()) {
        error = connected.message();
      } else {
        auto r = heartbeat_->Renew(pacs, clock_.WallNow());
        if (!r.ok()) error = Explain(r.status());
      }
      const AgentMetricFamilies& m = AgentMetricsFamilies();
      if (m.heartbeat_renewals) m.heartbeat_renewals->Inc({error.empty() ? "success" : "error"});
      if (m.hub_connected) m.hub_connected->Set({}, error.empty() ? 1 : 0);
      kube::Clock::TimePoint next;
      bool ready = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (error.empty()) {
          if (!hub_ready_) {
            spdlog::info("connected to the hub {}: heartbeat Lease {}/{} renewed as {}", server_,
                         config_.hub.namespace_name, config_.hub.heartbeat.lease_name, identity_.holder_identity);
          }
          hub_ready_ = true;
          hub_error_.clear();
          backoff.Reset();
          next = clock_.Now() + renew;
        } else {
          hub_ready_ = false;
          hub_error_ = error;
          const kube::Clock::Duration wait = backoff.Next();
          spdlog::warn("{}; retrying in {}s", error, std::chrono::duration_cast<std::chrono::seconds>(wait).count());
          next = clock_.Now() + wait;
        }
        ready = hub_ready_;
      }
      if (!Wait(next, ready)) return;
    }
  }

  const AgentConfig config_;
  kube::Clock& clock_;
  std::unique_ptr<PacsChecker> checker_;
  HeartbeatIdentity identity_;
  std::unique_ptr<kube::HealthServer> health_;

  std::mutex mu_;
  std::condition_variable_any cv_;
  bool stopping_ = false;                                       // GUARDED_BY(mu_)
  bool pacs_changed_ = false;                                   // GUARDED_BY(mu_)
  PacsStatus pacs_;                                             // GUARDED_BY(mu_)
  bool hub_ready_ = false;                                      // GUARDED_BY(mu_)
  std::string hub_error_ = "the hub has not been reached yet";  // GUARDED_BY(mu_)

  // Hub thread only (created there, read by Stop after the join).
  std::string server_;
  std::unique_ptr<kube::RestClient> client_;
  std::unique_ptr<kube::LeaseStore> leases_;
  std::unique_ptr<Heartbeat> heartbeat_;
  std::unique_ptr<kube::Informer> datasets_;
  std::unique_ptr<DatasetHub> dataset_hub_;
  std::unique_ptr<IngestionBackend> ingestion_;
  std::unique_ptr<DatasetController> controller_;

  // Opened by Start.
  std::unique_ptr<SqliteIndex> index_;
  std::unique_ptr<FileBlobStore> store_;

  std::thread pacs_thread_;
  std::thread hub_thread_;
};

AgentRun::AgentRun(AgentConfig config, kube::Clock& clock, std::unique_ptr<PacsChecker> checker)
    : impl_(std::make_unique<Impl>(std::move(config), clock, std::move(checker))) {}
AgentRun::~AgentRun() = default;
Status AgentRun::Start() { return impl_->Start(); }
void AgentRun::Stop() { impl_->Stop(); }
int AgentRun::health_port() const { return impl_->health_port(); }

}  // namespace oncoatlas::agent
