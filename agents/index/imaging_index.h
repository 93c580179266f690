// The agent's index of de-identified images: patients (by pseudonym), studies,
// series, instances (with the SHA-256 of their stored bytes) and which
// datasets each instance belongs to, plus the de-identified facets the
// catalogue shows. Only de-identified values ever enter the index.
//
// The interface lets a PostgreSQL index follow the SQLite one. Implementations
// are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace oncoatlas::agent {

// One de-identified instance as the pipeline stored it.
struct InstanceRecord {
  std::string patient_pseudonym;  // keyed HMAC pseudonym, never the original ID
  std::string study_uid;          // de-identified UIDs
  std::string series_uid;
  std::string sop_instance_uid;
  std::string sha256;  // name of the stored object
  std::uint64_t size_bytes = 0;
  // Facets (empty when unknown).
  std::string modality;
  std::string body_part;
  std::string sex;       // M, F, O
  std::string age_band;  // e.g. "40-49"
  int study_year = 0;    // 0 when unknown
  std::string manufacturer;
};

struct DatasetCounts {
  std::uint64_t patients = 0;
  std::uint64_t studies = 0;
  std::uint64_t series = 0;
  std::uint64_t instances = 0;
  std::uint64_t bytes = 0;
  bool operator==(const DatasetCounts&) const = default;
};

// facet name ("modality", "bodyPart", "sex", "ageBand", "studyYear",
// "manufacturer") -> value -> number of patients (sex, ageBand) or studies
// (the others) in the dataset.
using FacetCounts = std::map<std::string, std::map<std::string, std::uint64_t>>;

// What became of one item of a dataset's source (a file, a PACS instance):
// either an indexed instance or a quarantine with its reason.
struct IngestedItem {
  std::string source_key;  // stable name of the item in its source
  std::optional<InstanceRecord> instance;
  std::string quarantine_reason;  // set when !instance
  std::string quarantine_sha256;  // where the original bytes were kept, if they were
};

class ImagingIndex {
 public:
  virtual ~ImagingIndex() = default;

  // Records a batch of source items in one transaction — their instances,
  // memberships and quarantines — so that after a crash either the whole
  // batch is recorded or none of it. Idempotent.
  virtual Status RecordIngested(const std::string& dataset, const std::vector<IngestedItem>& items) = 0;
  // Source keys already recorded for `dataset` (ingested or quarantined).
  virtual Result<std::set<std::string>> IngestedSourceKeys(const std::string& dataset) = 0;
  // Quarantine reason -> number of items, for `dataset`.
  virtual Result<std::map<std::string, std::uint64_t>> QuarantineReasons(const std::string& dataset) = 0;

  // Records the instances and their membership of `dataset` in one
  // transaction: after a crash either all of them are indexed or none.
  // Idempotent: recording an instance again changes nothing.
  virtual Status AddInstances(const std::string& dataset, const std::vector<InstanceRecord>& instances) = 0;
  // Removes `dataset`'s memberships; instances no dataset holds any more are
  // removed too, and their hashes returned so the caller may drop the bytes.
  virtual Result<std::vector<std::string>> RemoveDataset(const std::string& dataset) = 0;
  // Every dataset name with at least one recorded item or membership, sorted.
  virtual Result<std::vector<std::string>> ListDatasets() = 0;

  virtual Result<bool> HasInstance(const std::string& dataset, const std::string& sop_instance_uid) = 0;
  virtual Result<DatasetCounts> Counts(const std::string& dataset) = 0;
  virtual Result<FacetCounts> Facets(const std::string& dataset) = 0;
  // The stored-object hashes of the dataset's instances, sorted.
  virtual Result<std::vector<std::string>> InstanceHashes(const std::string& dataset) = 0;
};

}  // namespace oncoatlas::agent
