// Unit tests of agents/dicom/internal/dcmtk_encoding (the DCMTK layer's one
// serialise loop), which only tests of the internals may include.
#include "dicom/internal/dcmtk_encoding.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace oncoatlas::dicom {
namespace {

std::unique_ptr<DcmDataset> SmallCt() {
  auto ds = std::make_unique<DcmDataset>();
  ds->putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage);
  ds->putAndInsertString(DCM_SOPInstanceUID, "1.2.3.4.5.6.7.8.1");
  ds->putAndInsertString(DCM_PatientName, "Wojcikowska^Hildegard");
  ds->putAndInsertString(DCM_StudyDescription, std::string(3000, 'x').c_str());
  return ds;
}

// Reads Part 10 bytes back; the data set, or null when DCMTK refuses them.
std::unique_ptr<DcmFileFormat> Parse(const std::string& bytes) {
  DcmInputBufferStream in;
  in.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  in.setEos();
  auto file = std::make_unique<DcmFileFormat>();
  file->transferInit();
  const OFCondition c = file->read(in, EXS_Unknown);
  file->transferEnd();
  if (c.bad()) return nullptr;
  return file;
}

std::string PatientName(DcmFileFormat& file) {
  OFString v;
  file.getDataset()->findAndGetOFString(DCM_PatientName, v);
  return v.c_str();
}

TEST(DcmtkEncodingTest, WritesAFileThatReadsBack) {
  DcmFileFormat file(SmallCt().release(), OFFalse);
  auto bytes = WritePart10(file, EXS_LittleEndianExplicit, EGL_withoutGL, "a test file");
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->substr(128, 4), "DICM");
  auto back = Parse(*bytes);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(PatientName(*back), "Wojcikowska^Hildegard");
}

// A received data set that arrived deflated is written deflated, and the whole
// of it: the encoder is flushed (the received-instance path once was not).
TEST(DcmtkEncodingTest, AReceivedDeflatedDataSetKeepsItsContent) {
  DcmFileFormat original(SmallCt().release(), OFFalse);
  auto deflated = WritePart10(original, EXS_DeflatedLittleEndianExplicit, EGL_withoutGL, "a test file");
  ASSERT_TRUE(deflated.ok()) << deflated.status().ToString();
  auto received = Parse(*deflated);
  ASSERT_NE(received, nullptr);
  ASSERT_EQ(received->getDataset()->getOriginalXfer(), EXS_DeflatedLittleEndianExplicit);

  auto bytes = EncodePart10(received->getAndRemoveDataset());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto back = Parse(*bytes);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(PatientName(*back), "Wojcikowska^Hildegard");
}

TEST(DcmtkEncodingTest, NoDataSetIsAnError) { EXPECT_FALSE(EncodePart10(nullptr).ok()); }

}  // namespace
}  // namespace oncoatlas::dicom
