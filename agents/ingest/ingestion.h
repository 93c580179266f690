// The ingestion pipeline: source item -> processor (parse, quarantine or
// de-identify) -> content-addressed store -> index. Resumable and
// idempotent: items are recorded in the index in batches, each batch in one
// transaction after its bytes are durable in the store, so a run killed at any
// instant and started again skips what was recorded, redoes the rest, and ends
// with the same store and index as an uninterrupted run. Inputs the processor
// groups (InstanceProcessor::SeriesKey()) wait in the spool folder until the
// listing is done; each series is then processed together and recorded in one
// transaction, so no restart ever sees a series recorded in part. A full disk
// stops a run with ResourceExhausted ("disk full", naming the folder); what it
// recorded is whole in the store, and a later run resumes from there.
//
// One Ingestion runs one dataset from one thread; the store and index may be
// shared with other threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/env.h"
#include "core/status.h"
#include "index/imaging_index.h"
#include "ingest/image_source.h"
#include "store/blob_store.h"

namespace oncoatlas::agent {

// The result of processing one input file.
struct ProcessOutcome {
  // The de-identified file and what the index needs to know of it; the
  // pipeline fills record.sha256 and record.size_bytes.
  std::optional<std::pair<std::string, InstanceRecord>> instance;
  // Set when the input is not ingested: a short, stable reason such as
  // "unparseable: truncated file" or "burned-in annotation not cleaned". It
  // must never contain identifying values.
  std::string quarantine_reason;
};

// Turns an input file into a de-identified instance or a quarantine. The DICOM
// implementation lives in agents/dicom/. Must be thread-safe.
class InstanceProcessor {
 public:
  virtual ~InstanceProcessor() = default;
  virtual ProcessOutcome Process(const std::string& input) = 0;

  // As deid::InstanceDeidentifier::SeriesKey(): a non-empty key means the
  // input is held (spooled to IngestionOptions::spool_dir) until the listing
  // is done, then processed with the other inputs of its key by
  // ProcessSeries(). Default: every input on its own.
  virtual std::string SeriesKey(const std::string& input) {
    (void)input;
    return {};
  }
  // Processes the `count` held inputs of one key, reading input i with
  // read(i) and handing its outcome to done(i, ...) exactly once per input.
  virtual void ProcessSeries(std::size_t count, const std::function<Result<std::string>(std::size_t)>& read,
                             const std::function<void(std::size_t, ProcessOutcome)>& done) {
    for (std::size_t i = 0; i < count; ++i) {
      Result<std::string> bytes = read(i);
      if (bytes.ok()) {
        done(i, Process(*bytes));
      } else {
        ProcessOutcome failed;
        failed.quarantine_reason = bytes.status().message();
        done(i, std::move(failed));
      }
    }
  }
};

struct IngestionProgress {
  std::uint64_t total = 0;        // items the source offers
  std::uint64_t done = 0;         // items recorded (ingested or quarantined), this run and before
  std::uint64_t ingested = 0;     // instances indexed in this run
  std::uint64_t quarantined = 0;  // items quarantined in this run
  std::uint64_t skipped = 0;      // items a previous run already recorded
};

struct IngestionOptions {
  size_t batch_size = 64;
  // Where quarantined originals are kept (at the site only); may be null.
  BlobStore* quarantine_store = nullptr;
  // Where inputs wait for the rest of their series (InstanceProcessor::
  // SeriesKey()); at the site only, like the quarantine. Required when the
  // processor groups inputs; emptied at the start and end of every Run().
  std::string spool_dir;
  // The file system of the spool folder; must outlive the Ingestion.
  Env* env = &Env::Default();
  // Called after every recorded batch.
  std::function<void(const IngestionProgress&)> on_progress;
};

class Ingestion {
 public:
  Ingestion(BlobStore& store, ImagingIndex& index, InstanceProcessor& processor, IngestionOptions options = {})
      : store_(store), index_(index), processor_(processor), options_(std::move(options)) {}

  // Ingests every item of `source` not yet recorded for `dataset`. Stops early
  // (returning what was done) when `*stop` becomes true. A failing source item
  // fetch is an error (retry later); a bad file is a quarantine, not an error.
  Result<IngestionProgress> Run(const std::string& dataset, ImageSource& source,
                                const std::atomic<bool>* stop = nullptr);

 private:
  BlobStore& store_;
  ImagingIndex& index_;
  InstanceProcessor& processor_;
  IngestionOptions options_;
};

}  // namespace oncoatlas::agent
