#include "ingest/ingestion.h"

#include <vector>

namespace oncoatlas::agent {

Result<IngestionProgress> Ingestion::Run(const std::string& dataset, ImageSource& source,
                                         const std::atomic<bool>* stop) {
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

  for (const std::string& key : *keys) {
    if (stop != nullptr && stop->load()) break;
    if (recorded->count(key) != 0) {
      ++progress.skipped;
      ++progress.done;
      continue;
    }
    auto bytes = source.Fetch(key);
    if (!bytes.ok()) return bytes.status().WithContext("fetching '" + key + "' from " + source.Describe());

    ProcessOutcome outcome = processor_.Process(*bytes);
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
      if (options_.quarantine_store != nullptr) {
        auto name = options_.quarantine_store->Put(*bytes);
        if (!name.ok()) return name.status().WithContext("keeping quarantined '" + key + "'");
        item.quarantine_sha256 = *name;
      }
    }
    batch.push_back(std::move(item));
    if (batch.size() >= batch_size) ONCOATLAS_RETURN_IF_ERROR(flush());
  }
  ONCOATLAS_RETURN_IF_ERROR(flush());
  return progress;
}

}  // namespace oncoatlas::agent
