// DatasetController: the agent's reconcile loop for the Datasets of its hub
// namespace, driven by the agent's Dataset informer. Level-triggered: each
// pass reads the informer's cache as it is now and, for each Dataset, plans
// it (dataset_pipeline.h), reads its key Secret, ingests what is missing into
// the index under the Dataset's current index name, and writes its status
// (dataset_status.h) through the hub (dataset_hub.h). Index records of
// Datasets that no longer exist (or of older generations, once the current
// one is Ready) are removed, and so are the store objects nothing else refers
// to.
//
// Threading: one thread of its own runs every pass, so at most one ingestion
// runs at a time. Informer callbacks (any thread) only mark the loop dirty.
// Start and Stop from one thread.
#pragma once

#include <memory>

#include "index/imaging_index.h"
#include "kube/clock.h"
#include "kube/informer.h"
#include "node/agent_config.h"
#include "node/dataset_hub.h"
#include "store/blob_store.h"

namespace oncoatlas::agent {

struct DatasetControllerOptions {
  PacsConfig pacs;
  kube::Clock::Duration key_retry = std::chrono::seconds(10);
  // How often the key Secret of an ingested Dataset is read again: a new
  // key means new pseudonyms, so the Dataset is ingested again under it.
  kube::Clock::Duration key_check_interval = std::chrono::seconds(60);
  kube::Clock::Duration initial_backoff = std::chrono::seconds(5);
  kube::Clock::Duration max_backoff = std::chrono::minutes(5);
  kube::Clock::Duration progress_interval = std::chrono::seconds(2);
  // Instances recorded in the index per transaction; progress is reported
  // (at most every progress_interval) after each batch, and a restart
  // resumes after the last recorded one.
  size_t batch_size = 16;
  // Where inputs wait for the rest of their series before defacing (Clean
  // Recognizable Visual Features): one folder per dataset index below it,
  // holding identifying originals at the site only (mode 0700). Empty: a
  // dataset that defaces fails to ingest.
  std::string spool_dir;
};

class DatasetController final : public kube::ReflectorHandler {
 public:
  // Every reference must outlive the controller.
  DatasetController(DatasetControllerOptions options, DatasetHub& hub, ImagingIndex& index, BlobStore& store,
                    kube::Clock& clock);
  ~DatasetController() override;  // Stops.
  DatasetController(const DatasetController&) = delete;
  DatasetController& operator=(const DatasetController&) = delete;

  // Starts the loop over `datasets` (the informer's store; must outlive it).
  void Start(const kube::Store& datasets);
  // Stops the loop (an ingestion in progress stops at its next batch).
  void Stop();

  void OnAdd(const kube::Json&) override { MarkDirty(); }
  void OnUpdate(const kube::Json&, const kube::Json&) override { MarkDirty(); }
  void OnDelete(const kube::Json&) override { MarkDirty(); }
  void OnSynced() override;

 private:
  class Impl;
  void MarkDirty();
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncoatlas::agent
