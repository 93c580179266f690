#include "deid/folder_deidentification.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core/fault_injection_env.h"

namespace oncoatlas::deid {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Fields(std::string_view text) {
  std::vector<std::string> f;
  std::stringstream ss{std::string(text)};
  std::string part;
  while (std::getline(ss, part, '|')) f.push_back(part);
  return f;
}

// Stands in for the DICOM engine. Inputs are "modality|study|series|sop|payload"
// lines, or "head:<key>|<line>" for members of a series to deface, grouped by
// <key>. A payload "reject" is refused. Series outputs name how many members
// were read together and the key. Deidentify() refuses series members, as the
// real engine does, and every call is counted.
class GroupingEngine : public InstanceDeidentifier {
 public:
  static constexpr std::string_view kPrefix = "head:";

  Result<DeidentifiedInstance> Deidentify(std::string_view bytes) const override {
    ++singles;
    if (!SeriesKey(bytes).empty()) return FailedPreconditionError("series member de-identified alone");
    return FromLine(bytes, "");
  }
  // With `head_path`, a single's output is made from its fields alone, and
  // its payload copied after it.
  Result<DeidentifiedHead> DeidentifyHead(std::string_view head, std::uint64_t file_size) const override {
    (void)file_size;
    ++heads;
    std::size_t tail = 0;
    for (int bar = 0; head_path && SeriesKey(head).empty() && bar < 4 && tail != std::string_view::npos; ++bar) {
      tail = head.find('|', tail);
      if (tail != std::string_view::npos) ++tail;
    }
    if (!head_path || !SeriesKey(head).empty() || tail == std::string_view::npos) {
      return FailedPreconditionError("no head path");
    }
    auto d = FromLine(std::string(head.substr(0, tail)) + "-", "");
    if (!d.ok()) return d.status();
    d->bytes.pop_back();
    return DeidentifiedHead{std::move(d).value(), tail, tail_bits};
  }
  std::string SeriesKey(std::string_view bytes) const override {
    if (bytes.substr(0, kPrefix.size()) != kPrefix) return {};
    return std::string(bytes.substr(kPrefix.size(), bytes.find('|') - kPrefix.size()));
  }
  bool GroupsSeries() const override { return groups; }
  void DeidentifySeries(std::size_t count, const SeriesReader& read, const SeriesResult& done) const override {
    std::vector<std::optional<std::string>> lines(count);
    std::string key;
    for (std::size_t i = 0; i < count; ++i) {
      auto bytes = read(i);
      if (!bytes.ok()) continue;
      key = SeriesKey(*bytes);
      lines[i] = bytes->substr(bytes->find('|') + 1);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      series.push_back(key + " x" + std::to_string(count));
    }
    for (std::size_t i = count; i-- > 0;) {  // any order
      if (!lines[i]) {
        done(i, UnavailableError("unreadable series member"));
        continue;
      }
      done(i, FromLine(*lines[i], "|defaced with " + std::to_string(count) + " of " + key));
    }
  }

  bool groups = true;
  bool head_path = false;
  SampleBits tail_bits;  // handed out with every head path
  mutable std::atomic<int> singles{0};
  mutable std::atomic<int> heads{0};
  mutable std::mutex mu;
  mutable std::vector<std::string> series;  // GUARDED_BY(mu)

 private:
  static Result<DeidentifiedInstance> FromLine(std::string_view line, const std::string& suffix) {
    auto f = Fields(line);
    if (f.size() != 5) return InvalidArgumentError("unparseable");
    if (f[4] == "reject") return InvalidArgumentError("rejected by the fake engine");
    DeidentifiedInstance d;
    d.modality = f[0];
    d.study_instance_uid = "2.25." + f[1];
    d.series_instance_uid = "2.25." + f[1] + "." + f[2];
    d.sop_instance_uid = "2.25." + f[1] + "." + f[2] + "." + f[3];
    d.bytes = "deid:" + f[3] + ":" + f[4] + suffix;
    return d;
  }
};

class DeidentifyFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(::testing::TempDir()) / ("folder-deid-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_ / "in");
    options_.input = base_ / "in";
    options_.output = base_ / "out";
    options_.quarantine = base_ / "quarantine";
    options_.jobs = 3;
  }
  void TearDown() override { fs::remove_all(base_); }

  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((base_ / "in" / rel).parent_path());
    std::ofstream(base_ / "in" / rel) << text;
  }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string Output(const std::string& study, const std::string& series, const std::string& sop) {
    return Read(base_ / "out" / ("2.25." + study) / ("2.25." + study + "." + series) /
                ("2.25." + study + "." + series + "." + sop + ".dcm"));
  }
  std::size_t OutputFiles() {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(base_ / "out")) n += e.is_regular_file();
    return n;
  }

  fs::path base_;
  FolderRunOptions options_;
};

TEST_F(DeidentifyFolderTest, SeriesAreDeidentifiedTogetherAndCounted) {
  // Two head series spread over folders and interleaved with single files,
  // one member refused by the engine; plus singles, one of them refused.
  for (int m = 0; m < 40; ++m) {
    Write("ct/" + std::to_string(m % 4) + "/h" + std::to_string(m), "head:A|CT|1|1|" + std::to_string(m) + "|slice");
  }
  for (int m = 0; m < 5; ++m) {
    // Member 0 is large enough for the head path, which series members must not take.
    std::string payload = m == 3 ? "reject" : m == 0 ? std::string(70 * 1024, 's') : "slice";
    Write("mr/m" + std::to_string(m), "head:B|MR|2|1|" + std::to_string(m) + "|" + payload);
  }
  for (int i = 0; i < 30; ++i)
    Write("ct/" + std::to_string(i % 4) + "/s" + std::to_string(i), "CR|3|1|" + std::to_string(i) + "|x");
  Write("bad", "CR|3|1|99|reject");

  GroupingEngine engine;
  auto report = DeidentifyFolder(engine, options_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->files, 76u);
  EXPECT_EQ(report->deidentified, 74u);
  EXPECT_EQ(report->quarantined, 2u);
  EXPECT_EQ(report->modalities.at("CT"), 40u);
  EXPECT_EQ(report->modalities.at("MR"), 4u);
  EXPECT_EQ(report->modalities.at("CR"), 30u);
  EXPECT_EQ(OutputFiles(), 74u);
  std::uint64_t in_bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(base_ / "in"))
    in_bytes += e.is_regular_file() ? e.file_size() : 0;
  EXPECT_EQ(report->bytes_in, in_bytes);  // every input counted once

  // Each series was read whole, once, and no member went alone or by its head.
  std::vector<std::string> series = engine.series;
  std::sort(series.begin(), series.end());
  EXPECT_EQ(series, (std::vector<std::string>{"A x40", "B x5"}));
  EXPECT_EQ(engine.singles.load(), 31);
  EXPECT_EQ(engine.heads.load(), 0);
  for (int m = 0; m < 40; ++m) {
    EXPECT_EQ(Output("1", "1", std::to_string(m)), "deid:" + std::to_string(m) + ":slice|defaced with 40 of A");
  }
  EXPECT_EQ(Output("3", "1", "7"), "deid:7:x");

  // The refused member is quarantined like a single file: its bytes and a reason.
  ASSERT_EQ(report->quarantined_files.size(), 2u);
  std::vector<std::string> inputs;
  for (const auto& q : report->quarantined_files) {
    inputs.push_back(q.input);
    EXPECT_EQ(q.reason, "rejected by the fake engine");
    EXPECT_TRUE(fs::exists(base_ / "quarantine" / (q.quarantine_name + ".reason.txt")));
  }
  EXPECT_EQ(inputs, (std::vector<std::string>{"bad", "mr/m3"}));  // input order
  const auto& member = report->quarantined_files[1];
  EXPECT_EQ(Read(base_ / "quarantine" / (member.quarantine_name + ".dcm")), "head:B|MR|2|1|3|reject");
  EXPECT_NE(report->ToJson().dump().find("mr/m3"), std::string::npos);
}

TEST_F(DeidentifyFolderTest, WithoutGroupingSeriesMembersGoOneByOne) {
  Write("a", "head:A|CT|1|1|1|slice");
  Write("b", "CR|3|1|2|" + std::string(70 * 1024, 'x'));
  GroupingEngine engine;
  engine.groups = false;
  auto report = DeidentifyFolder(engine, options_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // The grouping is asked for only when the engine says it groups.
  EXPECT_TRUE(engine.series.empty());
  EXPECT_EQ(engine.heads.load(), 1);  // the large file was offered to the head path
  EXPECT_EQ(report->deidentified, 1u);
  EXPECT_EQ(report->quarantined, 1u);
}

// The head path's tail is Pixel Data: when the engine says its samples have
// unused bits, the copy clears them (across chunk boundaries), else it is copied as is.
TEST_F(DeidentifyFolderTest, HeadPathTailIsClearedOfUnusedBitsWhileCopied) {
  const std::string payload(3 * 1024 * 1024 + 6, '\xFF');
  for (bool unused : {true, false}) {
    SCOPED_TRACE(unused ? "12 of 16 bits stored" : "16 of 16 bits stored");
    fs::remove_all(base_);
    Write("big", "CR|3|1|2|" + payload);
    GroupingEngine engine;
    engine.groups = false;
    engine.head_path = true;
    engine.tail_bits = {16, unused ? 12 : 16, unused ? 11 : 15, false};
    auto report = DeidentifyFolder(engine, options_);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_EQ(report->deidentified, 1u);
    const std::string out = Output("3", "1", "2");
    ASSERT_GE(out.size(), payload.size());
    const std::string tail = out.substr(out.size() - payload.size());
    std::string expected = payload;
    if (unused) {
      for (std::size_t i = 1; i < expected.size(); i += 2) expected[i] = '\x0F';
    }
    EXPECT_EQ(tail, expected);
  }
}

TEST_F(DeidentifyFolderTest, ASharedSopInstanceUidKeepsTheFirstSeriesMemberInPathOrder) {
  // Series A ("a-dup") and series B ("z-dup") both give one output path; one
  // job processes A first, so B writes last and A's output must be restored.
  options_.jobs = 1;
  Write("a-dup", "head:A|CT|1|1|5|first");
  Write("a-other", "head:A|CT|1|1|6|slice");
  Write("z-dup", "head:B|CT|1|1|5|second");
  GroupingEngine engine;
  auto report = DeidentifyFolder(engine, options_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deidentified, 2u);
  ASSERT_EQ(report->quarantined_files.size(), 1u);
  EXPECT_EQ(report->quarantined_files[0].input, "z-dup");
  EXPECT_EQ(Output("1", "1", "5"), "deid:5:first|defaced with 2 of A");
  EXPECT_EQ(Output("1", "1", "6"), "deid:6:slice|defaced with 2 of A");
}

// Folder runs on a FaultInjectionEnv: singles (some large enough for the head
// path), one refused, and a series, in three folders.
class DeidentifyFolderFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.input = "/in";
    options_.output = "/out";
    options_.quarantine = "/quarantine";
    options_.jobs = 1;  // the same order of operations in every run
    options_.env = &env_;
    engine_.head_path = true;  // taken only when the engine does not group series
  }

  void WriteInputs(Env& env) {
    auto write = [&](const std::string& rel, const std::string& text) {
      const std::string path = "/in/" + rel;
      ASSERT_TRUE(CreateDirs(env, path.substr(0, path.rfind('/'))).ok());
      ASSERT_TRUE(WriteFileAtomically(env, path, path + ".tmp", text, 0644, false).ok());
    };
    for (int i = 0; i < 9; ++i) {
      write(std::to_string(i % 3) + "/s" + std::to_string(i),
            "CR|3|1|" + std::to_string(i) + "|" + (i % 4 == 0 ? std::string(70 * 1024, 'x') : "x"));
    }
    write("1/bad", "CR|3|1|99|reject");
    for (int m = 0; m < 3; ++m) write("2/h" + std::to_string(m), "head:A|CT|1|1|" + std::to_string(m) + "|slice");
  }

  // Path -> bytes of every file under the output and quarantine folders.
  static std::map<std::string, std::string> Files(Env& env) {
    std::map<std::string, std::string> out;
    for (const char* root : {"/out", "/quarantine"}) {
      auto files = ListFilesRecursively(env, root);
      if (!files.ok()) continue;
      for (const auto& f : *files) out[f] = *ReadFile(env, f);
    }
    return out;
  }

  // What an uninterrupted run leaves, and how many operations it takes.
  std::pair<std::map<std::string, std::string>, std::uint64_t> Reference() {
    FaultInjectionEnv env;
    WriteInputs(env);
    FolderRunOptions options = options_;
    options.env = &env;
    const std::uint64_t before = env.operations();
    auto report = DeidentifyFolder(engine_, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->deidentified, engine_.groups ? 12u : 9u);  // else the series members are quarantined
    return {Files(env), env.operations() - before};
  }

  // Every file the run left is whole: one of the reference run's, byte for byte.
  static void ExpectOnlyWholeFiles(Env& env, const std::map<std::string, std::string>& reference) {
    for (const auto& [path, bytes] : Files(env)) {
      auto it = reference.find(path);
      ASSERT_NE(it, reference.end()) << "unexpected file " << path;
      EXPECT_EQ(bytes, it->second) << path;
    }
  }

  GroupingEngine engine_;
  FaultInjectionEnv env_;
  FolderRunOptions options_;
};

// Each operation of a run failing in turn with an I/O error: the run stops
// with an error naming the operation, leaves no partial or temporary file,
// and a second run completes the folders as an uninterrupted one. Without
// series grouping the large files take the head path; with it, the series
// is read whole.
TEST_F(DeidentifyFolderFaultTest, AFailedWriteStopsTheRunAndLeavesNoPartialFile) {
  for (bool groups : {false, true}) {
    SCOPED_TRACE(groups ? "grouping series" : "head path");
    engine_.groups = groups;
    const auto [reference, operations] = Reference();
    ASSERT_GT(operations, 40u);
    std::uint64_t completed = 0;
    for (std::uint64_t n = 1; n <= operations; ++n) {
      SCOPED_TRACE("operation " + std::to_string(n) + " of " + std::to_string(operations) + " fails");
      FaultInjectionEnv env;
      WriteInputs(env);
      FolderRunOptions options = options_;
      options.env = &env;
      env.FailOperation(n, EIO);
      auto failed = DeidentifyFolder(engine_, options);
      if (failed.ok()) {
        ++completed;  // the copy of a head path's tail failed: the file went the whole-file way
        EXPECT_EQ(Files(env), reference);
        continue;
      }
      EXPECT_NE(failed.status().message().find("Input/output error"), std::string::npos) << failed.status().ToString();
      EXPECT_NE(failed.status().message().find(" /"), std::string::npos) << failed.status().ToString();
      ExpectOnlyWholeFiles(env, reference);
      auto again = DeidentifyFolder(engine_, options);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(Files(env), reference);
    }
    EXPECT_EQ(completed, groups ? 0u : 3u);
  }
}

TEST_F(DeidentifyFolderFaultTest, AFullDiskIsAClearErrorAndARerunCompletesTheFolders) {
  const auto reference = Reference().first;
  std::uint64_t bytes = 0;
  for (const auto& [path, data] : reference) bytes += data.size();
  WriteInputs(env_);
  env_.SetCapacity(env_.UsedBytes() + bytes / 2);
  auto full = DeidentifyFolder(engine_, options_);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("disk full"), std::string::npos) << full.status().ToString();
  ExpectOnlyWholeFiles(env_, reference);
  env_.SetCapacity(std::nullopt);
  auto again = DeidentifyFolder(engine_, options_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Files(env_), reference);
}

TEST_F(DeidentifyFolderFaultTest, OutputsSurviveAPowerCutOnceTheRunReturns) {
  const auto reference = Reference().first;
  WriteInputs(env_);
  ASSERT_TRUE(DeidentifyFolder(engine_, options_).ok());
  env_.CutPower();
  env_.Restart();
  EXPECT_EQ(Files(env_), reference);
}

}  // namespace
}  // namespace oncoatlas::deid
