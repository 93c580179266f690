// DatasetController: the agent's reconciler for the Datasets of its hub
// namespace, run by lib/kube's Controller with one worker (so at most one
// ingestion runs at a time) and fed by the agent's Dataset informer. A
// Reconcile of one Dataset plans it (dataset_pipeline.h), reads its key
// Secret, has the IngestionBackend ingest what the index lacks under the
// Dataset's current index name, and writes its status (dataset_status.h)
// through the hub (dataset_hub.h). Retries, the key check and
// spec.source.refreshInterval come back as RequeueAfter. Index records of a
// Dataset that is gone (or of its older generations, once the current one is
// Ready) are removed, and so are the store objects nothing else refers to;
// once the informer has listed, so are those of Datasets deleted while the
// agent was down.
//
// Threading: Reconcile runs on the controller's worker (a test may call it
// directly instead, from one thread); informer callbacks (any thread) only
// enqueue. Start and Stop from one thread.
#pragma once

#include <memory>
#include <string>

#include "index/imaging_index.h"
#include "kube/clock.h"
#include "kube/controller.h"
#include "kube/informer.h"
#include "node/agent_config.h"
#include "node/dataset_hub.h"
#include "node/dataset_pipeline.h"
#include "store/blob_store.h"

namespace oncoatlas::agent {

struct DatasetControllerOptions {
  PacsConfig pacs;
  // The hub namespace the informer watches (the Datasets' namespace).
  std::string namespace_name;
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

class DatasetController final : public kube::Reconciler, public kube::ReflectorHandler {
 public:
  // Every reference must outlive the controller; `datasets` is the informer's store.
  DatasetController(DatasetControllerOptions options, const kube::Store& datasets, DatasetHub& hub, ImagingIndex& index,
                    BlobStore& store, IngestionBackend& backend, kube::Clock& clock);
  ~DatasetController() override;  // Stops.
  DatasetController(const DatasetController&) = delete;
  DatasetController& operator=(const DatasetController&) = delete;

  // Starts the worker.
  Status Start();
  // Stops: an ingestion in progress stops at its next batch; returns once the
  // worker is joined.
  void Stop();

  // The Dataset `request` names, as the informer's store holds it now: Done
  // when nothing is left to do until it changes, RequeueAfter when a retry,
  // the key check or a refresh is due later.
  kube::ReconcileResult Reconcile(const kube::Request& request) override;

  // Log the event and enqueue the Dataset.
  void OnAdd(const kube::Json& object) override;
  void OnUpdate(const kube::Json& old_object, const kube::Json& object) override;
  void OnDelete(const kube::Json& object) override;
  // The informer has listed: from now on a Dataset absent from its store is
  // gone. Enqueues every Dataset the index holds records of.
  void OnSynced() override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncoatlas::agent
