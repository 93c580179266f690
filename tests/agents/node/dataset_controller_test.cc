// The Dataset controller's decisions, by calling Reconcile directly with an
// in-memory hub, store and index, a fake ingestion backend and a fake clock:
// what is ingested under which index name, the status written, when it looks
// again (RequeueAfter), and what is removed. A few cases use the real backend
// over a folder PACS, and one runs the started controller.
#include "node/dataset_controller.h"

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "crypto/sha256.h"
#include "dicom/dcmtk_deidentifier.h"
#include "index/sqlite_index.h"
#include "node/agent_metrics.h"

namespace oncoatlas::agent {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;
using Kind = kube::ReconcileResult::Kind;
namespace fs = std::filesystem;

constexpr char kNs[] = "oncoatlas-node-x";

class MemoryHub : public DatasetHub {
 public:
  Result<json> GetDataset(const std::string& name) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = datasets_.find(name);
    if (it == datasets_.end()) return NotFoundError("no Dataset " + name);
    return it->second;
  }
  Status UpdateStatus(const json& dataset) override {
    std::lock_guard<std::mutex> l(mu_);
    if (unavailable_) return UnavailableError("the hub is down");
    datasets_[dataset["metadata"]["name"]]["status"] = dataset["status"];
    return Status::Ok();
  }
  Result<std::string> GetSecretValue(const std::string& name, const std::string& key) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = secrets_.find(name + "/" + key);
    if (it == secrets_.end()) return NotFoundError("no Secret " + name);
    return it->second;
  }
  void PutDataset(const json& d) {
    std::lock_guard<std::mutex> l(mu_);
    datasets_[d["metadata"]["name"]] = d;
  }
  void PutSecret(const std::string& name, const std::string& key, const std::string& value) {
    std::lock_guard<std::mutex> l(mu_);
    secrets_[name + "/" + key] = value;
  }
  void SetUnavailable(bool down) {
    std::lock_guard<std::mutex> l(mu_);
    unavailable_ = down;
  }
  json Get(const std::string& name) {
    std::lock_guard<std::mutex> l(mu_);
    return datasets_[name];
  }
  json StatusOf(const std::string& name) { return Get(name).value("status", json::object()); }

 private:
  std::mutex mu_;
  std::map<std::string, json> datasets_;
  std::map<std::string, std::string> secrets_;
  bool unavailable_ = false;
};

// Records every Open and Run; a Run records one rejected item per call into
// the index and returns the next scripted error, if any.
class FakeBackend : public IngestionBackend {
 public:
  std::variant<std::unique_ptr<IngestionPass>, DatasetFailure> Open(const DatasetPlan& plan,
                                                                    const std::string& key) override {
    opened.push_back({plan, key});
    if (refuse) return *refuse;
    return std::make_unique<Pass>(*this);
  }

  ImagingIndex* index = nullptr;
  std::optional<DatasetFailure> refuse;
  std::deque<Status> errors;  // the results of the next runs; then success
  std::function<void(const IngestionOptions&)> during_run;
  std::vector<std::pair<DatasetPlan, std::string>> opened;
  std::vector<std::string> runs;  // index names

 private:
  class Pass : public IngestionPass {
   public:
    explicit Pass(FakeBackend& b) : b_(b) {}
    std::string Describe() const override { return "the fake PACS"; }
    Result<IngestionProgress> Run(const std::string& index_name, IngestionOptions options,
                                  const std::atomic<bool>* stop) override {
      b_.runs.push_back(index_name);
      if (b_.during_run) b_.during_run(options);
      if (stop != nullptr && *stop) return IngestionProgress{};
      if (!b_.errors.empty()) {
        Status s = b_.errors.front();
        b_.errors.pop_front();
        return s;
      }
      const std::string item = "item-" + std::to_string(b_.runs.size());
      EXPECT_TRUE(b_.index->RecordIngested(index_name, {IngestedItem{item, std::nullopt, "empty file", ""}}).ok());
      const std::uint64_t total = b_.index->IngestedSourceKeys(index_name)->size();
      return IngestionProgress{.total = total, .done = total, .quarantined = 1, .skipped = total - 1};
    }

   private:
    FakeBackend& b_;
  };
};

json Dataset(const std::string& name, const std::string& uid, int generation) {
  return {{"apiVersion", "oncoatlas.io/v1alpha1"},
          {"kind", "Dataset"},
          {"metadata", {{"name", name}, {"namespace", kNs}, {"uid", uid}, {"generation", generation}}},
          {"spec",
           {{"node", "x"},
            {"source", {{"protocol", "folder"}}},
            {"cancerType", {{"code", "C50"}}},
            {"deidentification", json::object()},
            {"pseudonymisation", {{"keySecretRef", {{"name", "k"}}}}},
            {"dataUse", {{"permission", "DUO:0000042"}}}}}};
}

json Condition(const json& status, const std::string& type) {
  for (const json& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return json::object();
}

std::string Reason(const json& status, const std::string& type = "Ready") {
  return Condition(status, type).value("reason", "");
}
std::string Message(const json& status, const std::string& type = "Ready") {
  return Condition(status, type).value("message", "");
}

bool RequeuesAfter(const kube::ReconcileResult& r, kube::Clock::Duration d) {
  return r.kind() == Kind::kRequeueAfter && r.delay() == d;
}

class DatasetControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dicom::InitDicomLibrary().ok());
    dir_ = fs::path(::testing::TempDir()) / ("dataset-controller-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    index_ = std::move(SqliteIndex::Open(":memory:")).value();
    backend_.index = index_.get();
    options_.pacs.source = FolderPacsConfig{dir_.string()};
    options_.namespace_name = kNs;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A Dataset in the informer's store and on the hub, with its key Secret.
  void Put(const json& ds, const std::string& key = std::string(32, 'a')) {
    hub_.PutDataset(ds);
    datasets_.Put(ds);
    if (!key.empty()) hub_.PutSecret("k", "key", key);
  }
  std::unique_ptr<DatasetController> Make(IngestionBackend* backend = nullptr) {
    return std::make_unique<DatasetController>(options_, datasets_, hub_, *index_, store_,
                                               backend ? *backend : backend_, clock_);
  }
  static kube::Request Req(const std::string& name) { return {kNs, name}; }
  std::vector<std::string> Names() { return *index_->ListDatasets(); }

  fs::path dir_;
  MemoryHub hub_;
  MemoryBlobStore store_;
  std::unique_ptr<SqliteIndex> index_;
  kube::FakeClock clock_;
  DatasetControllerOptions options_;
  kube::Store datasets_;
  FakeBackend backend_;
};

TEST_F(DatasetControllerTest, ANewDatasetIsIngestedUnderItsIndexNameAndReady) {
  Put(Dataset("breast", "u1", 1));
  auto controller = Make();
  const auto r = controller->Reconcile(Req("breast"));

  ASSERT_EQ(backend_.opened.size(), 1u);
  const DatasetPlan& plan = backend_.opened[0].first;
  EXPECT_EQ(plan.name, "breast");
  EXPECT_EQ(plan.generation, 1);
  EXPECT_EQ(backend_.opened[0].second, std::string(32, 'a'));
  ASSERT_EQ(backend_.runs, std::vector<std::string>{IndexName(plan, std::string(32, 'a'))});
  const json s = hub_.StatusOf("breast");
  EXPECT_EQ(s["phase"], "Ready") << s.dump();
  EXPECT_EQ(s["observedGeneration"], 1);
  EXPECT_EQ(s["progress"], json({{"done", 1}, {"total", 1}}));
  EXPECT_EQ(s["rejected"]["count"], 1);
  EXPECT_TRUE(s.contains("lastIngestTime"));
  EXPECT_EQ(Reason(s), "IngestionComplete");
  EXPECT_EQ(Reason(s, "Ingested"), "IngestionComplete");
  EXPECT_EQ(Message(s, "SourceReachable"), "the fake PACS answered; 1 instances matched.");
  EXPECT_TRUE(RequeuesAfter(r, seconds(60))) << "the key check";

  // Its own status write brings it back: nothing to do.
  clock_.Advance(seconds(1));
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(59)));
  EXPECT_EQ(backend_.runs.size(), 1u);
}

TEST_F(DatasetControllerTest, WithoutItsKeySecretADatasetIsPendingAndLooksAgainEvery10s) {
  Put(Dataset("breast", "u1", 1), "");
  auto controller = Make();
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(10)));
  json s = hub_.StatusOf("breast");
  EXPECT_EQ(s["phase"], "Pending");
  EXPECT_EQ(Reason(s), "KeySecretNotFound");
  EXPECT_NE(Message(s).find("kubectl -n oncoatlas-node-x create secret generic k"), std::string::npos) << s.dump();
  EXPECT_TRUE(backend_.opened.empty());

  hub_.PutSecret("k", "key", std::string(32, 's'));
  clock_.Advance(seconds(5));
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(5))) << "not before the 10 s retry";
  EXPECT_EQ(Reason(hub_.StatusOf("breast")), "KeySecretNotFound");
  clock_.Advance(seconds(5));
  controller->Reconcile(Req("breast"));
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Ready");

  hub_.PutSecret("k", "key", "short");
  Put(Dataset("breast", "u1", 2), "");
  controller->Reconcile(Req("breast"));
  EXPECT_EQ(Reason(hub_.StatusOf("breast")), "KeySecretInvalid");
}

TEST_F(DatasetControllerTest, AnIngestionFailureSetsTheConditionAndRequeuesWithBackoff) {
  Put(Dataset("breast", "u1", 1));
  backend_.errors = {UnavailableError("C-GET from the PACS failed"), InternalError("index: database is locked")};
  auto controller = Make();

  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(5)));
  json s = hub_.StatusOf("breast");
  EXPECT_EQ(s["phase"], "Failed");
  EXPECT_EQ(Reason(s), "IngestionFailed");
  EXPECT_EQ(Message(s), "Ingestion failed: C-GET from the PACS failed. Retrying in 5 s.");
  EXPECT_EQ(Condition(s, "SourceReachable")["status"], "False");

  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(5))) << "an event before the retry";
  EXPECT_EQ(backend_.runs.size(), 1u);

  clock_.Advance(seconds(5));
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(10))) << "the backoff doubles";
  s = hub_.StatusOf("breast");
  EXPECT_EQ(Message(s), "Ingestion failed: index: database is locked. Retrying in 10 s.");
  EXPECT_EQ(Condition(s, "SourceReachable")["status"], "True");

  clock_.Advance(seconds(10));
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(60)));
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Ready");
  EXPECT_EQ(backend_.runs.size(), 3u);
}

TEST_F(DatasetControllerTest, AFullStoreIsStoreFullAndRetried) {
  Put(Dataset("breast", "u1", 1));
  backend_.errors = {Status(StatusCode::kResourceExhausted,
                            "store /data/objects: write /data/objects/tmp/ab: disk full: No space left on device")};
  auto controller = Make();
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(5)));
  const json s = hub_.StatusOf("breast");
  EXPECT_EQ(s["phase"], "Failed");
  EXPECT_EQ(Reason(s), "StoreFull");
  EXPECT_EQ(Reason(s, "Ingested"), "StoreFull");
  EXPECT_NE(Message(s).find("once space is freed"), std::string::npos) << Message(s);
  EXPECT_NE(Message(s).find("Retrying in 5 s."), std::string::npos) << Message(s);

  clock_.Advance(seconds(5));
  controller->Reconcile(Req("breast"));
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Ready") << "resumes once space is freed";
}

TEST_F(DatasetControllerTest, ARefusalIsFailedUntilTheSpecChanges) {
  json web = Dataset("web", "u2", 1);
  web["spec"]["source"]["protocol"] = "dicomweb";
  Put(web);
  Put(Dataset("breast", "u1", 1));
  backend_.refuse = DatasetFailure{"InvalidSource", "The source cannot be used."};
  auto controller = Make();

  EXPECT_EQ(controller->Reconcile(Req("web")).kind(), Kind::kDone);
  EXPECT_EQ(Reason(hub_.StatusOf("web")), "SourceProtocolMismatch");
  EXPECT_TRUE(backend_.opened.empty());

  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(60))) << "only the key check";
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Failed");
  EXPECT_EQ(Reason(hub_.StatusOf("breast")), "InvalidSource");
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(60)));
  EXPECT_EQ(backend_.opened.size(), 1u) << "not tried again for the same generation";

  backend_.refuse.reset();
  Put(Dataset("breast", "u1", 2));
  controller->Reconcile(Req("breast"));
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Ready");
  EXPECT_EQ(hub_.StatusOf("breast")["observedGeneration"], 2);
}

TEST_F(DatasetControllerTest, ADeletedDatasetsRecordsAndObjectsAreRemoved) {
  InstanceRecord r;
  r.patient_pseudonym = "P1";
  r.study_uid = "2.25.1";
  r.series_uid = "2.25.2";
  r.sop_instance_uid = "2.25.3";
  auto sha = store_.Put("de-identified bytes");
  ASSERT_TRUE(sha.ok());
  r.sha256 = *sha;
  r.size_bytes = 19;
  ASSERT_TRUE(index_->RecordIngested("gone/u9/1/abc", {IngestedItem{"k", r, "", ""}}).ok());
  ASSERT_TRUE(index_->RecordIngested("breast/u0/1/abc", {IngestedItem{"j", std::nullopt, "empty file", ""}}).ok());
  ASSERT_TRUE(index_->RecordIngested("breast/u1/0/abc", {IngestedItem{"j", std::nullopt, "empty file", ""}}).ok());
  ASSERT_TRUE(index_->RecordIngested("not-a-dataset-record", {IngestedItem{"j", std::nullopt, "empty file", ""}}).ok());
  Put(Dataset("breast", "u1", 1));
  auto controller = Make();

  EXPECT_EQ(controller->Reconcile(Req("gone")).kind(), Kind::kDone);
  EXPECT_EQ(Names().size(), 4u) << "before the informer has listed, an absent Dataset may yet come";

  controller->OnSynced();
  EXPECT_EQ(controller->Reconcile(Req("gone")).kind(), Kind::kDone);
  EXPECT_EQ(Names().size(), 3u);
  EXPECT_FALSE(store_.Contains(*sha)) << "no Dataset refers to the object any more";

  // Another object of that name (deleted and created again): its records go at
  // once; older generations of this one once the current one is Ready.
  controller->Reconcile(Req("breast"));
  ASSERT_EQ(Names().size(), 2u);
  EXPECT_EQ(Names()[0].rfind("breast/u1/1/", 0), 0u) << Names()[0];
  EXPECT_EQ(Names()[1], "not-a-dataset-record") << "only records shaped like a Dataset's are touched";

  datasets_.Remove(std::string(kNs) + "/breast");
  EXPECT_EQ(controller->Reconcile(Req("breast")).kind(), Kind::kDone);
  EXPECT_EQ(Names(), std::vector<std::string>{"not-a-dataset-record"});
}

TEST_F(DatasetControllerTest, AFinalStatusTheHubDidNotTakeIsWrittenAgainAfterABackoff) {
  Put(Dataset("breast", "u1", 1));
  hub_.SetUnavailable(true);
  auto controller = Make();
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(5)));
  EXPECT_FALSE(hub_.StatusOf("breast").contains("phase"));
  hub_.SetUnavailable(false);
  clock_.Advance(seconds(5));
  controller->Reconcile(Req("breast"));
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Ready");
  EXPECT_EQ(hub_.StatusOf("breast")["progress"], json({{"done", 2}, {"total", 2}}))
      << "the retry ingests what the index lacks";
}

TEST_F(DatasetControllerTest, AfterARestartAReadyDatasetIsNotFetchedAgain) {
  Put(Dataset("breast", "u1", 1));
  Make()->Reconcile(Req("breast"));
  const json before = hub_.StatusOf("breast");
  ASSERT_EQ(before["phase"], "Ready");
  datasets_.Put(hub_.Get("breast"));  // the informer sees the status written

  clock_.Advance(minutes(5));
  auto restarted = Make();
  EXPECT_TRUE(RequeuesAfter(restarted->Reconcile(Req("breast")), seconds(60)));
  EXPECT_EQ(backend_.runs.size(), 1u) << "nothing fetched again";
  const json s = hub_.StatusOf("breast");
  EXPECT_EQ(s["phase"], "Ready");
  EXPECT_EQ(s["contentDigest"], before["contentDigest"]);
  EXPECT_EQ(s["lastIngestTime"], before["lastIngestTime"]);
  EXPECT_NE(Message(s, "SourceReachable").find("Ingested before"), std::string::npos) << s.dump();
}

// The phase is a summary: the operator writes Suspended while the node is
// disconnected. An agent restarting then reads its own Ready condition, and
// does not ingest the collection again.
TEST_F(DatasetControllerTest, AfterARestartWhileSuspendedTheReadyConditionDecidesNotThePhase) {
  Put(Dataset("breast", "u1", 1));
  Make()->Reconcile(Req("breast"));
  json seen = hub_.Get("breast");
  ASSERT_EQ(seen["status"]["phase"], "Ready");
  seen["status"]["phase"] = "Suspended";
  datasets_.Put(seen);

  auto restarted = Make();
  restarted->Reconcile(Req("breast"));
  EXPECT_EQ(backend_.runs.size(), 1u) << "nothing fetched again";
  EXPECT_NE(Message(hub_.StatusOf("breast"), "SourceReachable").find("Ingested before"), std::string::npos);
}

TEST_F(DatasetControllerTest, ANewKeyIsNoticedWithinAMinuteAndReplacesTheRecords) {
  Put(Dataset("breast", "u1", 1));
  auto controller = Make();
  controller->Reconcile(Req("breast"));
  ASSERT_EQ(Names().size(), 1u);
  const std::string first = Names()[0];

  hub_.PutSecret("k", "key", std::string(32, 'b'));
  clock_.Advance(seconds(30));
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("breast")), seconds(30)));
  EXPECT_EQ(Names(), std::vector<std::string>{first}) << "not checked before a minute";
  clock_.Advance(seconds(30));
  controller->Reconcile(Req("breast"));
  ASSERT_EQ(Names().size(), 1u);
  EXPECT_NE(Names()[0], first);
  EXPECT_EQ(Names()[0].rfind("breast/u1/1/", 0), 0u);
  EXPECT_EQ(backend_.opened.back().second, std::string(32, 'b'));
}

TEST_F(DatasetControllerTest, ARefreshIntervalQueriesTheSourceAgainAndAFailedRefreshStaysReady) {
  kube::MetricFamily* passes = AgentMetricsFamilies().dataset_passes;
  ASSERT_NE(passes, nullptr);
  options_.key_check_interval = minutes(60);
  json ds = Dataset("refreshed", "u1", 1);
  ds["spec"]["source"]["refreshInterval"] = "10m";
  Put(ds);
  auto controller = Make();
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("refreshed")), minutes(10)));
  EXPECT_EQ(hub_.StatusOf("refreshed")["rejected"]["count"], 1);
  EXPECT_EQ(passes->Value({"refreshed", "ready"}), 1);

  clock_.Advance(minutes(10));
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("refreshed")), minutes(10)));
  json s = hub_.StatusOf("refreshed");
  EXPECT_EQ(s["rejected"]["count"], 2) << s.dump();
  EXPECT_EQ(s["progress"], json({{"done", 2}, {"total", 2}}));
  EXPECT_EQ(Reason(s, "Ingested"), "IngestionComplete");
  EXPECT_EQ(backend_.runs[0], backend_.runs[1]) << "into the same records";
  EXPECT_EQ(passes->Value({"refreshed", "ready"}), 2);

  backend_.errors = {UnavailableError("the PACS did not answer")};
  clock_.Advance(minutes(10));
  EXPECT_TRUE(RequeuesAfter(controller->Reconcile(Req("refreshed")), seconds(5)));
  s = hub_.StatusOf("refreshed");
  EXPECT_EQ(s["phase"], "Ready");
  EXPECT_EQ(Reason(s), "IngestionComplete");
  EXPECT_EQ(Reason(s, "Ingested"), "RefreshFailed");
  EXPECT_EQ(s["rejected"]["count"], 2) << "what was ingested is still reported";
  EXPECT_EQ(passes->Value({"refreshed", "refresh_failed"}), 1);
}

TEST_F(DatasetControllerTest, AChangeDuringIngestionInterruptsThePassAndTheNextReconcileTakesIt) {
  Put(Dataset("breast", "u1", 1));
  backend_.during_run = [&](const IngestionOptions& o) {
    backend_.during_run = nullptr;
    datasets_.Put(Dataset("breast", "u1", 2));
    o.on_progress(IngestionProgress{.total = 5, .done = 1});
  };
  auto controller = Make();
  EXPECT_EQ(controller->Reconcile(Req("breast")).kind(), Kind::kDone) << "the change enqueued it again";
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Ingesting");

  hub_.PutDataset(Dataset("breast", "u1", 2));
  controller->Reconcile(Req("breast"));
  EXPECT_EQ(backend_.opened.back().first.generation, 2);
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Ready");
  EXPECT_EQ(hub_.StatusOf("breast")["observedGeneration"], 2);
}

// The real backend over a folder PACS.
TEST_F(DatasetControllerTest, RejectedFilesAreReportedWithTheirReasons) {
  std::ofstream(dir_ / "empty.dcm");
  std::ofstream(dir_ / "junk.dcm") << std::string(300, 'x');
  std::ofstream(dir_ / "more-junk.dcm") << std::string(200, 'y');
  Put(Dataset("breast", "u1", 1));
  auto real = MakeIngestionBackend(options_.pacs, store_, *index_);
  Make(real.get())->Reconcile(Req("breast"));
  const json s = hub_.StatusOf("breast");
  ASSERT_EQ(s["phase"], "Ready") << s.dump();
  EXPECT_EQ(s["counts"]["instances"], 0);
  EXPECT_EQ(s["rejected"]["count"], 3);
  EXPECT_EQ(s["rejected"]["topReasons"][0], json({{"reason", "TruncatedFile"}, {"count", 2}})) << s.dump();
  EXPECT_EQ(s["rejected"]["topReasons"][1], json({{"reason", "EmptyFile"}, {"count", 1}})) << s.dump();
  EXPECT_EQ(s["quarantined"]["count"], 0);
  EXPECT_EQ(s["contentDigest"], "sha256:" + crypto::Sha256Hex(""));
  EXPECT_EQ(s["progress"], json({{"done", 3}, {"total", 3}}));
  EXPECT_EQ(Message(s, "SourceReachable"), "folder " + dir_.string() + " answered; 3 instances matched.");
}

TEST_F(DatasetControllerTest, EachDatasetGetsAPrivateSpoolFolderRemovedWithItsRecords) {
  const fs::path spool = fs::path(::testing::TempDir()) / ("dataset-controller-spool-" + std::to_string(::getpid()));
  fs::remove_all(spool);
  options_.spool_dir = spool.string();
  std::ofstream(dir_ / "junk.dcm") << std::string(300, 'x');  // a record, whose removal removes the folder
  Put(Dataset("breast", "u1", 1));
  auto real = MakeIngestionBackend(options_.pacs, store_, *index_);
  auto controller = Make(real.get());
  controller->OnSynced();
  controller->Reconcile(Req("breast"));
  ASSERT_EQ(hub_.StatusOf("breast")["phase"], "Ready");
  auto folders = [&] {
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(spool)) found.push_back(e.path());
    return found;
  };
  EXPECT_EQ(fs::status(spool).permissions(), fs::perms::owner_all);
  const auto per_dataset = folders();
  ASSERT_EQ(per_dataset.size(), 1u);
  EXPECT_EQ(fs::status(per_dataset[0]).permissions(), fs::perms::owner_all);
  EXPECT_TRUE(fs::is_empty(per_dataset[0])) << "the spool is emptied at the end of a run";
  EXPECT_EQ(per_dataset[0].filename().string().find("breast"), std::string::npos) << "named by a hash";

  datasets_.Remove(std::string(kNs) + "/breast");
  controller->Reconcile(Req("breast"));
  EXPECT_TRUE(Names().empty());
  EXPECT_TRUE(folders().empty());
  fs::remove_all(spool);
}

// The started controller: informer events enqueue, its one worker reconciles.
TEST_F(DatasetControllerTest, TheStartedControllerReconcilesWhatTheInformerReports) {
  auto controller = Make();
  ASSERT_TRUE(controller->Start().ok());
  controller->OnSynced();
  const json ds = Dataset("breast", "u1", 1);
  Put(ds);
  controller->OnAdd(ds);
  auto eventually = [](const std::function<bool()>& p) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (!p() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return p();
  };
  EXPECT_TRUE(eventually([&] { return hub_.StatusOf("breast").value("phase", "") == "Ready"; }));
  datasets_.Remove(std::string(kNs) + "/breast");
  controller->OnDelete(ds);
  EXPECT_TRUE(eventually([&] { return index_->ListDatasets()->empty(); }));
  controller->Stop();
}

}  // namespace
}  // namespace oncoatlas::agent
