// From a Dataset's spec to the pipeline that ingests it: the plan (a pure,
// validated reading of the spec against the node's PACS configuration), the
// name of the Dataset's records in the index, and the backend that ingests
// it (image source, de-identification engine, Ingestion). Every refusal is a
// DatasetFailure whose reason is CamelCase and whose message says what to change.
// Plans are values; an IngestionBackend may be shared, each pass used from one
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "deid/profile.h"
#include "ingest/ingestion.h"
#include "ingest/source_query.h"
#include "node/agent_config.h"
#include "node/dataset_status.h"

namespace oncoatlas::agent {

// The key Secret must hold at least this many bytes (the CRD's contract).
inline constexpr std::size_t kMinPseudonymKeyBytes = 32;

struct DatasetPlan {
  std::string ns, name, uid;
  std::int64_t generation = 0;
  std::string protocol;     // dicomweb, dimse, folder
  std::string folder_path;  // with folder: spec.source.path (relative), may be empty
  SourceQuery query;
  deid::ProfileOptions options;
  std::string key_secret_name;
  std::string key_secret_key = "key";
  std::uint64_t minimum_cell_count = 10;
  // spec.source.refreshInterval: query the source again this often once
  // Ready, for matching studies not ingested yet; absent, ingest once.
  std::optional<std::chrono::milliseconds> refresh_interval;
};

// Reads and checks the Dataset against the node's PACS. Failure reasons:
// InvalidSpec (unreadable), SourceProtocolMismatch, InvalidSource,
// InvalidDeidentification.
std::variant<DatasetPlan, DatasetFailure> PlanDataset(const nlohmann::json& dataset, const PacsConfig& pacs);

// "<name>/<uid>/<generation>/<first 16 hex digits of SHA-256(key)>": a new
// generation or key gets fresh records (re-ingested from the start), and a
// Dataset deleted and created again (new uid) starts empty.
std::string IndexName(const DatasetPlan& plan, const std::string& key);

// KeySecretNotFound / KeySecretInvalid with the kubectl command that fixes it.
DatasetFailure KeySecretFailure(const DatasetPlan& plan, const std::string& reason, const std::string& detail);

// One ingestion pass of a plan, opened by an IngestionBackend.
class IngestionPass {
 public:
  virtual ~IngestionPass() = default;
  // The image source, for status messages and logs, e.g. "folder /data".
  virtual std::string Describe() const = 0;
  // As Ingestion::Run: records in `index_name` what the source offers and the
  // index lacks; stops early once *stop is true.
  virtual Result<IngestionProgress> Run(const std::string& index_name, IngestionOptions options,
                                        const std::atomic<bool>* stop) = 0;
};

// What the Dataset controller ingests with; tests give a fake one.
class IngestionBackend {
 public:
  virtual ~IngestionBackend() = default;
  // A pass of `plan` pseudonymised with `key`, or why none can run until the
  // spec changes (InvalidDeidentification, InvalidSource).
  virtual std::variant<std::unique_ptr<IngestionPass>, DatasetFailure> Open(const DatasetPlan& plan,
                                                                            const std::string& key) = 0;
};

// The real backend: the node's PACS as the source (DIMSE with C-GET; DICOMweb
// with the credentials dir's username/password/token/ca.crt; the folder), the
// profile with a keyed pseudonymizer in the DCMTK engine, and Ingestion into
// `store` and `index` (which must outlive it). A pass runs on one thread.
std::unique_ptr<IngestionBackend> MakeIngestionBackend(PacsConfig pacs, BlobStore& store, ImagingIndex& index);

}  // namespace oncoatlas::agent
