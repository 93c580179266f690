#include "ingest/ingestion.h"

#include <vector>

namespace oncoatlas::agent {
namespace {

// Written whole or not at all (a temporary, fsync, rename), mode 0600: the
// spool holds identifying originals.
Status WriteSpoolFile(Env& env, const std::string& path, const std::string& bytes) {
  return WriteFileAtomically(env, path, path + ".tmp", bytes, 0600, /*sync=*/true);
}

// The message is a stable quarantine reason, without the spool's paths.
Result<std::string> ReadSpoolFile(Env& env, const std::string& path) {
  auto bytes = ReadFile(env, path);
  if (!bytes.ok()) return UnavailableError("spooled input unreadable");
  return bytes;
}

// Creates the spool folder (0700) and removes what a killed run left in it:
// those inputs were never recorded, so this run fetches them again.
Status ClearSpool(Env& env, const std::string& dir) {
  Status s = CreateDirs(env, dir);
  if (s.ok()) s = env.SetPermissions(dir, 0700);
  if (!s.ok()) return s.WithContext("preparing the spool folder " + dir);
  auto entries = env.ListDir(dir);
  if (!entries.ok()) return entries.status().WithContext("listing the spool folder " + dir);
  for (const DirEntry& e : *entries) {
    if (e.type == FileType::kRegular || e.type == FileType::kSymlink) {
      ONCOATLAS_RETURN_IF_ERROR(env.RemoveFile(dir + "/" + e.name).WithContext("clearing the spool folder"));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<IngestionProgress> Ingestion::Run(const std::string& dataset, ImageSource& source,
                                         const std::atomic<bool>* stop) {
  Env& env = *options_.env;
  const std::string& spool = options_.spool_dir;
  if (!spool.empty()) ONCOATLAS_RETURN_IF_ERROR(ClearSpool(env, spool));
  // However the run ends, the originals it spooled do not stay behind.
  struct SpoolGuard {
    Env& env;
    const std::string& dir;
    ~SpoolGuard() {  // NOLINT(bugprone-exception-escape): only std::bad_alloc, which ends the process anyway
      if (!dir.empty()) (void)ClearSpool(env, dir);
    }
  } spool_guard{env, spool};
  auto keys = source.List();
  if (!keys.ok()) return keys.status().WithContext("listing " + source.Describe());
  auto recorded = index_.IngestedSourceKeys(dataset);
  if (!recorded.ok()) return recorded.status();

  IngestionProgress progress;
  progress.total = keys->size();
  std::vector<IngestedItem> batch;
  const size_t batch_size = options_.batch_size == 0 ? 1 : options_.batch_size;

  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    // Every byte referenced by the batch is already durable in the store.
    ONCOATLAS_RETURN_IF_ERROR(index_.RecordIngested(dataset, batch));
    for (const auto& item : batch) {
      ++progress.done;
      if (item.instance) {
        ++progress.ingested;
      } else {
        ++progress.quarantined;
      }
    }
    batch.clear();
    if (options_.on_progress) options_.on_progress(progress);
    return Status::Ok();
  };

  // Stores the outcome for source item `key` and adds it to the batch (not yet
  // recorded). `original` is the input, kept when quarantined; null when it
  // could not be read.
  auto add = [&](const std::string& key, ProcessOutcome outcome, const std::string* original) -> Status {
    IngestedItem item;
    item.source_key = key;
    if (outcome.instance) {
      auto& [out_bytes, record] = *outcome.instance;
      auto name = store_.Put(out_bytes);
      if (!name.ok()) return name.status().WithContext("storing the de-identified instance from '" + key + "'");
      record.sha256 = *name;
      record.size_bytes = out_bytes.size();
      item.instance = std::move(record);
    } else {
      item.quarantine_reason = outcome.quarantine_reason.empty() ? "rejected" : outcome.quarantine_reason;
      if (options_.quarantine_store != nullptr && original != nullptr) {
        auto name = options_.quarantine_store->Put(*original);
        if (!name.ok()) return name.status().WithContext("keeping quarantined '" + key + "'");
        item.quarantine_sha256 = *name;
      }
    }
    batch.push_back(std::move(item));
    return Status::Ok();
  };

  // Inputs held for their series: series key -> (source key, spool file), in
  // listing order. Only names are kept in memory; the bytes are in the spool.
  struct Spooled {
    std::string source_key;
    std::string path;
  };
  std::map<std::string, std::vector<Spooled>> series;
  std::size_t spooled = 0;

  for (const std::string& key : *keys) {
    if (stop != nullptr && stop->load()) break;
    if (recorded->count(key) != 0) {
      ++progress.skipped;
      ++progress.done;
      continue;
    }
    auto bytes = source.Fetch(key);
    if (!bytes.ok()) return bytes.status().WithContext("fetching '" + key + "' from " + source.Describe());

    std::string series_key = processor_.SeriesKey(*bytes);
    if (!series_key.empty()) {
      if (spool.empty()) {
        return FailedPreconditionError("'" + key +
                                       "' must be de-identified with the rest of its series, and no spool folder "
                                       "is configured to hold it until then");
      }
      std::string path = spool + "/input-" + std::to_string(spooled++);
      ONCOATLAS_RETURN_IF_ERROR(WriteSpoolFile(env, path, *bytes).WithContext("spooling '" + key + "'"));
      series[series_key].push_back(Spooled{key, std::move(path)});
      continue;
    }

    ONCOATLAS_RETURN_IF_ERROR(add(key, processor_.Process(*bytes), &*bytes));
    if (batch.size() >= batch_size) ONCOATLAS_RETURN_IF_ERROR(flush());
  }
  ONCOATLAS_RETURN_IF_ERROR(flush());

  // Each series is recorded in one transaction, whatever the batch size: a
  // series recorded in part would be processed from the rest of its inputs
  // only after a restart, and give a different result.
  for (const auto& entry : series) {
    const std::vector<Spooled>& inputs = entry.second;
    if (stop != nullptr && stop->load()) break;
    Status failed;
    std::vector<bool> answered(inputs.size(), false);
    processor_.ProcessSeries(
        inputs.size(), [&](std::size_t i) -> Result<std::string> { return ReadSpoolFile(env, inputs.at(i).path); },
        [&](std::size_t i, ProcessOutcome outcome) {
          if (!failed.ok() || i >= inputs.size() || answered[i]) return;
          answered[i] = true;
          Result<std::string> original = outcome.instance || options_.quarantine_store == nullptr
                                             ? Result<std::string>(std::string())
                                             : ReadSpoolFile(env, inputs[i].path);
          failed = add(inputs[i].source_key, std::move(outcome), original.ok() ? &*original : nullptr);
        });
    ONCOATLAS_RETURN_IF_ERROR(failed);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (answered[i]) continue;
      ProcessOutcome none;
      none.quarantine_reason = "no outcome from the series de-identification";
      auto original = ReadSpoolFile(env, inputs[i].path);
      ONCOATLAS_RETURN_IF_ERROR(add(inputs[i].source_key, std::move(none), original.ok() ? &*original : nullptr));
    }
    ONCOATLAS_RETURN_IF_ERROR(flush());
    for (const auto& input : inputs) (void)env.RemoveFile(input.path);
  }
  return progress;
}

}  // namespace oncoatlas::agent
