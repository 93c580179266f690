// From a Dataset's spec to the pipeline that ingests it: the plan (a pure,
// validated reading of the spec against the node's PACS configuration), the
// name of the Dataset's records in the index, the image source and the
// de-identification engine. Every refusal is a DatasetFailure whose reason is
// CamelCase and whose message says what to change.
// Plans are values; a DatasetEngine is immutable once built and its processor
// may be used from one ingestion thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "deid/profile.h"
#include "deid/pseudonymizer.h"
#include "ingest/image_source.h"
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
// The "<name>/<uid>/" every index name of that Dataset object starts with.
std::string IndexPrefix(const std::string& name, const std::string& uid);

// KeySecretNotFound / KeySecretInvalid with the kubectl command that fixes it.
DatasetFailure KeySecretFailure(const DatasetPlan& plan, const std::string& reason, const std::string& detail);

// The node's PACS as an ImageSource with the plan's query (DIMSE with C-GET;
// DICOMweb with the credentials dir's username/password/ca.crt).
Result<std::unique_ptr<ImageSource>> MakeDatasetSource(const DatasetPlan& plan, const PacsConfig& pacs);

// Profile + keyed pseudonymizer + the DCMTK engine behind an InstanceProcessor.
class DatasetEngine {
 public:
  // Fails when the key is too short or the options are invalid.
  static Result<std::unique_ptr<DatasetEngine>> Create(const deid::ProfileOptions& options, const std::string& key);
  ~DatasetEngine();
  InstanceProcessor& processor();

 private:
  struct Parts;
  explicit DatasetEngine(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace oncoatlas::agent
