// Dataset.status as the node agent writes it, built by pure functions from
// what the controller observed (phase, progress, the index's counts, facets
// and exclusions, the content digest, a failure), so every field and
// condition can be tested without Kubernetes.
//
// The agent owns observedGeneration, phase, progress, counts, facets,
// rejected, quarantined, contentDigest, lastIngestTime and the conditions
// Ready, Ingested and SourceReachable. Every other condition (the operator's
// DataNodeFound) is kept as it is in the status the agent read.
// Pure functions and a value type; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "index/imaging_index.h"
#include "ingest/exclusion_reason.h"

namespace oncoatlas::agent {

enum class DatasetPhase { kPending, kIngesting, kReady, kFailed };
const char* PhaseName(DatasetPhase phase);

// The conditions the agent owns.
inline constexpr char kConditionReady[] = "Ready";
inline constexpr char kConditionIngested[] = "Ingested";
inline constexpr char kConditionSourceReachable[] = "SourceReachable";

// Why a Dataset is not (yet) Ready; `reason` is CamelCase (SourceProtocolMismatch,
// KeySecretNotFound, IngestionFailed...), `message` says what to do and holds
// no identifying value (see RedactIdentifiers).
struct DatasetFailure {
  std::string reason;
  std::string message;
};

// The failure of an ingestion pass that stopped with `error`: StoreFull when
// the agent's disk is full (ResourceExhausted: the pass is retried and
// resumes where it stopped once space is freed), else IngestionFailed.
DatasetFailure IngestionFailure(const Status& error);

// What the index holds for the Dataset's current generation.
struct DatasetContent {
  DatasetCounts counts;
  FacetCounts facets;
  ExclusionCounts exclusions;
  std::string digest;  // "sha256:<hex>"
};

struct DatasetObservation {
  std::int64_t generation = 0;
  DatasetPhase phase = DatasetPhase::kPending;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> progress;  // done, total
  std::optional<DatasetContent> content;
  // When the last ingestion pass finished; absent keeps the previous value.
  std::optional<std::chrono::system_clock::time_point> last_ingest_time;
  std::optional<DatasetFailure> failure;  // with kFailed and kPending; with kReady, a failed refresh
  // With kReady: the source is being queried again for new studies
  // (spec.source.refreshInterval); what is indexed stays served.
  bool refreshing = false;
  // Unset: the source was not queried for this generation (condition Unknown).
  std::optional<bool> source_reachable;
  std::string source_message;
  std::uint64_t minimum_cell_count = 10;
};

// The status to write: `current` (the status as read from the hub, any JSON)
// with every field the agent owns replaced from `observation`. A condition's
// lastTransitionTime changes only when its status does. Building it again
// from the same inputs over its own output gives the same JSON, so a caller
// can compare and skip writes that change nothing.
nlohmann::json BuildDatasetStatus(const nlohmann::json& current, const DatasetObservation& observation,
                                  std::chrono::system_clock::time_point now);

// Reasons by count, most frequent first, ties by name; at most `limit`.
std::vector<std::pair<std::string, std::uint64_t>> TopReasons(const std::map<std::string, std::uint64_t>& reasons,
                                                              size_t limit = 10);

// status.facets: every count below `minimum` shown as "<minimum"; at most
// 256 values per facet (the CRD's limit), the largest kept.
nlohmann::json StatusFacets(const FacetCounts& facets, std::uint64_t minimum);

// At most one progress write per interval: the first one at once, then none
// until `interval` has passed since the last one written. Not synchronized.
class ProgressThrottle {
 public:
  explicit ProgressThrottle(std::chrono::steady_clock::duration interval = std::chrono::seconds(2))
      : interval_(interval) {}
  // Whether to write now; when true, counts `now` as the last write.
  bool ShouldWrite(std::chrono::steady_clock::time_point now);

 private:
  std::chrono::steady_clock::duration interval_;
  std::optional<std::chrono::steady_clock::time_point> last_;
};

}  // namespace oncoatlas::agent
