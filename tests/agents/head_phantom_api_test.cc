// GenerateHeadPhantom as the defacer's tests call it: slice counts, option
// errors, the label file, determinism. Voxel values and geometry are checked
// with pydicom in head_phantom_test.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/files.h"
#include "synth/head_phantom.h"

namespace oncoatlas::synth {
namespace {

namespace fs = std::filesystem;

class HeadPhantomApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("oncoatlas-head-phantom-api-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(HeadPhantomApiTest, CtAxialByDefault) {
  HeadPhantomOptions o;
  o.output = dir_ / "ct";
  auto r = GenerateHeadPhantom(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->images, 107);  // z -200 to 120 every 3 mm
  EXPECT_EQ(r->study, "study0001");
  EXPECT_EQ(r->series_dir, o.output / "dicom" / "study0001" / "series01");
  EXPECT_TRUE(fs::exists(r->series_dir / "img0107.dcm"));
  EXPECT_TRUE(fs::exists(o.output / "manifest.json"));
  auto label = nlohmann::json::parse(oncoatlas::testing::ReadFile(r->label_file));
  EXPECT_EQ(label["modality"], "CT");
  const auto& head = label["headPhantom"];
  EXPECT_EQ(head["orientation"], "axial");
  EXPECT_EQ(head["air"], nlohmann::json({-1000, -1000}));
  EXPECT_TRUE(head.contains("table"));
  std::multiset<std::string> kinds;
  std::set<std::string> names;
  for (const auto& f : head["features"]) {
    kinds.insert(f["kind"].get<std::string>());
    names.insert(f["name"].get<std::string>());
  }
  EXPECT_EQ(kinds.count("face"), 5u);
  EXPECT_EQ(kinds.count("brain"), 1u);
  EXPECT_EQ(kinds.count("ear"), 2u);
  for (const char* n : {"leftEye", "rightEye", "nose", "lips", "chin", "brain", "leftEar", "rightEar"}) {
    EXPECT_TRUE(names.count(n)) << n;
  }
}

TEST_F(HeadPhantomApiTest, TopCutAndSagittalMr) {
  HeadPhantomOptions cut;
  cut.output = dir_ / "cut";
  cut.top_mm = 60;
  cut.table = false;
  auto r = GenerateHeadPhantom(cut);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->images, 87);  // z -200 to 58
  EXPECT_FALSE(nlohmann::json::parse(oncoatlas::testing::ReadFile(r->label_file))["headPhantom"].contains("table"));

  HeadPhantomOptions mr;
  mr.output = dir_ / "mr";
  mr.modality = "MR";
  mr.sagittal = true;
  auto m = GenerateHeadPhantom(mr);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->images, 65);  // x -96 to 96 every 3 mm
  auto head = nlohmann::json::parse(oncoatlas::testing::ReadFile(m->label_file))["headPhantom"];
  EXPECT_EQ(head["orientation"], "sagittal");
  EXPECT_EQ(head["air"], nlohmann::json({0, 20}));

  mr.output = dir_ / "mr2";
  auto again = GenerateHeadPhantom(mr);
  ASSERT_TRUE(again.ok());
  for (const char* f : {"img0001.dcm", "img0033.dcm", "img0065.dcm"}) {
    EXPECT_EQ(oncoatlas::testing::ReadFile(m->series_dir / f), oncoatlas::testing::ReadFile(again->series_dir / f))
        << f;
  }
}

TEST_F(HeadPhantomApiTest, BadOptions) {
  HeadPhantomOptions o;
  o.output = dir_ / "bad";
  o.modality = "PT";
  EXPECT_FALSE(GenerateHeadPhantom(o).ok());
  o.modality = "CT";
  o.sagittal = true;
  EXPECT_FALSE(GenerateHeadPhantom(o).ok());
  o.sagittal = false;
  o.top_mm = -300;
  auto r = GenerateHeadPhantom(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no slice"), std::string::npos);
  o.top_mm.reset();
  o.slice_spacing_mm = 0;
  EXPECT_FALSE(GenerateHeadPhantom(o).ok());
}

}  // namespace
}  // namespace oncoatlas::synth
