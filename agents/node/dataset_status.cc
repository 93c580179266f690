#include "node/dataset_status.h"

#include <algorithm>

#include "index/dataset_summary.h"
#include "kube/conditions.h"
#include "kube/rfc3339.h"

namespace oncoatlas::agent {
namespace {

using nlohmann::json;

constexpr size_t kMaxFacetValues = 256;

using ConditionValue = kube::ConditionSpec;

json Exclusions(const std::map<std::string, std::uint64_t>& reasons) {
  std::uint64_t total = 0;
  for (const auto& [reason, count] : reasons) total += count;
  json top = json::array();
  for (const auto& [reason, count] : TopReasons(reasons)) top.push_back({{"reason", reason}, {"count", count}});
  return {{"count", total}, {"topReasons", top}};
}

std::string Summary(const DatasetContent& c) {
  std::uint64_t rejected = 0, quarantined = 0;
  for (const auto& [r, n] : c.exclusions.rejected) rejected += n;
  for (const auto& [r, n] : c.exclusions.quarantined) quarantined += n;
  return std::to_string(c.counts.instances) + " instances of " + std::to_string(c.counts.studies) +
         " studies stored, " + std::to_string(rejected) + " rejected, " + std::to_string(quarantined) + " quarantined";
}

std::vector<ConditionValue> Conditions(const DatasetObservation& o) {
  ConditionValue source{kConditionSourceReachable, "Unknown", "NotQueried",
                        "The agent has not queried the image source for this generation of the spec."};
  if (o.source_reachable) {
    source.status = *o.source_reachable ? "True" : "False";
    source.reason = *o.source_reachable ? "SourceReachable" : "SourceUnreachable";
    source.message = o.source_message;
  }
  switch (o.phase) {
    case DatasetPhase::kReady: {
      const std::string done = o.content ? Summary(*o.content) : "ingestion complete";
      if (o.failure) {
        return {{kConditionReady, "True", "IngestionComplete", "Ingested and indexed: " + done + "."},
                {kConditionIngested, "False", o.failure->reason, o.failure->message},
                source};
      }
      if (o.refreshing) {
        std::string m = "Querying the source again for new studies";
        if (o.progress)
          m += ": " + std::to_string(o.progress->first) + " of " + std::to_string(o.progress->second) +
               " matched instances processed";
        m += "; " + done + " meanwhile.";
        return {{kConditionReady, "True", "IngestionComplete", "Ingested and indexed: " + done + "."},
                {kConditionIngested, "False", "Refreshing", m},
                source};
      }
      return {{kConditionReady, "True", "IngestionComplete", "Ingested and indexed: " + done + "."},
              {kConditionIngested, "True", "IngestionComplete", "Every matched instance was processed: " + done + "."},
              source};
    }
    case DatasetPhase::kIngesting: {
      std::string m = "Ingesting";
      if (o.progress)
        m += ": " + std::to_string(o.progress->first) + " of " + std::to_string(o.progress->second) +
             " instances processed";
      m += ".";
      return {{kConditionReady, "False", "Ingesting", m}, {kConditionIngested, "False", "Ingesting", m}, source};
    }
    case DatasetPhase::kPending:
    case DatasetPhase::kFailed:
      break;
  }
  const std::string reason = o.failure ? o.failure->reason : "Pending";
  const std::string message = o.failure ? o.failure->message : "The agent has not started ingesting this Dataset yet.";
  return {{kConditionReady, "False", reason, message}, {kConditionIngested, "False", reason, message}, source};
}

}  // namespace

DatasetFailure IngestionFailure(const Status& error) {
  const std::string message = RedactIdentifiers(error.message());
  if (error.code() == StatusCode::kResourceExhausted) {
    return {"StoreFull",
            "The agent's disk is full (" + message + "); ingestion resumes where it stopped once space is freed."};
  }
  return {"IngestionFailed", "Ingestion failed: " + message + "."};
}

const char* PhaseName(DatasetPhase phase) {
  switch (phase) {
    case DatasetPhase::kPending:
      return "Pending";
    case DatasetPhase::kIngesting:
      return "Ingesting";
    case DatasetPhase::kReady:
      return "Ready";
    case DatasetPhase::kFailed:
      return "Failed";
  }
  return "Pending";
}

std::vector<std::pair<std::string, std::uint64_t>> TopReasons(const std::map<std::string, std::uint64_t>& reasons,
                                                              size_t limit) {
  std::vector<std::pair<std::string, std::uint64_t>> out(reasons.begin(), reasons.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

json StatusFacets(const FacetCounts& facets, std::uint64_t minimum) {
  FacetCounts capped;
  for (const auto& [facet, values] : facets) {
    std::vector<std::pair<std::string, std::uint64_t>> sorted = TopReasons(values, kMaxFacetValues);
    capped[facet] = std::map<std::string, std::uint64_t>(sorted.begin(), sorted.end());
  }
  json out = json::object();
  for (const auto& [facet, values] : SuppressSmallCells(capped, minimum)) out[facet] = values;
  return out;
}

json BuildDatasetStatus(const json& current, const DatasetObservation& o, std::chrono::system_clock::time_point now) {
  json status = current.is_object() ? current : json::object();
  status["observedGeneration"] = o.generation;
  status["phase"] = PhaseName(o.phase);
  if (o.progress) {
    status["progress"] = {{"done", o.progress->first}, {"total", o.progress->second}};
  } else {
    status.erase("progress");
  }
  if (o.content) {
    const DatasetContent& c = *o.content;
    status["counts"] = {{"patients", c.counts.patients},
                        {"studies", c.counts.studies},
                        {"series", c.counts.series},
                        {"instances", c.counts.instances},
                        {"bytes", c.counts.bytes}};
    status["facets"] = StatusFacets(c.facets, o.minimum_cell_count);
    status["rejected"] = Exclusions(c.exclusions.rejected);
    status["quarantined"] = Exclusions(c.exclusions.quarantined);
    status["contentDigest"] = c.digest;
  } else {
    for (const char* field : {"counts", "facets", "rejected", "quarantined", "contentDigest"}) status.erase(field);
  }
  if (o.last_ingest_time) status["lastIngestTime"] = kube::FormatTime(*o.last_ingest_time);

  kube::SetConditions(status, Conditions(o), o.generation, now);
  return status;
}

bool ProgressThrottle::ShouldWrite(std::chrono::steady_clock::time_point now) {
  if (last_ && now - *last_ < interval_) return false;
  last_ = now;
  return true;
}

}  // namespace oncoatlas::agent
