#include "index/sqlite_index.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "crypto/sha256.h"

namespace oncoatlas::agent {
namespace {

InstanceRecord Instance(const std::string& patient, const std::string& study, const std::string& series, int n,
                        const std::string& modality = "CT") {
  InstanceRecord r;
  r.patient_pseudonym = patient;
  r.study_uid = study;
  r.series_uid = series;
  r.sop_instance_uid = series + "." + std::to_string(n);
  r.sha256 = crypto::Sha256Hex(r.sop_instance_uid);
  r.size_bytes = 1000 + static_cast<std::uint64_t>(n);
  r.modality = modality;
  r.body_part = "BREAST";
  r.sex = patient == "p1" ? "F" : "M";
  r.age_band = "50-59";
  r.study_year = 2021;
  r.manufacturer = "ACME";
  return r;
}

std::unique_ptr<SqliteIndex> OpenMemory() {
  auto idx = SqliteIndex::Open(":memory:");
  EXPECT_TRUE(idx.ok()) << idx.status().ToString();
  return idx.ok() ? std::move(idx).value() : nullptr;
}

TEST(SqliteIndex, CountsPatientsStudiesSeriesInstancesAndBytes) {
  auto idx = OpenMemory();
  ASSERT_TRUE(idx);
  std::vector<InstanceRecord> batch = {Instance("p1", "2.25.1", "2.25.11", 1), Instance("p1", "2.25.1", "2.25.11", 2),
                                       Instance("p1", "2.25.1", "2.25.12", 1, "MR"),
                                       Instance("p2", "2.25.2", "2.25.21", 1)};
  ASSERT_TRUE(idx->AddInstances("breast", batch).ok());
  auto c = idx->Counts("breast");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->patients, 2u);
  EXPECT_EQ(c->studies, 2u);
  EXPECT_EQ(c->series, 3u);
  EXPECT_EQ(c->instances, 4u);
  EXPECT_EQ(c->bytes, 1001u + 1002u + 1001u + 1001u);

  auto other = idx->Counts("lung");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, DatasetCounts{});
}

TEST(SqliteIndex, AddingTheSameInstancesAgainChangesNothing) {
  auto idx = OpenMemory();
  ASSERT_TRUE(idx);
  std::vector<InstanceRecord> batch = {Instance("p1", "2.25.1", "2.25.11", 1), Instance("p1", "2.25.1", "2.25.11", 2)};
  ASSERT_TRUE(idx->AddInstances("ds", batch).ok());
  auto before = idx->Counts("ds");
  auto hashes_before = idx->InstanceHashes("ds");
  ASSERT_TRUE(idx->AddInstances("ds", batch).ok());
  EXPECT_EQ(*idx->Counts("ds"), *before);
  EXPECT_EQ(*idx->InstanceHashes("ds"), *hashes_before);
}

TEST(SqliteIndex, ABatchIsAllOrNothing) {
  auto idx = OpenMemory();
  ASSERT_TRUE(idx);
  InstanceRecord broken = Instance("p9", "2.25.9", "2.25.91", 1);
  broken.sha256.clear();
  Status s = idx->AddInstances("ds", {Instance("p1", "2.25.1", "2.25.11", 1), broken});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(idx->Counts("ds")->instances, 0u);
  EXPECT_FALSE(*idx->HasInstance("ds", "2.25.11.1"));
}

TEST(SqliteIndex, FacetsCountPatientsOrStudies) {
  auto idx = OpenMemory();
  ASSERT_TRUE(idx);
  ASSERT_TRUE(
      idx->AddInstances("ds", {Instance("p1", "2.25.1", "2.25.11", 1), Instance("p1", "2.25.1", "2.25.12", 1, "MR"),
                               Instance("p2", "2.25.2", "2.25.21", 1), Instance("p2", "2.25.3", "2.25.31", 1)})
          .ok());
  auto f = idx->Facets("ds");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)["sex"]["F"], 1u);
  EXPECT_EQ((*f)["sex"]["M"], 1u);
  EXPECT_EQ((*f)["modality"]["CT"], 3u);  // studies with a CT series
  EXPECT_EQ((*f)["modality"]["MR"], 1u);
  EXPECT_EQ((*f)["studyYear"]["2021"], 3u);
  EXPECT_EQ((*f)["ageBand"]["50-59"], 2u);
  EXPECT_EQ((*f)["manufacturer"]["ACME"], 3u);
}

TEST(SqliteIndex, RemovingADatasetKeepsInstancesOthersHold) {
  auto idx = OpenMemory();
  ASSERT_TRUE(idx);
  auto shared = Instance("p1", "2.25.1", "2.25.11", 1);
  auto only_a = Instance("p2", "2.25.2", "2.25.21", 1);
  ASSERT_TRUE(idx->AddInstances("a", {shared, only_a}).ok());
  ASSERT_TRUE(idx->AddInstances("b", {shared}).ok());
  auto dropped = idx->RemoveDataset("a");
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, std::vector<std::string>{only_a.sha256});
  EXPECT_EQ(idx->Counts("a")->instances, 0u);
  EXPECT_EQ(idx->Counts("b")->instances, 1u);
  EXPECT_EQ(idx->Counts("b")->patients, 1u);
}

TEST(SqliteIndex, PersistsAcrossReopen) {
  std::string path = ::testing::TempDir() + "index-" + std::to_string(::getpid()) + ".db";
  std::filesystem::remove(path);
  {
    auto idx = SqliteIndex::Open(path);
    ASSERT_TRUE(idx.ok());
    ASSERT_TRUE((*idx)->AddInstances("ds", {Instance("p1", "2.25.1", "2.25.11", 1)}).ok());
  }
  auto idx = SqliteIndex::Open(path);
  ASSERT_TRUE(idx.ok());
  EXPECT_TRUE(*(*idx)->HasInstance("ds", "2.25.11.1"));
  EXPECT_EQ((*idx)->Counts("ds")->instances, 1u);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(SqliteIndex, UnwritableLocationIsAClearError) {
  auto idx = SqliteIndex::Open("/nonexistent-dir/index.db");
  ASSERT_FALSE(idx.ok());
  EXPECT_NE(idx.status().message().find("/nonexistent-dir/index.db"), std::string::npos);
  EXPECT_NE(idx.status().message().find("writable"), std::string::npos);
}

TEST(SqliteIndex, ListDatasetsAndRemovalKeepsWhatOthersReference) {
  auto idx = OpenMemory();
  ASSERT_TRUE(idx);
  const InstanceRecord shared = Instance("p1", "st1", "se1", 1);
  const InstanceRecord only_a = Instance("p1", "st1", "se1", 2);
  IngestedItem a1{"k1", shared, "", ""}, a2{"k2", only_a, "", ""};
  IngestedItem q{"k3", std::nullopt, "empty file", ""};
  ASSERT_TRUE(idx->RecordIngested("a/u1/1/f", {a1, a2, q}).ok());
  ASSERT_TRUE(idx->RecordIngested("b/u2/1/f", {a1}).ok());
  ASSERT_TRUE(idx->RecordIngested("c/u3/1/f", {IngestedItem{"k9", std::nullopt, "empty file", ""}}).ok());
  auto names = idx->ListDatasets();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a/u1/1/f", "b/u2/1/f", "c/u3/1/f"}));

  auto dropped = idx->RemoveDataset("a/u1/1/f");
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, std::vector<std::string>{only_a.sha256}) << "b still holds the shared instance";
  EXPECT_EQ(idx->Counts("a/u1/1/f")->instances, 0u);
  EXPECT_TRUE(idx->IngestedSourceKeys("a/u1/1/f")->empty());
  EXPECT_TRUE(idx->QuarantineReasons("a/u1/1/f")->empty());
  EXPECT_EQ(idx->Counts("b/u2/1/f")->instances, 1u);
  EXPECT_EQ(*idx->ListDatasets(), (std::vector<std::string>{"b/u2/1/f", "c/u3/1/f"}));

  ASSERT_TRUE(idx->RemoveDataset("c/u3/1/f").ok());
  dropped = idx->RemoveDataset("b/u2/1/f");
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, std::vector<std::string>{shared.sha256});
  EXPECT_TRUE(idx->ListDatasets()->empty());
}

}  // namespace
}  // namespace oncoatlas::agent
