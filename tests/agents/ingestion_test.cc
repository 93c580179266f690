#include "ingest/ingestion.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "index/dataset_summary.h"
#include "index/sqlite_index.h"

namespace oncoatlas::agent {
namespace {

namespace fs = std::filesystem;

// Stands in for the DICOM processor: inputs are "patient|study|series|sop|payload"
// lines; anything else is quarantined. The output is a transformed copy, so
// stored bytes differ from the input as de-identified files do.
class LineProcessor : public InstanceProcessor {
 public:
  ProcessOutcome Process(const std::string& input) override {
    std::vector<std::string> f;
    std::stringstream ss(input);
    std::string part;
    while (std::getline(ss, part, '|')) f.push_back(part);
    ProcessOutcome out;
    if (f.size() != 5) {
      out.quarantine_reason = "unparseable: expected 5 fields";
      return out;
    }
    if (f[4] == "burned-in") {
      out.quarantine_reason = "burned-in annotation not cleaned";
      return out;
    }
    InstanceRecord r;
    r.patient_pseudonym = "pseudo-" + f[0];
    r.study_uid = "2.25." + f[1];
    r.series_uid = "2.25." + f[1] + f[2];
    r.sop_instance_uid = "2.25." + f[1] + f[2] + f[3];
    r.modality = "CT";
    out.instance = std::make_pair("deid:" + f[1] + f[2] + f[3] + ":" + f[4] + std::string(2000, 'p'), r);
    return out;
  }
};

class IngestionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(::testing::TempDir()) / ("ingest-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_ / "input" / "sub");
  }
  void TearDown() override { fs::remove_all(base_); }

  // Writes `n` good inputs plus two bad ones.
  void WriteInputs(int n) {
    for (int i = 0; i < n; ++i) {
      std::ofstream(base_ / "input" / (i % 2 ? "sub" : "") / ("f" + std::to_string(i)))
          << "p" << (i % 7) << "|" << (i % 11) << "|" << (i % 3) << "|" << i << "|payload" << i;
    }
    std::ofstream(base_ / "input" / "garbage.bin") << "\x01\x02 not a file we understand";
    std::ofstream(base_ / "input" / "us-image") << "p1|1|1|999|burned-in";
  }

  // A summary of what a workspace holds, to compare runs.
  static std::string Snapshot(const fs::path& work) {
    auto idx = SqliteIndex::Open((work / "index.db").string());
    if (!idx.ok()) return "cannot open index: " + idx.status().ToString();
    std::ostringstream s;
    auto c = (*idx)->Counts("ds");
    s << "counts " << c->patients << " " << c->studies << " " << c->series << " " << c->instances << " " << c->bytes
      << "\n";
    s << "digest " << *MerkleRoot(*(*idx)->InstanceHashes("ds")) << "\n";
    auto reasons = (*idx)->QuarantineReasons("ds");
    for (const auto& [reason, n] : *reasons) s << "quarantine " << reason << " " << n << "\n";
    auto keys = (*idx)->IngestedSourceKeys("ds");
    for (const auto& k : *keys) s << "key " << k << "\n";
    std::set<std::string> objects;
    for (const auto& e : fs::recursive_directory_iterator(work / "store" / "sha256")) {
      if (e.is_regular_file()) objects.insert(e.path().filename().string());
    }
    for (const auto& o : objects) s << "object " << o << "\n";
    return s.str();
  }

  // Runs a whole ingestion into `work`; returns its progress.
  Result<IngestionProgress> RunInto(const fs::path& work, const std::atomic<bool>* stop = nullptr, size_t batch = 8) {
    auto store = FileBlobStore::Open((work / "store").string());
    auto quarantine = FileBlobStore::Open((work / "quarantine").string());
    auto idx = SqliteIndex::Open((work / "index.db").string());
    if (!store.ok() || !quarantine.ok() || !idx.ok()) return InternalError("open workspace");
    LineProcessor processor;
    IngestionOptions opts;
    opts.batch_size = batch;
    opts.quarantine_store = quarantine->get();
    Ingestion ingestion(**store, **idx, processor, opts);
    FolderSource source((base_ / "input").string());
    return ingestion.Run("ds", source, stop);
  }

  fs::path base_;
};

TEST_F(IngestionTest, IngestsGoodFilesAndQuarantinesBadOnesWithReasons) {
  WriteInputs(30);
  auto p = RunInto(base_ / "work");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->total, 32u);
  EXPECT_EQ(p->ingested, 30u);
  EXPECT_EQ(p->quarantined, 2u);
  EXPECT_EQ(p->done, 32u);
  std::string snap = Snapshot(base_ / "work");
  EXPECT_NE(snap.find("quarantine unparseable: expected 5 fields 1"), std::string::npos) << snap;
  EXPECT_NE(snap.find("quarantine burned-in annotation not cleaned 1"), std::string::npos) << snap;
  EXPECT_NE(snap.find("counts 7 11 "), std::string::npos) << snap;
  // The quarantined originals are kept at the site.
  int kept = 0;
  for (const auto& e : fs::recursive_directory_iterator(base_ / "work" / "quarantine" / "sha256"))
    kept += e.is_regular_file();
  EXPECT_EQ(kept, 2);
}

TEST_F(IngestionTest, ASecondRunSkipsEverythingAndChangesNothing) {
  WriteInputs(20);
  ASSERT_TRUE(RunInto(base_ / "work").ok());
  std::string first = Snapshot(base_ / "work");
  auto again = RunInto(base_ / "work");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->skipped, 22u);
  EXPECT_EQ(again->ingested, 0u);
  EXPECT_EQ(Snapshot(base_ / "work"), first);
}

TEST_F(IngestionTest, NewSourceItemsAreAddedAndTheDigestChanges) {
  WriteInputs(10);
  ASSERT_TRUE(RunInto(base_ / "work").ok());
  std::string before = Snapshot(base_ / "work");
  std::ofstream(base_ / "input" / "late-arrival") << "p9|99|9|12345|late";
  auto p = RunInto(base_ / "work");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ingested, 1u);
  std::string after = Snapshot(base_ / "work");
  EXPECT_NE(before.substr(before.find("digest")), after.substr(after.find("digest")));
}

TEST_F(IngestionTest, StoppedRunResumesToTheSameResult) {
  WriteInputs(40);
  ASSERT_TRUE(RunInto(base_ / "reference").ok());
  std::atomic<bool> stop{true};
  auto none = RunInto(base_ / "work", &stop);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->done, 0u);
  ASSERT_TRUE(RunInto(base_ / "work").ok());
  EXPECT_EQ(Snapshot(base_ / "work"), Snapshot(base_ / "reference"));
}

// kill -9 at arbitrary instants, then restart, until a run completes: the
// result must equal an uninterrupted run — nothing lost, nothing twice.
TEST_F(IngestionTest, KilledAtAnyInstantResumesToTheSameResult) {
  WriteInputs(400);
  ASSERT_TRUE(RunInto(base_ / "reference").ok());
  int kills = 0;
  for (int attempt = 0; attempt < 40; ++attempt) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto p = RunInto(base_ / "work", nullptr, 4);
      ::_exit(p.ok() ? 0 : 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + (attempt * 37) % 90));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) ++kills;
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0);
      break;  // finished before the kill landed
    }
  }
  EXPECT_GT(kills, 0);
  auto last = RunInto(base_ / "work");  // completes whatever is left
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->done, 402u);
  EXPECT_EQ(Snapshot(base_ / "work"), Snapshot(base_ / "reference"));
}

TEST(FolderSource, MissingFolderIsAClearError) {
  FolderSource s("/nonexistent/import");
  auto keys = s.List();
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), StatusCode::kNotFound);
  EXPECT_NE(keys.status().message().find("/nonexistent/import"), std::string::npos);
}

TEST(FolderSource, KeysStayInsideTheFolderAndLinksAreNotFollowed) {
  fs::path root = fs::path(::testing::TempDir()) / ("folder-source-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "a");
  std::ofstream(root / "a" / "one") << "1";
  fs::create_symlink("/etc/hostname", root / "link");
  FolderSource s(root.string());
  auto keys = s.List();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, std::vector<std::string>{"a/one"});
  EXPECT_EQ(*s.Fetch("a/one"), "1");
  EXPECT_EQ(s.Fetch("../etc/passwd").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Fetch("/etc/passwd").status().code(), StatusCode::kInvalidArgument);
  fs::remove_all(root);
}

}  // namespace
}  // namespace oncoatlas::agent
