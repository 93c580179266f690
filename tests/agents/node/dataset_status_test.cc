#include "node/dataset_status.h"

#include <gtest/gtest.h>

#include "kube/rfc3339.h"
#include "node/dataset_hub.h"

namespace oncoatlas::agent {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const std::chrono::system_clock::time_point kT0 = *kube::ParseTime("2026-03-01T10:00:00Z");
const std::chrono::system_clock::time_point kT1 = *kube::ParseTime("2026-03-01T10:05:00Z");

json Cond(const json& status, const std::string& type) {
  for (const json& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

DatasetContent Content() {
  DatasetContent c;
  c.counts = {12, 30, 60, 600, 123456};
  c.facets = {{"modality", {{"CT", 25}, {"MR", 5}}}, {"sex", {{"F", 9}, {"M", 3}}}};
  c.exclusions.rejected = {{"Unparseable", 2}};
  c.exclusions.quarantined = {{"BurnedInAnnotation", 4}, {"PossibleBurnedInAnnotation", 1}};
  c.digest = "sha256:" + std::string(64, 'a');
  return c;
}

TEST(DatasetStatus, ReadyCarriesCountsSuppressedFacetsExclusionsDigestAndConditions) {
  DatasetObservation o;
  o.generation = 3;
  o.phase = DatasetPhase::kReady;
  o.progress = std::make_pair(607u, 607u);
  o.content = Content();
  o.last_ingest_time = kT0;
  o.source_reachable = true;
  o.source_message = "DIMSE answered";
  const json s = BuildDatasetStatus(json::object(), o, kT0);
  EXPECT_EQ(s["observedGeneration"], 3);
  EXPECT_EQ(s["phase"], "Ready");
  EXPECT_EQ(s["progress"], json({{"done", 607}, {"total", 607}}));
  EXPECT_EQ(s["counts"]["patients"], 12);
  EXPECT_EQ(s["counts"]["bytes"], 123456);
  EXPECT_EQ(s["facets"]["modality"]["CT"], "25");
  EXPECT_EQ(s["facets"]["modality"]["MR"], "<10");
  EXPECT_EQ(s["facets"]["sex"]["F"], "<10");
  EXPECT_EQ(s["rejected"], json({{"count", 2}, {"topReasons", {{{"reason", "Unparseable"}, {"count", 2}}}}}));
  EXPECT_EQ(s["quarantined"]["count"], 5);
  EXPECT_EQ(s["quarantined"]["topReasons"][0]["reason"], "BurnedInAnnotation");
  EXPECT_EQ(s["contentDigest"], "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(s["lastIngestTime"], "2026-03-01T10:00:00Z");
  for (const char* type : {"Ready", "Ingested", "SourceReachable"}) {
    const json c = Cond(s, type);
    ASSERT_TRUE(c.is_object()) << type;
    EXPECT_EQ(c["status"], "True") << type;
    EXPECT_EQ(c["observedGeneration"], 3);
  }
  EXPECT_EQ(Cond(s, "Ready")["reason"], "IngestionComplete");
}

TEST(DatasetStatus, MinimumCellCountComesFromTheSpec) {
  DatasetObservation o;
  o.phase = DatasetPhase::kReady;
  o.content = Content();
  o.minimum_cell_count = 5;
  const json s = BuildDatasetStatus(json::object(), o, kT0);
  EXPECT_EQ(s["facets"]["modality"]["MR"], "5");
  EXPECT_EQ(s["facets"]["sex"]["M"], "<5");
}

TEST(DatasetStatus, FailedAndPendingCarryTheReasonAndDropStaleContent) {
  DatasetObservation ready;
  ready.generation = 1;
  ready.phase = DatasetPhase::kReady;
  ready.content = Content();
  ready.last_ingest_time = kT0;
  const json before = BuildDatasetStatus(json::object(), ready, kT0);

  DatasetObservation o;
  o.generation = 2;
  o.phase = DatasetPhase::kFailed;
  o.failure = DatasetFailure{"SourceProtocolMismatch", "set spec.source.protocol to dimse"};
  const json s = BuildDatasetStatus(before, o, kT1);
  EXPECT_EQ(s["phase"], "Failed");
  EXPECT_EQ(s["observedGeneration"], 2);
  EXPECT_FALSE(s.contains("counts"));
  EXPECT_FALSE(s.contains("contentDigest"));
  EXPECT_FALSE(s.contains("progress"));
  EXPECT_EQ(s["lastIngestTime"], "2026-03-01T10:00:00Z") << "when the last pass finished stays";
  EXPECT_EQ(Cond(s, "Ready")["reason"], "SourceProtocolMismatch");
  EXPECT_EQ(Cond(s, "Ready")["status"], "False");
  EXPECT_EQ(Cond(s, "Ready")["lastTransitionTime"], "2026-03-01T10:05:00Z");
  EXPECT_EQ(Cond(s, "Ingested")["reason"], "SourceProtocolMismatch");
  EXPECT_EQ(Cond(s, "SourceReachable")["status"], "Unknown");

  o.phase = DatasetPhase::kPending;
  o.failure = DatasetFailure{"KeySecretNotFound", "kubectl create secret"};
  const json p = BuildDatasetStatus(s, o, kT1 + seconds(10));
  EXPECT_EQ(p["phase"], "Pending");
  EXPECT_EQ(Cond(p, "Ready")["reason"], "KeySecretNotFound");
  EXPECT_EQ(Cond(p, "Ready")["lastTransitionTime"], "2026-03-01T10:05:00Z") << "the status stayed False: no transition";
}

TEST(DatasetStatus, AFullDiskIsStoreFullAndOtherIngestionErrorsIngestionFailed) {
  // As Ingestion::Run reports a full disk: the folder, the key, "disk full".
  const Status full(StatusCode::kResourceExhausted,
                    "storing the de-identified instance from 'p1/1.2.3.4.5.6': store /data/objects: write "
                    "/data/objects/tmp/ab.1.0: disk full: No space left on device (errno 28)");
  DatasetFailure f = IngestionFailure(full);
  EXPECT_EQ(f.reason, "StoreFull");
  EXPECT_NE(f.message.find("disk full"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("store /data/objects"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("once space is freed"), std::string::npos) << f.message;
  EXPECT_EQ(f.message.find("1.2.3.4.5.6"), std::string::npos) << "identifiers are redacted: " << f.message;

  f = IngestionFailure(InternalError("index: commit: database is locked"));
  EXPECT_EQ(f.reason, "IngestionFailed");
  EXPECT_EQ(f.message, "Ingestion failed: index: commit: database is locked.");
}

TEST(DatasetStatus, ARefreshKeepsTheCollectionReadyAndShowsItsProgressOrFailure) {
  DatasetObservation o;
  o.generation = 2;
  o.phase = DatasetPhase::kReady;
  o.refreshing = true;
  o.progress = std::make_pair(10u, 40u);
  o.content = Content();
  o.source_reachable = true;
  const json refreshing = BuildDatasetStatus(json::object(), o, kT0);
  EXPECT_EQ(refreshing["phase"], "Ready");
  EXPECT_EQ(refreshing["counts"]["instances"], 600) << "what is indexed stays reported";
  EXPECT_EQ(Cond(refreshing, "Ready")["status"], "True");
  EXPECT_EQ(Cond(refreshing, "Ingested")["status"], "False");
  EXPECT_EQ(Cond(refreshing, "Ingested")["reason"], "Refreshing");
  EXPECT_NE(Cond(refreshing, "Ingested")["message"].get<std::string>().find("10 of 40"), std::string::npos);

  o.refreshing = false;
  o.failure = DatasetFailure{"RefreshFailed", "Querying the source again failed: the PACS did not answer."};
  o.source_reachable = false;
  const json failed = BuildDatasetStatus(refreshing, o, kT1);
  EXPECT_EQ(failed["phase"], "Ready");
  EXPECT_EQ(Cond(failed, "Ready")["status"], "True");
  EXPECT_EQ(Cond(failed, "Ready")["lastTransitionTime"], "2026-03-01T10:00:00Z");
  EXPECT_EQ(Cond(failed, "Ingested")["reason"], "RefreshFailed");
  EXPECT_EQ(Cond(failed, "SourceReachable")["status"], "False");
}

TEST(DatasetStatus, IngestingShowsProgress) {
  DatasetObservation o;
  o.generation = 1;
  o.phase = DatasetPhase::kIngesting;
  o.progress = std::make_pair(64u, 600u);
  o.source_reachable = true;
  const json s = BuildDatasetStatus(json::object(), o, kT0);
  EXPECT_EQ(s["phase"], "Ingesting");
  EXPECT_EQ(s["progress"], json({{"done", 64}, {"total", 600}}));
  EXPECT_EQ(Cond(s, "Ready")["reason"], "Ingesting");
  EXPECT_NE(Cond(s, "Ingested")["message"].get<std::string>().find("64 of 600"), std::string::npos);
}

TEST(DatasetStatus, KeepsOtherWritersConditionsAndIsStable) {
  const json current = {{"conditions",
                         {{{"type", "DataNodeFound"},
                           {"status", "True"},
                           {"observedGeneration", 1},
                           {"lastTransitionTime", "2026-01-01T00:00:00Z"},
                           {"reason", "DataNodeFound"},
                           {"message", "exists"}}}},
                        {"somethingNew", 1}};
  DatasetObservation o;
  o.generation = 1;
  o.phase = DatasetPhase::kReady;
  o.content = Content();
  const json s = BuildDatasetStatus(current, o, kT0);
  EXPECT_EQ(Cond(s, "DataNodeFound"), current["conditions"][0]);
  EXPECT_EQ(s["somethingNew"], 1);
  EXPECT_EQ(BuildDatasetStatus(s, o, kT1), s) << "the same observation later writes nothing new";
}

TEST(DatasetStatus, TopReasonsMostFrequentFirstTiesByNameAtMostTen) {
  std::map<std::string, std::uint64_t> reasons;
  for (int i = 0; i < 14; ++i) reasons["R" + std::string(1, static_cast<char>('a' + i))] = 1;
  reasons["Zeta"] = 9;
  reasons["Alpha"] = 9;
  reasons["Mid"] = 5;
  const auto top = TopReasons(reasons);
  ASSERT_EQ(top.size(), 10u);
  EXPECT_EQ(top[0].first, "Alpha");
  EXPECT_EQ(top[1].first, "Zeta");
  EXPECT_EQ(top[2].first, "Mid");
  EXPECT_EQ(top[3].first, "Ra");
  EXPECT_EQ(top[9].first, "Rg");
}

TEST(DatasetStatus, ProgressIsWrittenAtMostEveryTwoSeconds) {
  ProgressThrottle t;
  const std::chrono::steady_clock::time_point t0{};
  EXPECT_TRUE(t.ShouldWrite(t0));
  EXPECT_FALSE(t.ShouldWrite(t0 + std::chrono::milliseconds(500)));
  EXPECT_FALSE(t.ShouldWrite(t0 + std::chrono::milliseconds(1999)));
  EXPECT_TRUE(t.ShouldWrite(t0 + seconds(2)));
  EXPECT_FALSE(t.ShouldWrite(t0 + seconds(3)));
  EXPECT_TRUE(t.ShouldWrite(t0 + seconds(4)));
}

// A hub where the operator writes DataNodeFound between the agent's read and
// its write: the agent's PUT conflicts, it reads again and keeps both.
class RacingHub : public DatasetHub {
 public:
  json object = {{"metadata", {{"name", "ds"}, {"resourceVersion", "1"}, {"generation", 1}}}};
  int conflicts_left = 1;
  int updates = 0;

  Result<json> GetDataset(const std::string&) override { return object; }
  Status UpdateStatus(const json& dataset) override {
    ++updates;
    if (dataset["metadata"]["resourceVersion"] != object["metadata"]["resourceVersion"]) {
      return Status(StatusCode::kConflict, "the object has been modified");
    }
    if (conflicts_left-- > 0) {
      object["status"]["conditions"] = {{{"type", "DataNodeFound"},
                                         {"status", "True"},
                                         {"observedGeneration", 1},
                                         {"lastTransitionTime", "2026-01-01T00:00:00Z"},
                                         {"reason", "DataNodeFound"},
                                         {"message", "exists"}}};
      object["metadata"]["resourceVersion"] = "2";
      return Status(StatusCode::kConflict, "the object has been modified");
    }
    object["status"] = dataset["status"];
    object["metadata"]["resourceVersion"] =
        std::to_string(std::stoi(object["metadata"].value("resourceVersion", "0")) + 1);
    return Status::Ok();
  }
  Result<std::string> GetSecretValue(const std::string&, const std::string&) override { return NotFoundError("none"); }
};

TEST(DatasetHub, ConflictRereadsAndKeepsTheOperatorsCondition) {
  RacingHub hub;
  DatasetObservation o;
  o.generation = 1;
  o.phase = DatasetPhase::kReady;
  o.content = Content();
  auto build = [&](const json& d) { return BuildDatasetStatus(d.value("status", json::object()), o, kT0); };
  auto wrote = WriteDatasetStatus(hub, "ds", build);
  ASSERT_TRUE(wrote.ok()) << wrote.status().ToString();
  EXPECT_TRUE(*wrote);
  EXPECT_EQ(hub.updates, 2);
  EXPECT_EQ(Cond(hub.object["status"], "DataNodeFound")["reason"], "DataNodeFound");
  EXPECT_EQ(Cond(hub.object["status"], "Ready")["status"], "True");
  EXPECT_EQ(hub.object["status"]["phase"], "Ready");

  wrote = WriteDatasetStatus(hub, "ds", build);
  ASSERT_TRUE(wrote.ok());
  EXPECT_FALSE(*wrote) << "an unchanged status is not written again";
  EXPECT_EQ(hub.updates, 2);
}

}  // namespace
}  // namespace oncoatlas::agent
