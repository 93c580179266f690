#include "ingest/ingestion.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "core/fault_injection_env.h"
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

// Groups inputs written as "series:<line>" by the study and series fields of
// the line, as the defacing engine groups head series. The output of a series
// member names the number of members processed with it, so a series processed
// in part gives different stored bytes than the whole series. Refuses grouped
// inputs passed one at a time, and logs every call.
class SeriesProcessor : public LineProcessor {
 public:
  static constexpr std::string_view kPrefix = "series:";

  std::string SeriesKey(const std::string& input) override {
    if (input.rfind(kPrefix, 0) != 0) return {};
    std::vector<std::string> f;
    std::stringstream ss(input.substr(kPrefix.size()));
    std::string part;
    while (std::getline(ss, part, '|')) f.push_back(part);
    return f.size() < 3 ? "malformed" : "key-" + f[1] + "-" + f[2];
  }
  ProcessOutcome Process(const std::string& input) override {
    calls.push_back("single");
    if (!SeriesKey(input).empty()) {
      ProcessOutcome refused;
      refused.quarantine_reason = "grouped input processed alone";
      return refused;
    }
    return LineProcessor::Process(input);
  }
  void ProcessSeries(std::size_t count, const std::function<Result<std::string>(std::size_t)>& read,
                     const std::function<void(std::size_t, ProcessOutcome)>& done) override {
    calls.push_back("series of " + std::to_string(count));
    if (on_series) on_series();
    std::vector<std::optional<std::string>> inputs(count);
    std::size_t readable = 0;
    for (std::size_t i = 0; i < count; ++i) {
      auto bytes = read(i);
      if (bytes.ok()) {
        inputs[i] = bytes->substr(kPrefix.size());
        ++readable;
      }
    }
    // Answers in reverse order: the pipeline must not rely on the order.
    for (std::size_t i = count; i-- > 0;) {
      if (!inputs[i]) {
        ProcessOutcome failed;
        failed.quarantine_reason = "series member unreadable";
        done(i, std::move(failed));
        continue;
      }
      ProcessOutcome out = LineProcessor::Process(*inputs[i]);
      if (out.instance) out.instance->first += "|defaced with " + std::to_string(readable);
      done(i, std::move(out));
    }
  }

  std::vector<std::string> calls;
  std::function<void()> on_series;
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

  // A summary of what an index and a store hold, to compare runs.
  static std::string Snapshot(ImagingIndex& idx, Env& env, const std::string& store) {
    std::ostringstream s;
    auto c = idx.Counts("ds");
    s << "counts " << c->patients << " " << c->studies << " " << c->series << " " << c->instances << " " << c->bytes
      << "\n";
    s << "digest " << *MerkleRoot(*idx.InstanceHashes("ds")) << "\n";
    auto reasons = idx.QuarantineReasons("ds");
    for (const auto& [reason, n] : *reasons) s << "quarantine " << reason << " " << n << "\n";
    auto keys = idx.IngestedSourceKeys("ds");
    for (const auto& k : *keys) s << "key " << k << "\n";
    auto objects = ListFilesRecursively(env, store + "/sha256");
    if (!objects.ok()) return "cannot list the store: " + objects.status().ToString();
    std::set<std::string> names;
    for (const auto& o : *objects) names.insert(o.substr(o.rfind('/') + 1));
    for (const auto& o : names) s << "object " << o << "\n";
    return s.str();
  }
  static std::string Snapshot(const fs::path& work) {
    auto idx = SqliteIndex::Open((work / "index.db").string());
    if (!idx.ok()) return "cannot open index: " + idx.status().ToString();
    return Snapshot(**idx, Env::Default(), (work / "store").string());
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

  // Writes `series` head series of `members` grouped inputs each, named so
  // that they interleave with WriteInputs()'s files in listing order.
  void WriteSeries(int series, int members) {
    for (int s = 0; s < series; ++s) {
      for (int m = 0; m < members; ++m) {
        std::ofstream(base_ / "input" / ("f" + std::to_string(m) + "-head" + std::to_string(s)))
            << SeriesProcessor::kPrefix << "h" << s << "|7" << s << "|5|" << (100 * (s + 1) + m) << "|slice" << m;
      }
    }
  }

  struct GroupedRun {
    const std::atomic<bool>* stop = nullptr;
    size_t batch = 4;
    bool spool = true;
    std::function<void(const IngestionProgress&)> on_progress;
    std::function<void()> on_series;
    std::vector<std::string>* calls = nullptr;  // receives the processor's calls
    ImageSource* source = nullptr;              // default: the input folder
  };

  // Runs a whole ingestion into `work` with the grouping processor and
  // <work>/spool as the spool folder.
  Result<IngestionProgress> RunGrouped(const fs::path& work, const GroupedRun& run) {
    auto store = FileBlobStore::Open((work / "store").string());
    auto quarantine = FileBlobStore::Open((work / "quarantine").string());
    auto idx = SqliteIndex::Open((work / "index.db").string());
    if (!store.ok() || !quarantine.ok() || !idx.ok()) return InternalError("open workspace");
    SeriesProcessor processor;
    processor.on_series = run.on_series;
    IngestionOptions opts;
    opts.batch_size = run.batch;
    opts.quarantine_store = quarantine->get();
    if (run.spool) opts.spool_dir = (work / "spool").string();
    opts.on_progress = run.on_progress;
    Ingestion ingestion(**store, **idx, processor, opts);
    FolderSource folder((base_ / "input").string());
    auto result = ingestion.Run("ds", run.source != nullptr ? *run.source : folder, run.stop);
    if (run.calls != nullptr) *run.calls = processor.calls;
    return result;
  }

  static std::size_t FilesIn(const fs::path& dir) {
    std::size_t n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
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

// Runs `run` in a child process killed with SIGKILL at varying instants, up to
// 40 times or until a run finishes before its kill (it must then succeed);
// returns how many runs were killed.
int KillRepeatedly(const std::function<bool()>& run) {
  int kills = 0;
  for (int attempt = 0; attempt < 40; ++attempt) {
    pid_t child = ::fork();
    EXPECT_GE(child, 0);
    if (child < 0) return kills;
    if (child == 0) ::_exit(run() ? 0 : 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + (attempt * 37) % 90));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) ++kills;
    if (WIFEXITED(status)) {
      EXPECT_EQ(WEXITSTATUS(status), 0);
      break;  // finished before the kill landed
    }
  }
  return kills;
}

TEST_F(IngestionTest, SeriesAreProcessedTogetherAfterTheListingAndRecorded) {
  WriteInputs(10);
  WriteSeries(2, 5);
  std::vector<std::string> calls;
  std::vector<IngestionProgress> reports;
  GroupedRun run;
  run.calls = &calls;
  run.on_progress = [&](const IngestionProgress& p) { reports.push_back(p); };
  auto p = RunGrouped(base_ / "work", run);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->total, 22u);
  EXPECT_EQ(p->done, 22u);
  EXPECT_EQ(p->ingested, 20u);
  EXPECT_EQ(p->quarantined, 2u);
  EXPECT_EQ(p->skipped, 0u);
  // Every single input went alone, during the listing; then each series whole.
  std::vector<std::string> expected(12, "single");
  expected.push_back("series of 5");
  expected.push_back("series of 5");
  EXPECT_EQ(calls, expected);
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().done, 22u);
  EXPECT_EQ(reports.back().ingested, 20u);

  std::string snap = Snapshot(base_ / "work");
  EXPECT_EQ(snap.find("grouped input processed alone"), std::string::npos) << snap;
  for (int s = 0; s < 2; ++s) {
    for (int m = 0; m < 5; ++m) {
      std::string key = "key f" + std::to_string(m) + "-head" + std::to_string(s) + "\n";
      EXPECT_NE(snap.find(key), std::string::npos) << key << snap;
    }
  }
  // 10 singles and 10 series members, each stored once.
  std::size_t objects = 0;
  for (std::size_t at = snap.find("object "); at != std::string::npos; at = snap.find("object ", at + 1)) ++objects;
  EXPECT_EQ(objects, 20u);
  // The stored series members were made from the whole series.
  std::size_t whole = 0;
  for (const auto& e : fs::recursive_directory_iterator(base_ / "work" / "store" / "sha256")) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find("|defaced with 5") != std::string::npos) ++whole;
  }
  EXPECT_EQ(whole, 10u);
  // The spool held the originals only until they were recorded.
  EXPECT_EQ(FilesIn(base_ / "work" / "spool"), 0u);
}

TEST_F(IngestionTest, SpoolHoldsOriginalsPrivately) {
  WriteSeries(1, 3);
  std::vector<fs::perms> modes;
  fs::perms folder{};
  GroupedRun run;
  run.on_series = [&] {
    folder = fs::status(base_ / "work" / "spool").permissions();
    for (const auto& e : fs::directory_iterator(base_ / "work" / "spool")) modes.push_back(e.status().permissions());
  };
  ASSERT_TRUE(RunGrouped(base_ / "work", run).ok());
  EXPECT_EQ(folder, fs::perms::owner_all);
  ASSERT_EQ(modes.size(), 3u);
  for (auto m : modes) EXPECT_EQ(m, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(IngestionTest, RunStoppedDuringTheListingRecordsNoSeriesMemberAndResumes) {
  WriteInputs(20);
  WriteSeries(3, 4);
  ASSERT_TRUE(RunGrouped(base_ / "reference", {}).ok());

  std::atomic<bool> stop{false};
  std::vector<std::string> calls;
  GroupedRun run;
  run.stop = &stop;
  run.calls = &calls;
  run.on_progress = [&](const IngestionProgress&) { stop = true; };  // after the first batch
  auto partial = RunGrouped(base_ / "work", run);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->done, 4u);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "single"), 4);
  EXPECT_EQ(std::count_if(calls.begin(), calls.end(), [](const std::string& c) { return c != "single"; }), 0);
  std::string snap = Snapshot(base_ / "work");
  EXPECT_EQ(snap.find("-head"), std::string::npos) << snap;
  EXPECT_EQ(FilesIn(base_ / "work" / "spool"), 0u);

  // What a killed run leaves in the spool is removed, never ingested.
  std::ofstream(base_ / "work" / "spool" / "input-0") << SeriesProcessor::kPrefix << "h0|70|5|100|stale";
  std::ofstream(base_ / "work" / "spool" / "input-7.tmp") << "half written";
  std::vector<std::string> calls2;
  GroupedRun rest;
  rest.calls = &calls2;
  auto p = RunGrouped(base_ / "work", rest);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->skipped, 4u);
  EXPECT_EQ(p->done, 34u);
  EXPECT_EQ(p->ingested + p->quarantined, 30u);
  EXPECT_EQ(std::count(calls2.begin(), calls2.end(), "series of 4"), 3);
  EXPECT_EQ(FilesIn(base_ / "work" / "spool"), 0u);
  EXPECT_EQ(Snapshot(base_ / "work"), Snapshot(base_ / "reference"));
}

TEST_F(IngestionTest, RunStoppedBetweenSeriesRecordsWholeSeriesOnlyAndResumes) {
  WriteInputs(6);
  WriteSeries(3, 4);
  // Batches of 3 for the singles; each series is one batch of its own.
  std::vector<std::uint64_t> recorded;
  GroupedRun reference;
  reference.batch = 3;
  reference.on_progress = [&](const IngestionProgress& p) { recorded.push_back(p.done); };
  ASSERT_TRUE(RunGrouped(base_ / "reference", reference).ok());
  EXPECT_EQ(recorded, (std::vector<std::uint64_t>{3, 6, 8, 12, 16, 20}));

  std::atomic<bool> stop{false};
  GroupedRun run;
  run.stop = &stop;
  run.batch = 3;  // smaller than a series: a series is still one transaction
  run.on_series = [&] { stop = true; };
  auto partial = RunGrouped(base_ / "work", run);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->done, 8u + 4u);  // the singles, then the series under way
  std::string snap = Snapshot(base_ / "work");
  for (int m = 0; m < 4; ++m) {
    EXPECT_NE(snap.find("key f" + std::to_string(m) + "-head0\n"), std::string::npos) << snap;
    EXPECT_EQ(snap.find("key f" + std::to_string(m) + "-head1\n"), std::string::npos) << snap;
  }
  EXPECT_EQ(FilesIn(base_ / "work" / "spool"), 0u);

  auto p = RunGrouped(base_ / "work", {});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->skipped, 12u);
  EXPECT_EQ(p->ingested, 8u);
  EXPECT_EQ(Snapshot(base_ / "work"), Snapshot(base_ / "reference"));
}

TEST_F(IngestionTest, GroupingWithoutASpoolFolderIsAClearError) {
  WriteSeries(1, 2);
  GroupedRun run;
  run.spool = false;
  auto p = RunGrouped(base_ / "work", run);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("spool"), std::string::npos) << p.status().ToString();
  EXPECT_NE(p.status().message().find("series"), std::string::npos) << p.status().ToString();
}

// The input folder, except that one item cannot be fetched.
class FailingSource : public ImageSource {
 public:
  FailingSource(const fs::path& folder, std::string failing) : folder_(folder.string()), failing_(std::move(failing)) {}
  Result<std::vector<std::string>> List() override { return folder_.List(); }
  Result<std::string> Fetch(const std::string& key) override {
    if (key == failing_) return UnavailableError("the source went away");
    return folder_.Fetch(key);
  }
  std::string Describe() const override { return "a failing folder"; }

 private:
  FolderSource folder_;
  std::string failing_;
};

TEST_F(IngestionTest, AFailedRunLeavesNoOriginalInTheSpool) {
  WriteInputs(6);
  WriteSeries(2, 3);
  FailingSource source(base_ / "input", "sub/f5");  // listed after the series members
  GroupedRun run;
  run.source = &source;
  auto p = RunGrouped(base_ / "work", run);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("the source went away"), std::string::npos) << p.status().ToString();
  EXPECT_EQ(FilesIn(base_ / "work" / "spool"), 0u);
  EXPECT_EQ(Snapshot(base_ / "work").find("-head"), std::string::npos);
}

TEST_F(IngestionTest, AnUnreadableSpooledInputQuarantinesOnlyThatInput) {
  WriteInputs(4);
  WriteSeries(2, 3);
  bool removed = false;
  GroupedRun run;
  run.on_series = [&] {
    if (removed) return;
    // The second member of the first series goes missing from the spool.
    for (const auto& e : fs::directory_iterator(base_ / "work" / "spool")) {
      std::ifstream in(e.path());
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (bytes.find("|101|") != std::string::npos) {
        fs::remove(e.path());
        removed = true;
        break;
      }
    }
  };
  auto p = RunGrouped(base_ / "work", run);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(removed);
  EXPECT_EQ(p->done, 12u);
  EXPECT_EQ(p->quarantined, 3u);  // the two bad singles and the unreadable member
  EXPECT_EQ(p->ingested, 9u);
  std::string snap = Snapshot(base_ / "work");
  EXPECT_NE(snap.find("quarantine series member unreadable 1\n"), std::string::npos) << snap;
  EXPECT_NE(snap.find("counts 6 6 6 9 "), std::string::npos) << snap;
}

// kill -9 at arbitrary instants, with series among the inputs: the result
// equals an uninterrupted run, so no series is ever recorded in part. (Every
// instant is covered one by one with FaultInjectionEnv below; this is the
// real thing, with the real file system and SQLite.)
TEST_F(IngestionTest, KilledAtAnyInstantWithSeriesResumesToTheSameResult) {
  WriteInputs(150);
  WriteSeries(6, 25);
  ASSERT_TRUE(RunGrouped(base_ / "reference", {}).ok());
  EXPECT_GT(KillRepeatedly([&] { return RunGrouped(base_ / "work", {}).ok(); }), 0);
  auto last = RunGrouped(base_ / "work", {});
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->done, 302u);
  EXPECT_EQ(Snapshot(base_ / "work"), Snapshot(base_ / "reference"));
}

// The index of a run on a FaultInjectionEnv: once the power is cut it records
// nothing more, as the index of a process that died would not.
class PoweredIndex : public ImagingIndex {
 public:
  explicit PoweredIndex(const FaultInjectionEnv& env)
      : env_(env), index_(std::move(SqliteIndex::Open(":memory:")).value()) {}
  Status RecordIngested(const std::string& dataset, const std::vector<IngestedItem>& items) override {
    if (!env_.PowerIsOn()) return UnavailableError("the power is off");
    return index_->RecordIngested(dataset, items);
  }
  Status AddInstances(const std::string& dataset, const std::vector<InstanceRecord>& instances) override {
    if (!env_.PowerIsOn()) return UnavailableError("the power is off");
    return index_->AddInstances(dataset, instances);
  }
  Result<std::vector<std::string>> RemoveDataset(const std::string& dataset) override {
    if (!env_.PowerIsOn()) return UnavailableError("the power is off");
    return index_->RemoveDataset(dataset);
  }
  Result<std::set<std::string>> IngestedSourceKeys(const std::string& d) override {
    return index_->IngestedSourceKeys(d);
  }
  Result<std::map<std::string, std::uint64_t>> QuarantineReasons(const std::string& d) override {
    return index_->QuarantineReasons(d);
  }
  Result<std::vector<std::string>> ListDatasets() override { return index_->ListDatasets(); }
  Result<bool> HasInstance(const std::string& d, const std::string& uid) override {
    return index_->HasInstance(d, uid);
  }
  Result<DatasetCounts> Counts(const std::string& d) override { return index_->Counts(d); }
  Result<FacetCounts> Facets(const std::string& d) override { return index_->Facets(d); }
  Result<std::vector<std::string>> InstanceHashes(const std::string& d) override { return index_->InstanceHashes(d); }

 private:
  const FaultInjectionEnv& env_;
  std::unique_ptr<SqliteIndex> index_;
};

class IngestionFaultTest : public IngestionTest {
 protected:
  static constexpr const char* kStore = "/work/store";

  // A whole ingestion of the input folder with the grouping processor, the
  // store, quarantine and spool on `env`.
  Result<IngestionProgress> RunOn(FaultInjectionEnv& env, ImagingIndex& index) {
    auto store = FileBlobStore::Open(kStore, env);
    if (!store.ok()) return store.status();
    auto quarantine = FileBlobStore::Open("/work/quarantine", env);
    if (!quarantine.ok()) return quarantine.status();
    SeriesProcessor processor;
    IngestionOptions opts;
    opts.batch_size = 4;
    opts.quarantine_store = quarantine->get();
    opts.spool_dir = "/work/spool";
    opts.env = &env;
    Ingestion ingestion(**store, index, processor, opts);
    FolderSource folder((base_ / "input").string());
    return ingestion.Run("ds", folder);
  }

  // Nothing half-written is indexed: what the index names is in the store,
  // whole, and every object the store shows is whole.
  static void ExpectIndexConsistentWithStore(ImagingIndex& index, Env& env) {
    auto store = FileBlobStore::Open(kStore, env);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto indexed = index.InstanceHashes("ds");
    ASSERT_TRUE(indexed.ok());
    for (const std::string& sha : *indexed) EXPECT_TRUE((*store)->Verify(sha).ok()) << sha;
    auto objects = ListFilesRecursively(env, std::string(kStore) + "/sha256");
    ASSERT_TRUE(objects.ok());
    for (const std::string& o : *objects) EXPECT_TRUE((*store)->Verify(o.substr(o.rfind('/') + 1)).ok()) << o;
  }

  // An uninterrupted run: its snapshot, the operations it took, the bytes it left.
  struct Reference {
    std::string snapshot;
    std::uint64_t operations = 0;
    std::uint64_t bytes = 0;
  };
  Reference RunUninterrupted() {
    FaultInjectionEnv env;
    PoweredIndex index(env);
    auto p = RunOn(env, index);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return {Snapshot(index, env, kStore), env.operations(), env.UsedBytes()};
  }
};

// A power cut instead of each file-system operation of a run in turn, then a
// restart: what was recorded is whole in the store, and the resumed run ends
// as an uninterrupted one — nothing lost, nothing twice, no series in part.
TEST_F(IngestionFaultTest, APowerCutAtAnyInstantResumesToTheSameResult) {
  WriteInputs(4);
  WriteSeries(2, 2);
  const Reference reference = RunUninterrupted();
  const std::uint64_t operations = reference.operations;
  ASSERT_GT(operations, 50u);
  for (std::uint64_t cut = 1; cut <= operations; ++cut) {
    SCOPED_TRACE("power cut at operation " + std::to_string(cut) + " of " + std::to_string(operations));
    FaultInjectionEnv env;
    PoweredIndex index(env);
    env.CutPowerAt(cut);
    (void)RunOn(env, index);  // fails, unless the cut hit the spool's last clean-up
    ASSERT_FALSE(env.PowerIsOn());
    env.Restart();
    ExpectIndexConsistentWithStore(index, env);
    auto resumed = RunOn(env, index);
    ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
    EXPECT_EQ(resumed->done, 10u);
    EXPECT_EQ(Snapshot(index, env, kStore), reference.snapshot);
  }
}

// The disk fills up at several points of a run: the run stops with
// ResourceExhausted naming the folder and "disk full", what it recorded is
// consistent with the store, no temporary is left, and once space returns
// the next run ends as an uninterrupted one.
TEST_F(IngestionFaultTest, AFullDiskStopsTheRunCleanlyAndItResumesWhenSpaceReturns) {
  WriteInputs(20);
  WriteSeries(2, 3);
  const Reference reference = RunUninterrupted();
  for (int eighths = 1; eighths < 8; ++eighths) {
    SCOPED_TRACE("room for " + std::to_string(eighths) + "/8 of the store");
    FaultInjectionEnv env;
    PoweredIndex index(env);
    env.SetCapacity(reference.bytes * static_cast<std::uint64_t>(eighths) / 8);
    auto full = RunOn(env, index);
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted) << full.status().ToString();
    EXPECT_NE(full.status().message().find("disk full"), std::string::npos) << full.status().ToString();
    EXPECT_NE(full.status().message().find("/work/"), std::string::npos) << full.status().ToString();
    if (eighths == 4) {  // the singles fill the store
      EXPECT_NE(full.status().message().find("store /work/store: "), std::string::npos) << full.status().ToString();
      EXPECT_GT(index.IngestedSourceKeys("ds")->size(), 0u);
    }
    EXPECT_LT(index.IngestedSourceKeys("ds")->size(), 28u);
    ExpectIndexConsistentWithStore(index, env);
    EXPECT_TRUE(env.ListDir("/work/store/tmp")->empty());
    EXPECT_TRUE(env.ListDir("/work/spool")->empty()) << "no original stays in the spool";

    env.SetCapacity(std::nullopt);
    auto resumed = RunOn(env, index);
    ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
    EXPECT_EQ(resumed->done, 28u);
    EXPECT_EQ(Snapshot(index, env, kStore), reference.snapshot);
  }
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
