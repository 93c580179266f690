#include "node/dataset_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/sha256.h"
#include "index/dataset_summary.h"
#include "ingest/exclusion_reason.h"
#include "ingest/ingestion.h"
#include "kube/rfc3339.h"
#include "node/agent_metrics.h"
#include "node/dataset_pipeline.h"
#include "node/dataset_status.h"

namespace oncoatlas::agent {
namespace {

using nlohmann::json;

std::string MetaString(const json& o, const char* field) {
  const json& m = o.value("metadata", json::object());
  return m.is_object() ? m.value(field, "") : "";
}

std::int64_t GenerationOf(const json& o) {
  const json& m = o.value("metadata", json::object());
  return m.is_object() ? m.value("generation", std::int64_t{0}) : 0;
}

}  // namespace

class DatasetController::Impl {
 public:
  Impl(DatasetControllerOptions options, DatasetHub& hub, ImagingIndex& index, BlobStore& store, kube::Clock& clock)
      : options_(std::move(options)), hub_(hub), index_(index), store_(store), clock_(clock) {}

  void Start(const kube::Store& datasets) {
    datasets_ = &datasets;
    thread_ = std::thread([this] { Loop(); });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cancel_ = true;
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void MarkDirty() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      dirty_ = true;
    }
    cv_.notify_all();
  }

  void MarkSynced() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      synced_ = true;
      dirty_ = true;
    }
    cv_.notify_all();
  }

 private:
  // What the loop remembers of one Dataset object (by namespace/name).
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

  void Loop() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        for (;;) {
          if (stopping_) return;
          if (synced_ && dirty_) break;
          if (synced_ && next_wake_ && clock_.Now() >= *next_wake_) break;
          clock_.WaitUntil(lock, cv_, next_wake_ ? *next_wake_ : clock_.Now() + std::chrono::seconds(60));
        }
        dirty_ = false;
      }
      Pass();
    }
  }

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }

  void Pass() {
    std::optional<kube::Clock::TimePoint> wake;
    std::set<std::string> live_prefixes;
    std::map<std::string, std::string> current_index;  // prefix -> index name when Ready
    std::set<std::string> seen;
    for (const kube::ObjectPtr& object : datasets_->List()) {
      if (Stopping()) return;
      const std::string key = kube::ObjectKey(*object);
      seen.insert(key);
      const std::string prefix = IndexPrefix(MetaString(*object, "name"), MetaString(*object, "uid"));
      live_prefixes.insert(prefix);
      Tracked& t = tracked_[key];
      if (t.uid != MetaString(*object, "uid") || t.generation != GenerationOf(*object)) {
        t = Tracked{};
        t.uid = MetaString(*object, "uid");
        t.generation = GenerationOf(*object);
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
      if (!t.done && clock_.Now() >= t.retry_at) Reconcile(*object, t);
      if (!t.done && (!wake || t.retry_at < *wake)) wake = t.retry_at;
      if (t.done && !t.key_fingerprint.empty() && (!wake || t.key_check_at < *wake)) wake = t.key_check_at;
      if (t.done && t.ready && t.refresh_interval && (!wake || t.refresh_at < *wake)) wake = t.refresh_at;
      if (t.ready) current_index[prefix] = t.index_name;
    }
    for (auto it = tracked_.begin(); it != tracked_.end();) {
      it = seen.count(it->first) == 0 ? tracked_.erase(it) : std::next(it);
    }
    CollectGarbage(live_prefixes, current_index);
    std::lock_guard<std::mutex> lock(mu_);
    next_wake_ = wake;
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

  // Removes index records of Datasets that are gone, and of older
  // generations of Datasets whose current generation is Ready.
  void CollectGarbage(const std::set<std::string>& live_prefixes, const std::map<std::string, std::string>& current) {
    auto names = index_.ListDatasets();
    if (!names.ok()) {
      spdlog::warn("listing the index's datasets failed: {}", names.status().message());
      return;
    }
    for (const std::string& name : *names) {
      const size_t second_slash = name.find('/', name.find('/') + 1);
      if (second_slash == std::string::npos) continue;  // not a Dataset's record
      const std::string prefix = name.substr(0, second_slash + 1);
      bool remove = live_prefixes.count(prefix) == 0;
      if (!remove) {
        auto it = current.find(prefix);
        remove = it != current.end() && it->second != name;
      }
      if (remove) RemoveIndexName(name);
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

  // Writes the status built from `o`; logs (redacted) when it cannot.
  // Returns false when the write failed (a Dataset gone meanwhile is not a
  // failure: its deletion brings the next pass).
  bool Write(const std::string& name, const DatasetObservation& o) {
    auto wrote = WriteDatasetStatus(hub_, name, [&](const json& dataset) {
      return BuildDatasetStatus(dataset.value("status", json::object()), o, clock_.WallNow());
    });
    if (!wrote.ok() && wrote.status().code() != StatusCode::kNotFound) {
      spdlog::warn("writing the status of Dataset {} failed: {}", name, RedactIdentifiers(wrote.status().message()));
      return false;
    }
    return true;
  }

  // A final status that did not reach the hub: look again after a backoff
  // (the index keeps what was ingested, so the retry fetches nothing twice).
  void RetryUnwritten(Tracked& t) {
    t.done = false;
    t.ready = false;
    t.retry_at = clock_.Now() + NextBackoff(t);
  }

  void Fail(const std::string& name, Tracked& t, DatasetObservation o, DatasetFailure failure, DatasetPhase phase,
            std::optional<kube::Clock::Duration> retry) {
    // "reason X." rather than "X: ...": the log redaction takes "...Secret...: word" for a credential.
    spdlog::warn("Dataset {} (generation {}) is {}, reason {}. {}", name, t.generation, PhaseName(phase),
                 failure.reason, failure.message);
    o.phase = phase;
    o.failure = std::move(failure);
    if (retry) {
      o.failure->message +=
          " Retrying in " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*retry).count()) + " s.";
      t.done = false;
      t.retry_at = clock_.Now() + *retry;
    } else {
      t.done = true;
    }
    if (!Write(name, o) && t.done) RetryUnwritten(t);
  }

  kube::Clock::Duration NextBackoff(Tracked& t) {
    t.backoff =
        t.backoff == kube::Clock::Duration{} ? options_.initial_backoff : std::min(t.backoff * 2, options_.max_backoff);
    return t.backoff;
  }

  void Reconcile(const json& object, Tracked& t) {
    const std::string name = MetaString(object, "name");
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
      std::string detail;
      if (missing) {
        detail = "The pseudonymisation key Secret " + plan.ns + "/" + plan.key_secret_name + " does not exist.";
      } else if (!key.ok()) {
        detail = "The pseudonymisation key Secret " + plan.ns + "/" + plan.key_secret_name +
                 " cannot be used: " + key.status().message() + ".";
      } else {
        detail = "The pseudonymisation key in Secret " + plan.ns + "/" + plan.key_secret_name + " (key \"" +
                 plan.key_secret_key + "\") is shorter than " + std::to_string(kMinPseudonymKeyBytes) + " bytes.";
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
    const json status = object.value("status", json::object());
    auto recorded = index_.IngestedSourceKeys(t.index_name);
    if (!t.refreshing && recorded.ok() && !recorded->empty() && status.is_object() &&
        status.value("phase", "") == "Ready" && status.value("observedGeneration", std::int64_t{-1}) == t.generation) {
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
        if (!Write(name, o)) RetryUnwritten(t);
        spdlog::info("Dataset {} (generation {}) is already ingested: {}", name, t.generation, o.content->digest);
        return;
      }
    }

    auto engine = DatasetEngine::Create(plan.options, *key);
    if (!engine.ok()) {
      Fail(name, t, o, {"InvalidDeidentification", engine.status().message()}, DatasetPhase::kFailed, std::nullopt);
      return;
    }
    auto source = MakeDatasetSource(plan, options_.pacs);
    if (!source.ok()) {
      Fail(name, t, o, {"InvalidSource", RedactIdentifiers(source.status().message())}, DatasetPhase::kFailed,
           std::nullopt);
      return;
    }
    Ingest(object, plan, t, **engine, **source, o);
  }

  void Ingest(const json& object, const DatasetPlan& plan, Tracked& t, DatasetEngine& engine, ImageSource& source,
              DatasetObservation o) {
    const std::string name = plan.name;
    const std::string key = kube::ObjectKey(object);
    spdlog::info("Dataset {} (generation {}): ingesting from {} into {}", name, t.generation, source.Describe(),
                 t.index_name);
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
    o.source_message = "Querying " + source.Describe() + ".";
    if (throttle.ShouldWrite(clock_.Now())) Write(name, o);

    cancel_ = Stopping();
    IngestionOptions io;
    io.batch_size = options_.batch_size;
    io.spool_dir = SpoolDirOf(t.index_name);
    io.on_progress = [&](const IngestionProgress& p) {
      // The Dataset changed or went away: stop; the next pass starts again.
      const kube::ObjectPtr now = datasets_->Get(key);
      if (Stopping() || now == nullptr || MetaString(*now, "uid") != plan.uid ||
          GenerationOf(*now) != plan.generation) {
        cancel_ = true;
      }
      if (cancel_ || !throttle.ShouldWrite(clock_.Now())) return;
      o.progress = std::make_pair(p.done, p.total);
      o.source_message = "Reading " + source.Describe() + ".";
      auto content = ContentOf(t.index_name);
      if (content.ok()) o.content = std::move(content).value();
      Write(name, o);
    };
    Ingestion ingestion(store_, index_, engine.processor(), std::move(io));
    const auto started = clock_.Now();
    auto result = ingestion.Run(t.index_name, source, &cancel_);
    const AgentMetricFamilies& metrics = AgentMetricsFamilies();
    if (metrics.dataset_pass_seconds != nullptr && !cancel_) {
      metrics.dataset_pass_seconds->Set({name}, std::chrono::duration<double>(clock_.Now() - started).count());
    }
    if (cancel_) {
      spdlog::info("Dataset {}: ingestion interrupted (the Dataset changed, went away, or the agent stops)", name);
      MarkDirty();
      return;
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
        auto content = ContentOf(t.index_name);
        if (content.ok()) o.content = std::move(content).value();
        Fail(name, t, o,
             {"RefreshFailed", "Querying the source again failed: " + RedactIdentifiers(s.message()) +
                                   "; the collection ingested before is still served."},
             DatasetPhase::kReady, NextBackoff(t));
        return;
      }
      Fail(name, t, o, {"IngestionFailed", "Ingestion failed: " + RedactIdentifiers(s.message()) + "."},
           DatasetPhase::kFailed, NextBackoff(t));
      return;
    }
    auto content = ContentOf(t.index_name);
    if (!content.ok()) {
      Fail(name, t, o, {"IngestionFailed", "Reading the index failed: " + content.status().message() + "."},
           DatasetPhase::kFailed, NextBackoff(t));
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
    o.source_message = source.Describe() + " answered; " + std::to_string(result->total) + " instances matched.";
    o.content = std::move(content).value();
    o.last_ingest_time = clock_.WallNow();
    t.done = true;
    t.ready = true;
    t.refreshing = false;
    if (t.refresh_interval) t.refresh_at = clock_.Now() + *t.refresh_interval;
    t.backoff = {};
    if (!Write(name, o)) RetryUnwritten(t);
    spdlog::info("Dataset {} (generation {}) ingested: {} new, {} excluded, {} already recorded; digest {}", name,
                 t.generation, result->ingested, result->quarantined, result->skipped, o.content->digest);
  }

  const DatasetControllerOptions options_;
  DatasetHub& hub_;
  ImagingIndex& index_;
  BlobStore& store_;
  kube::Clock& clock_;
  const kube::Store* datasets_ = nullptr;

  std::mutex mu_;
  std::condition_variable_any cv_;
  bool stopping_ = false;                            // GUARDED_BY(mu_)
  bool synced_ = false;                              // GUARDED_BY(mu_)
  bool dirty_ = false;                               // GUARDED_BY(mu_)
  std::optional<kube::Clock::TimePoint> next_wake_;  // GUARDED_BY(mu_)
  std::atomic<bool> cancel_{false};

  std::map<std::string, Tracked> tracked_;  // loop thread only
  std::thread thread_;
};

DatasetController::DatasetController(DatasetControllerOptions options, DatasetHub& hub, ImagingIndex& index,
                                     BlobStore& store, kube::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), hub, index, store, clock)) {}
DatasetController::~DatasetController() { Stop(); }
void DatasetController::Start(const kube::Store& datasets) { impl_->Start(datasets); }
void DatasetController::Stop() { impl_->Stop(); }
void DatasetController::OnSynced() { impl_->MarkSynced(); }
void DatasetController::MarkDirty() { impl_->MarkDirty(); }

}  // namespace oncoatlas::agent
