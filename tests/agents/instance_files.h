// A fixture for tests of the DCMTK layer: DCMTK initialised, a temporary
// folder per test process, instances written there with the writer API and
// read back as bytes.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dicom/dcmtk_deidentifier.h"
#include "dicom/instance_writer.h"
#include "support/files.h"

namespace oncoatlas::dicom {

class InstanceFilesTest : public ::testing::Test {
 public:
  void SetUp() override {
    ASSERT_TRUE(InitDicomLibrary().ok());
    dir_ = std::filesystem::temp_directory_path() / ("oncoatlas-instances-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `attrs` as a Part 10 file named `name` and returns its bytes.
  std::string Write(const std::vector<Attribute>& attrs, const std::string& name) {
    std::filesystem::path p = dir_ / name;
    Status s = WriteInstance(attrs, p);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return oncoatlas::testing::ReadFile(p);
  }

  std::filesystem::path dir_;
};

}  // namespace oncoatlas::dicom
