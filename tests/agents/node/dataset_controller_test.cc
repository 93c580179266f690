// The Dataset controller with an in-memory hub, an in-memory store, an index
// in memory, a folder PACS and a fake clock: the key Secret retry, rejected
// files with their reasons, and the removal of records no Dataset refers to.
#include "node/dataset_controller.h"

#include <unistd.h>

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
namespace fs = std::filesystem;

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
    ++attempts_;
    if (unavailable_) return UnavailableError("the hub is down");
    datasets_[dataset["metadata"]["name"]]["status"] = dataset["status"];
    ++writes_;
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
  int attempts() {
    std::lock_guard<std::mutex> l(mu_);
    return attempts_;
  }
  json StatusOf(const std::string& name) {
    std::lock_guard<std::mutex> l(mu_);
    return datasets_[name].value("status", json::object());
  }

 private:
  std::mutex mu_;
  std::map<std::string, json> datasets_;
  std::map<std::string, std::string> secrets_;
  int writes_ = 0;
  int attempts_ = 0;
  bool unavailable_ = false;
};

json Dataset(const std::string& name, const std::string& uid, int generation) {
  return {{"apiVersion", "oncoatlas.io/v1alpha1"},
          {"kind", "Dataset"},
          {"metadata", {{"name", name}, {"namespace", "oncoatlas-node-x"}, {"uid", uid}, {"generation", generation}}},
          {"spec",
           {{"node", "x"},
            {"source", {{"protocol", "folder"}}},
            {"cancerType", {{"code", "C50"}}},
            {"deidentification", json::object()},
            {"pseudonymisation", {{"keySecretRef", {{"name", "k"}}}}},
            {"dataUse", {{"permission", "DUO:0000042"}}}}}};
}

template <typename Predicate>
bool Eventually(Predicate p) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p();
}

std::string ConditionReason(const json& status, const std::string& type) {
  for (const json& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == type) return c.value("reason", "");
  }
  return "";
}

std::string ReadyReason(const json& status) { return ConditionReason(status, "Ready"); }

class DatasetControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dicom::InitDicomLibrary().ok());
    dir_ = fs::path(::testing::TempDir()) / ("dataset-controller-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "empty.dcm");
    std::ofstream(dir_ / "junk.dcm") << std::string(300, 'x');
    std::ofstream(dir_ / "more-junk.dcm") << std::string(200, 'y');
    index_ = std::move(SqliteIndex::Open(":memory:")).value();
    options_.pacs.source = FolderPacsConfig{dir_.string()};
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  MemoryHub hub_;
  MemoryBlobStore store_;
  std::unique_ptr<SqliteIndex> index_;
  kube::FakeClock clock_;
  DatasetControllerOptions options_;
  kube::Store datasets_;
};

TEST_F(DatasetControllerTest, WaitsForTheKeyThenReportsRejectedFilesWithReasons) {
  const json ds = Dataset("breast", "u1", 1);
  hub_.PutDataset(ds);
  datasets_.Put(ds);
  DatasetController controller(options_, hub_, *index_, store_, clock_);
  controller.Start(datasets_);
  controller.OnSynced();

  ASSERT_TRUE(Eventually([&] { return ReadyReason(hub_.StatusOf("breast")) == "KeySecretNotFound"; }))
      << hub_.StatusOf("breast").dump();
  EXPECT_EQ(hub_.StatusOf("breast")["phase"], "Pending");

  hub_.PutSecret("k", "key", std::string(32, 's'));
  ASSERT_TRUE(clock_.AwaitWaiters(1, std::chrono::seconds(10)));
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(clock_.AwaitSettled(1, std::chrono::seconds(10)));
  EXPECT_EQ(ReadyReason(hub_.StatusOf("breast")), "KeySecretNotFound") << "not before the 10 s retry";
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(Eventually([&] { return hub_.StatusOf("breast").value("phase", "") == "Ready"; }))
      << hub_.StatusOf("breast").dump();
  const json s = hub_.StatusOf("breast");
  EXPECT_EQ(s["counts"]["instances"], 0);
  EXPECT_EQ(s["rejected"]["count"], 3);
  EXPECT_EQ(s["rejected"]["topReasons"][0], json({{"reason", "TruncatedFile"}, {"count", 2}})) << s.dump();
  EXPECT_EQ(s["rejected"]["topReasons"][1], json({{"reason", "EmptyFile"}, {"count", 1}})) << s.dump();
  EXPECT_EQ(s["quarantined"]["count"], 0);
  EXPECT_EQ(s["contentDigest"], "sha256:" + crypto::Sha256Hex(""));
  EXPECT_EQ(s["progress"], json({{"done", 3}, {"total", 3}}));
  controller.Stop();
}

TEST_F(DatasetControllerTest, RemovesRecordsOfGoneDatasetsAndOldGenerationsAndTheirObjects) {
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
  ASSERT_TRUE(index_->RecordIngested("breast/u1/0/abc", {IngestedItem{"j", std::nullopt, "empty file", ""}}).ok());
  ASSERT_TRUE(index_->RecordIngested("not-a-dataset-record", {IngestedItem{"j", std::nullopt, "empty file", ""}}).ok());

  const json ds = Dataset("breast", "u1", 1);
  hub_.PutDataset(ds);
  datasets_.Put(ds);
  hub_.PutSecret("k", "key", std::string(32, 's'));
  DatasetController controller(options_, hub_, *index_, store_, clock_);
  controller.Start(datasets_);
  controller.OnSynced();
  ASSERT_TRUE(Eventually([&] { return hub_.StatusOf("breast").value("phase", "") == "Ready"; }));
  ASSERT_TRUE(Eventually([&] { return index_->ListDatasets()->size() == 2 && !store_.Contains(*sha); }))
      << index_->ListDatasets()->size();
  const auto names = *index_->ListDatasets();
  EXPECT_EQ(names[0].rfind("breast/u1/1/", 0), 0u) << names[0];
  EXPECT_EQ(names[1], "not-a-dataset-record") << "only records shaped like a Dataset's are touched";
  EXPECT_FALSE(store_.Contains(*sha)) << "no Dataset refers to the object any more";

  // The Dataset goes: its records go too.
  datasets_.Remove("oncoatlas-node-x/breast");
  controller.OnDelete(ds);
  ASSERT_TRUE(Eventually([&] { return index_->ListDatasets()->size() == 1; }));
  controller.Stop();
}

TEST_F(DatasetControllerTest, EachDatasetGetsAPrivateSpoolFolderRemovedWithItsRecords) {
  const fs::path spool = fs::path(::testing::TempDir()) / ("dataset-controller-spool-" + std::to_string(::getpid()));
  fs::remove_all(spool);
  options_.spool_dir = spool.string();
  const json ds = Dataset("breast", "u1", 1);
  hub_.PutDataset(ds);
  datasets_.Put(ds);
  hub_.PutSecret("k", "key", std::string(32, 's'));
  DatasetController controller(options_, hub_, *index_, store_, clock_);
  controller.Start(datasets_);
  controller.OnSynced();
  ASSERT_TRUE(Eventually([&] { return hub_.StatusOf("breast").value("phase", "") == "Ready"; }));
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

  datasets_.Remove("oncoatlas-node-x/breast");
  controller.OnDelete(ds);
  ASSERT_TRUE(Eventually([&] { return index_->ListDatasets()->empty(); }));
  EXPECT_TRUE(Eventually([&] { return folders().empty(); }));
  controller.Stop();
  fs::remove_all(spool);
}

TEST_F(DatasetControllerTest, ANewKeyIsNoticedWithinAMinuteAndReplacesTheRecords) {
  const json ds = Dataset("breast", "u1", 1);
  hub_.PutDataset(ds);
  datasets_.Put(ds);
  hub_.PutSecret("k", "key", std::string(32, 'a'));
  DatasetController controller(options_, hub_, *index_, store_, clock_);
  controller.Start(datasets_);
  controller.OnSynced();
  ASSERT_TRUE(Eventually([&] { return hub_.StatusOf("breast").value("phase", "") == "Ready"; }));
  ASSERT_TRUE(Eventually([&] { return index_->ListDatasets()->size() == 1; }));
  const std::string first = index_->ListDatasets()->front();

  hub_.PutSecret("k", "key", std::string(32, 'b'));
  ASSERT_TRUE(clock_.AwaitSettled(1, std::chrono::seconds(10)));
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(clock_.AwaitSettled(1, std::chrono::seconds(10)));
  EXPECT_EQ(*index_->ListDatasets(), std::vector<std::string>{first}) << "not checked before a minute";
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(Eventually([&] {
    auto names = index_->ListDatasets();
    return names->size() == 1 && names->front() != first;
  })) << index_->ListDatasets()->size();
  EXPECT_EQ(index_->ListDatasets()->front().rfind("breast/u1/1/", 0), 0u);
  controller.Stop();
}

TEST_F(DatasetControllerTest, AFinalStatusTheHubDidNotTakeIsWrittenAgainAfterABackoff) {
  const json ds = Dataset("breast", "u1", 1);
  hub_.PutDataset(ds);
  datasets_.Put(ds);
  hub_.PutSecret("k", "key", std::string(32, 'a'));
  hub_.SetUnavailable(true);
  DatasetController controller(options_, hub_, *index_, store_, clock_);
  controller.Start(datasets_);
  controller.OnSynced();
  ASSERT_TRUE(Eventually([&] { return hub_.attempts() > 0; }));
  ASSERT_TRUE(clock_.AwaitSettled(1, std::chrono::seconds(10)));
  EXPECT_FALSE(hub_.StatusOf("breast").contains("phase"));
  hub_.SetUnavailable(false);
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(Eventually([&] { return hub_.StatusOf("breast").value("phase", "") == "Ready"; }))
      << hub_.StatusOf("breast").dump();
  controller.Stop();
}

TEST_F(DatasetControllerTest, ARefreshIntervalQueriesTheSourceAgainAndKeepsServingWhatItHas) {
  kube::MetricFamily* excluded = AgentMetricsFamilies().dataset_instances;
  kube::MetricFamily* passes = AgentMetricsFamilies().dataset_passes;
  ASSERT_NE(excluded, nullptr);
  ASSERT_NE(passes, nullptr);
  json ds = Dataset("refreshed", "u1", 1);
  ds["spec"]["source"]["refreshInterval"] = "10m";
  hub_.PutDataset(ds);
  datasets_.Put(ds);
  hub_.PutSecret("k", "key", std::string(32, 'a'));
  DatasetController controller(options_, hub_, *index_, store_, clock_);
  controller.Start(datasets_);
  controller.OnSynced();
  ASSERT_TRUE(Eventually([&] { return hub_.StatusOf("refreshed").value("phase", "") == "Ready"; }));
  EXPECT_EQ(hub_.StatusOf("refreshed")["rejected"]["count"], 3);
  EXPECT_EQ(excluded->Value({"refreshed", "excluded"}), 3);
  EXPECT_EQ(passes->Value({"refreshed", "ready"}), 1);

  // A file arrives; nothing reads it before the interval has passed.
  std::ofstream(dir_ / "late.dcm") << std::string(100, 'z');
  for (int minute = 1; minute < 10; ++minute) {
    ASSERT_TRUE(clock_.AwaitSettled(1, std::chrono::seconds(10)));
    clock_.Advance(std::chrono::minutes(1));
  }
  ASSERT_TRUE(clock_.AwaitSettled(1, std::chrono::seconds(10)));
  EXPECT_EQ(hub_.StatusOf("refreshed")["rejected"]["count"], 3) << "not before 10 minutes";
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(Eventually([&] { return hub_.StatusOf("refreshed")["rejected"].value("count", 0) == 4; }))
      << hub_.StatusOf("refreshed").dump();
  EXPECT_EQ(hub_.StatusOf("refreshed")["progress"], json({{"done", 4}, {"total", 4}}));
  EXPECT_EQ(ConditionReason(hub_.StatusOf("refreshed"), "Ingested"), "IngestionComplete");
  EXPECT_EQ(excluded->Value({"refreshed", "excluded"}), 4) << "the three recorded before are not read again";
  EXPECT_EQ(passes->Value({"refreshed", "ready"}), 2);

  // The source goes away: the refresh fails, the collection stays Ready.
  fs::remove_all(dir_);
  ASSERT_TRUE(clock_.AwaitSettled(1, std::chrono::seconds(10)));
  clock_.Advance(std::chrono::minutes(10));
  ASSERT_TRUE(Eventually([&] { return ConditionReason(hub_.StatusOf("refreshed"), "Ingested") == "RefreshFailed"; }))
      << hub_.StatusOf("refreshed").dump();
  const json s = hub_.StatusOf("refreshed");
  EXPECT_EQ(s["phase"], "Ready");
  EXPECT_EQ(ReadyReason(s), "IngestionComplete");
  EXPECT_EQ(s["rejected"]["count"], 4) << "what was ingested is still reported";
  EXPECT_EQ(index_->ListDatasets()->size(), 1u) << "and still indexed";
  EXPECT_GE(passes->Value({"refreshed", "refresh_failed"}), 1);
  controller.Stop();
}

}  // namespace
}  // namespace oncoatlas::agent
