#include "node/dataset_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "crypto/sha256.h"
#include "index/dataset_summary.h"
#include "ingest/exclusion_reason.h"
#include "kube/conditions.h"
#include "kube/object_meta.h"
#include "kube/rfc3339.h"
#include "node/agent_metrics.h"

namespace oncoatlas::agent {
namespace {

using nlohmann::json;

// The Dataset name and uid of an index name "<name>/<uid>/..."; nullopt for
// records of another shape (not a Dataset's: never touched).
std::optional<std::pair<std::string, std::string>> DatasetOfRecord(const std::string& index_name) {
  const size_t first = index_name.find('/');
  const size_t second = first == std::string::npos ? first : index_name.find('/', first + 1);
  if (second == std::string::npos) return std::nullopt;
  return std::make_pair(index_name.substr(0, first), index_name.substr(first + 1, second - first - 1));
}

}  // namespace

class DatasetController::Impl final : public kube::Reconciler {
  // What the controller remembers of one Dataset object (by namespace/name).
  struct Tracked {
    std::string uid;
    std::int64_t generation = -1;
    std::string index_name;
    // The key Secret (name, key) and its fingerprint, re-read every
    // key_check_interval once done, so a new key re-ingests without a restart.
    std::string key_secret_name, key_secret_key, key_fingerprint;
    kube::Clock::TimePoint key_check_at{};
    bool done = false;                  // nothing to do until the object changes
    bool ready = false;                 // index_name holds this generation's complete records
    kube::Clock::TimePoint retry_at{};  // with !done: not before
    kube::Clock::Duration backoff{};
    // spec.source.refreshInterval: once ready, query the source again at
    // refresh_at; `refreshing` while that pass (and its retries) runs.
    std::optional<kube::Clock::Duration> refresh_interval;
    kube::Clock::TimePoint refresh_at{};
    bool refreshing = false;
  };

 public:
  Impl(DatasetControllerOptions options, const kube::Store& datasets, DatasetHub& hub, ImagingIndex& index,
       BlobStore& store, IngestionBackend& backend, kube::Clock& clock)
      : options_(std::move(options)),
        datasets_(datasets),
        hub_(hub),
        index_(index),
        store_(store),
        backend_(backend),
        clock_(clock),
        // name, one worker (one ingestion at a time), clock, default metrics, logger, rate limits
        controller_(kube::ControllerOptions{"dataset", 1, &clock, nullptr, nullptr, {}}, *this) {}

  Status Start() { return controller_.Start(); }

  void Stop() {
    stopping_ = true;
    cancel_ = true;
    controller_.Stop();
  }

  void Enqueue(const json& object, const char* event) {
    spdlog::info("dataset {} {} (generation {})", kube::ObjectKey(object), event, kube::GenerationOf(object));
    controller_.Enqueue({kube::NamespaceOf(object), kube::NameOf(object)});
  }

  void OnSynced() {
    synced_ = true;
    spdlog::info("datasets in {}: {} listed", options_.namespace_name, datasets_.size());
    auto names = index_.ListDatasets();
    if (!names.ok()) {
      spdlog::warn("listing the index's datasets failed: {}", names.status().message());
      return;
    }
    for (const std::string& name : *names) {  // the queue holds each once
      if (auto dataset = DatasetOfRecord(name)) controller_.Enqueue({options_.namespace_name, dataset->first});
    }
  }

  kube::ReconcileResult Reconcile(const kube::Request& request) override {
    const std::string key = request.ToString();
    const kube::ObjectPtr object = datasets_.Get(key);
    if (object == nullptr) {
      tracked_.erase(key);
      if (synced_) RemoveStaleRecords(request.name, "", "");  // before the first list, absent means unknown
      return kube::ReconcileResult::Done();
    }
    Tracked& t = tracked_[key];
    if (t.uid != kube::UidOf(*object) || t.generation != kube::GenerationOf(*object)) {
      t = Tracked{};
      t.uid = kube::UidOf(*object);
      t.generation = kube::GenerationOf(*object);
    }
    if (t.done && KeyChanged(t)) {
      spdlog::info("Dataset {}: the pseudonymisation key changed; ingesting again under the new key", key);
      t.done = false;
      t.ready = false;
      t.retry_at = {};
    }
    if (t.done && t.ready && t.refresh_interval && clock_.Now() >= t.refresh_at) {
      spdlog::info("Dataset {}: querying the source again for new studies (spec.source.refreshInterval)", key);
      t.done = false;
      t.refreshing = true;
      t.retry_at = {};
    }
    if (!t.done && clock_.Now() >= t.retry_at) Pass(*object, t);
    RemoveStaleRecords(request.name, t.uid, t.ready ? t.index_name : "");

    // When to look again: a retry, else the key check and the next refresh.
    auto wake = t.done ? kube::Clock::TimePoint::max() : t.retry_at;
    if (t.done && !t.key_fingerprint.empty()) wake = t.key_check_at;
    if (t.done && t.ready && t.refresh_interval) wake = std::min(wake, t.refresh_at);
    // Due now: an interrupted pass, whose cause (a change, Stop) has enqueued it again.
    if (wake == kube::Clock::TimePoint::max() || wake <= clock_.Now()) return kube::ReconcileResult::Done();
    return kube::ReconcileResult::RequeueAfter(wake - clock_.Now());
  }

  // Whether the key Secret of a done Dataset now holds another usable key
  // (checked at most every key_check_interval).
  bool KeyChanged(Tracked& t) {
    if (t.key_fingerprint.empty() || clock_.Now() < t.key_check_at) return false;
    t.key_check_at = clock_.Now() + options_.key_check_interval;
    auto key = hub_.GetSecretValue(t.key_secret_name, t.key_secret_key);
    if (!key.ok() || key->size() < kMinPseudonymKeyBytes) return false;  // reported when it is next needed
    return crypto::Sha256Hex(*key) != t.key_fingerprint;
  }

  // Removes the index records of Dataset `dataset` but those of object `uid`
  // (all when empty) and, when `current` is set, those but `current`.
  void RemoveStaleRecords(const std::string& dataset, const std::string& uid, const std::string& current) {
    auto names = index_.ListDatasets();
    if (!names.ok()) {
      spdlog::warn("listing the index's datasets failed: {}", names.status().message());
      return;
    }
    for (const std::string& name : *names) {
      const auto of = DatasetOfRecord(name);
      if (!of || of->first != dataset) continue;
      if (uid.empty() || of->second != uid || (!current.empty() && name != current)) RemoveIndexName(name);
    }
  }

  // The spool folder of one dataset index (IngestionOptions::spool_dir), its
  // parent created private; empty when the agent has no spool.
  std::string SpoolDirOf(const std::string& index_name) const {
    if (options_.spool_dir.empty()) return {};
    std::error_code ec;
    std::filesystem::create_directories(options_.spool_dir, ec);
    if (!ec) {
      std::filesystem::permissions(options_.spool_dir, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    }
    if (ec) spdlog::warn("preparing the spool folder {} failed: {}", options_.spool_dir, ec.message());
    return (std::filesystem::path(options_.spool_dir) / crypto::Sha256Hex(index_name).substr(0, 32)).string();
  }

  void RemoveIndexName(const std::string& name) {
    auto dropped = index_.RemoveDataset(name);
    if (!dropped.ok()) {
      spdlog::warn("removing {} from the index failed: {}", name, dropped.status().message());
      return;
    }
    if (const std::string spool = SpoolDirOf(name); !spool.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(spool, ec);
      if (ec) spdlog::warn("removing the spool folder {} failed: {}", spool, ec.message());
    }
    for (const std::string& sha : *dropped) {
      Status s = store_.Remove(sha);
      if (!s.ok()) spdlog::warn("removing stored object {} failed: {}", sha, s.message());
    }
    spdlog::info("removed index records {} and {} stored objects no other dataset refers to", name, dropped->size());
  }

  Result<DatasetContent> ContentOf(const std::string& index_name) {
    DatasetContent c;
    auto counts = index_.Counts(index_name);
    if (!counts.ok()) return counts.status();
    c.counts = *counts;
    auto facets = index_.Facets(index_name);
    if (!facets.ok()) return facets.status();
    c.facets = std::move(facets).value();
    auto reasons = index_.QuarantineReasons(index_name);
    if (!reasons.ok()) return reasons.status();
    c.exclusions = ClassifyExclusions(*reasons);
    auto hashes = index_.InstanceHashes(index_name);
    if (!hashes.ok()) return hashes.status();
    auto root = MerkleRoot(std::move(hashes).value());
    if (!root.ok()) return root.status();
    c.digest = *root;
    return c;
  }

  // The status guard: every status the controller writes goes through here. It
  // builds the status from `o` over the one the hub holds and writes it when it
  // differs; with `throttle` (progress), at most once per progress_interval. A
  // final status (t.done) the hub did not take is written again after a backoff
  // (the index keeps what was ingested, so the retry fetches nothing twice). A
  // Dataset gone meanwhile is no failure: its deletion enqueues it.
  void Report(const std::string& name, Tracked& t, const DatasetObservation& o, ProgressThrottle* throttle = nullptr) {
    if (throttle != nullptr && !throttle->ShouldWrite(clock_.Now())) return;
    auto wrote = WriteDatasetStatus(hub_, name, [&](const json& dataset) {
      return BuildDatasetStatus(dataset.value("status", json::object()), o, clock_.WallNow());
    });
    if (wrote.ok() || wrote.status().code() == StatusCode::kNotFound) return;
    spdlog::warn("writing the status of Dataset {} failed: {}", name, RedactIdentifiers(wrote.status().message()));
    if (t.done) {
      t.done = false;
      t.ready = false;
      t.retry_at = clock_.Now() + NextBackoff(t);
    }
  }

  void Fail(const std::string& name, Tracked& t, DatasetObservation o, DatasetFailure failure, DatasetPhase phase,
            std::optional<kube::Clock::Duration> retry) {
    // "reason X." rather than "X: ...": the log redaction takes "...Secret...: word" for a credential.
    spdlog::warn("Dataset {} (generation {}) is {}, reason {}. {}", name, t.generation, PhaseName(phase),
                 failure.reason, failure.message);
    o.phase = phase;
    o.failure = std::move(failure);
    t.done = !retry;
    if (retry) {
      o.failure->message +=
          " Retrying in " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*retry).count()) + " s.";
      t.retry_at = clock_.Now() + *retry;
    }
    Report(name, t, o);
  }

  kube::Clock::Duration NextBackoff(Tracked& t) {
    t.backoff =
        t.backoff == kube::Clock::Duration{} ? options_.initial_backoff : std::min(t.backoff * 2, options_.max_backoff);
    return t.backoff;
  }

  void Pass(const json& object, Tracked& t) {
    const std::string name = kube::NameOf(object);
    DatasetObservation o;
    o.generation = t.generation;

    auto planned = PlanDataset(object, options_.pacs);
    if (auto* failure = std::get_if<DatasetFailure>(&planned)) {
      Fail(name, t, o, *failure, DatasetPhase::kFailed, std::nullopt);
      return;
    }
    const DatasetPlan& plan = std::get<DatasetPlan>(planned);
    o.minimum_cell_count = plan.minimum_cell_count;
    t.refresh_interval.reset();
    if (plan.refresh_interval) t.refresh_interval = *plan.refresh_interval;

    auto key = hub_.GetSecretValue(plan.key_secret_name, plan.key_secret_key);
    if (!key.ok() || key->size() < kMinPseudonymKeyBytes) {
      const bool missing = !key.ok() && key.status().code() == StatusCode::kNotFound;
      const std::string secret = plan.ns + "/" + plan.key_secret_name;
      std::string detail = "The pseudonymisation key Secret " + secret;
      if (missing) detail += " does not exist.";
      if (!missing && !key.ok()) detail += " cannot be used: " + key.status().message() + ".";
      if (key.ok()) {
        detail = "The pseudonymisation key in Secret " + secret + " (key \"" + plan.key_secret_key +
                 "\") is shorter than " + std::to_string(kMinPseudonymKeyBytes) + " bytes.";
      }
      Fail(name, t, o, KeySecretFailure(plan, missing ? "KeySecretNotFound" : "KeySecretInvalid", detail),
           DatasetPhase::kPending, options_.key_retry);
      return;
    }
    t.index_name = IndexName(plan, *key);
    t.key_secret_name = plan.key_secret_name;
    t.key_secret_key = plan.key_secret_key;
    t.key_fingerprint = crypto::Sha256Hex(*key);
    t.key_check_at = clock_.Now() + options_.key_check_interval;

    // Already ingested for this generation and key (e.g. after a restart):
    // the index is the record, nothing is fetched again.
    // The Ready condition decides (the phase only summarises it, and reads
    // Suspended while the operator sees the node disconnected).
    const json status = object.value("status", json::object());
    const json ready = kube::FindCondition(object, "Ready");
    auto recorded = index_.IngestedSourceKeys(t.index_name);
    if (!t.refreshing && recorded.ok() && !recorded->empty() && status.is_object() && ready.is_object() &&
        ready.value("status", "") == "True" && status.value("observedGeneration", std::int64_t{-1}) == t.generation) {
      auto content = ContentOf(t.index_name);
      if (content.ok() && content->digest == status.value("contentDigest", "")) {
        o.phase = DatasetPhase::kReady;
        o.progress = std::make_pair(recorded->size(), recorded->size());
        o.source_reachable = true;
        o.source_message = "Ingested before; the index holds this generation's records.";
        o.content = std::move(content).value();
        t.done = true;
        t.ready = true;
        // The next refresh counts from the last pass recorded in the status.
        if (t.refresh_interval) {
          kube::Clock::Duration wait = *t.refresh_interval;
          if (auto last = kube::ParseTime(status.value("lastIngestTime", ""))) {
            const auto since = clock_.WallNow() - *last;
            wait = since >= wait ? kube::Clock::Duration{} : std::min(wait, wait - since);
          }
          t.refresh_at = clock_.Now() + wait;
        }
        spdlog::info("Dataset {} (generation {}) is already ingested: {}", name, t.generation, o.content->digest);
        Report(name, t, o);
        return;
      }
    }

    auto opened = backend_.Open(plan, *key);
    if (auto* failure = std::get_if<DatasetFailure>(&opened)) {
      Fail(name, t, o, *failure, DatasetPhase::kFailed, std::nullopt);
      return;
    }
    Ingest(object, plan, t, *std::get<std::unique_ptr<IngestionPass>>(opened), o);
  }

  void Ingest(const json& object, const DatasetPlan& plan, Tracked& t, IngestionPass& pass, DatasetObservation o) {
    const std::string name = plan.name;
    const std::string key = kube::ObjectKey(object);
    const std::string source = pass.Describe();
    spdlog::info("Dataset {} (generation {}): ingesting from {} into {}", name, t.generation, source, t.index_name);
    ProgressThrottle throttle(options_.progress_interval);
    o.phase = DatasetPhase::kIngesting;
    if (t.refreshing) {
      // What is indexed stays Ready and served while the source is read again.
      auto content = ContentOf(t.index_name);
      if (content.ok()) {
        o.phase = DatasetPhase::kReady;
        o.refreshing = true;
        o.content = std::move(content).value();
      }
    }
    o.source_reachable = true;
    o.source_message = "Querying " + source + ".";
    Report(name, t, o, &throttle);

    cancel_ = stopping_.load();
    IngestionOptions io;
    io.batch_size = options_.batch_size;
    io.spool_dir = SpoolDirOf(t.index_name);
    io.on_progress = [&](const IngestionProgress& p) {
      // The Dataset changed or went away: stop; its change enqueued it again.
      const kube::ObjectPtr now = datasets_.Get(key);
      if (stopping_ || now == nullptr || kube::UidOf(*now) != plan.uid || kube::GenerationOf(*now) != plan.generation) {
        cancel_ = true;
      }
      if (cancel_) return;
      o.progress = std::make_pair(p.done, p.total);
      o.source_message = "Reading " + source + ".";
      if (auto content = ContentOf(t.index_name); content.ok()) o.content = std::move(content).value();
      Report(name, t, o, &throttle);
    };
    const auto started = clock_.Now();
    auto result = pass.Run(t.index_name, std::move(io), &cancel_);
    const AgentMetricFamilies& metrics = AgentMetricsFamilies();
    if (cancel_) {
      spdlog::info("Dataset {}: ingestion interrupted (the Dataset changed, went away, or the agent stops)", name);
      return;
    }
    if (metrics.dataset_pass_seconds != nullptr) {
      metrics.dataset_pass_seconds->Set({name}, std::chrono::duration<double>(clock_.Now() - started).count());
    }
    if (!result.ok()) {
      const Status& s = result.status();
      o.source_reachable = s.code() != StatusCode::kUnavailable && s.code() != StatusCode::kDeadlineExceeded;
      o.source_message = *o.source_reachable ? "The source answered." : RedactIdentifiers(s.message());
      if (metrics.dataset_passes != nullptr)
        metrics.dataset_passes->Inc({name, o.refreshing ? "refresh_failed" : "failed"});
      if (o.refreshing) {
        // The collection ingested before stays Ready; only the refresh failed.
        o.refreshing = false;
        if (auto content = ContentOf(t.index_name); content.ok()) o.content = std::move(content).value();
        Fail(name, t, o,
             {"RefreshFailed", "Querying the source again failed: " + RedactIdentifiers(s.message()) +
                                   "; the collection ingested before is still served."},
             DatasetPhase::kReady, NextBackoff(t));
        return;
      }
      Fail(name, t, o, IngestionFailure(s), DatasetPhase::kFailed, NextBackoff(t));
      return;
    }
    auto content = ContentOf(t.index_name);
    if (!content.ok()) {
      Fail(name, t, o, IngestionFailure(content.status().WithContext("reading the index")), DatasetPhase::kFailed,
           NextBackoff(t));
      return;
    }
    if (metrics.dataset_passes != nullptr) metrics.dataset_passes->Inc({name, "ready"});
    if (metrics.dataset_instances != nullptr) {
      metrics.dataset_instances->Inc({name, "stored"}, static_cast<double>(result->ingested));
      metrics.dataset_instances->Inc({name, "excluded"}, static_cast<double>(result->quarantined));
    }
    o.phase = DatasetPhase::kReady;
    o.refreshing = false;
    o.progress = std::make_pair(result->done, result->total);
    o.source_message = source + " answered; " + std::to_string(result->total) + " instances matched.";
    o.content = std::move(content).value();
    o.last_ingest_time = clock_.WallNow();
    t.done = true;
    t.ready = true;
    t.refreshing = false;
    if (t.refresh_interval) t.refresh_at = clock_.Now() + *t.refresh_interval;
    t.backoff = {};
    spdlog::info("Dataset {} (generation {}) ingested: {} new, {} excluded, {} already recorded; digest {}", name,
                 t.generation, result->ingested, result->quarantined, result->skipped, o.content->digest);
    Report(name, t, o);
  }

 private:
  const DatasetControllerOptions options_;
  const kube::Store& datasets_;
  DatasetHub& hub_;
  ImagingIndex& index_;
  BlobStore& store_;
  IngestionBackend& backend_;
  kube::Clock& clock_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cancel_{false};
  std::map<std::string, Tracked> tracked_;  // Reconcile only
  kube::Controller controller_;             // last: stopped first
};

DatasetController::DatasetController(DatasetControllerOptions options, const kube::Store& datasets, DatasetHub& hub,
                                     ImagingIndex& index, BlobStore& store, IngestionBackend& backend,
                                     kube::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), datasets, hub, index, store, backend, clock)) {}
DatasetController::~DatasetController() { Stop(); }
Status DatasetController::Start() { return impl_->Start(); }
void DatasetController::Stop() { impl_->Stop(); }
kube::ReconcileResult DatasetController::Reconcile(const kube::Request& request) { return impl_->Reconcile(request); }
void DatasetController::OnAdd(const kube::Json& o) { impl_->Enqueue(o, "seen"); }
void DatasetController::OnUpdate(const kube::Json&, const kube::Json& o) { impl_->Enqueue(o, "changed"); }
void DatasetController::OnDelete(const kube::Json& o) { impl_->Enqueue(o, "deleted"); }
void DatasetController::OnSynced() { impl_->OnSynced(); }

}  // namespace oncoatlas::agent
