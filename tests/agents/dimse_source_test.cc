// DimseSource against a real Orthanc: C-FIND to list, C-GET to retrieve.
// pydicom (Debian's) checks what came back, independently of DCMTK.
#include "dicom/dimse_source.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/subprocess.h"
#include "support/orthanc.h"

namespace oncoatlas::dicom {
namespace {

using oncoatlas::testing::OrthancServer;

const std::string kTestFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";

class DimseSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pacs = OrthancServer::Start("dimse", "SITEPACS");
    ASSERT_TRUE(pacs.ok()) << pacs.status().ToString();
    pacs_ = std::move(pacs).value().release();
    for (const char* f : {"CT_small.dcm", "MR_small.dcm"}) {
      auto r = RunSubprocess(
          {"storescu", "-aec", "SITEPACS", "127.0.0.1", std::to_string(pacs_->dicom_port()), kTestFiles + f});
      ASSERT_TRUE(r.ok() && r->success()) << f;
    }
  }
  static void TearDownTestSuite() {
    delete pacs_;
    pacs_ = nullptr;
  }

  static DimseEndpoint Endpoint() {
    DimseEndpoint ep;
    ep.host = "127.0.0.1";
    ep.port = pacs_->dicom_port();
    ep.called_aet = "SITEPACS";
    ep.calling_aet = "ONCOATLAS_T";
    ep.timeout = std::chrono::seconds(10);
    return ep;
  }

  static OrthancServer* pacs_;
};

OrthancServer* DimseSourceTest::pacs_ = nullptr;

// Prints "<SOPInstanceUID> <pixel data equal to the original?>" via pydicom.
std::string CompareWithPydicom(const std::string& bytes, const std::string& original) {
  std::string path = ::testing::TempDir() + "fetched-" + std::to_string(::getpid()) + ".dcm";
  std::ofstream(path, std::ios::binary) << bytes;
  auto r = RunSubprocess({"/usr/bin/python3", "-c",
                          "import sys, pydicom\n"
                          "a = pydicom.dcmread(sys.argv[1]); b = pydicom.dcmread(sys.argv[2])\n"
                          "print(a.SOPInstanceUID, a.PixelData == b.PixelData, a.file_meta.MediaStorageSOPInstanceUID "
                          "== a.SOPInstanceUID)\n",
                          path, original});
  std::filesystem::remove(path);
  if (!r.ok() || !r->success()) return "pydicom failed: " + (r.ok() ? r->Describe() : r.status().ToString());
  return r->out;
}

TEST_F(DimseSourceTest, ListsEveryInstanceAndRetrievesItIntact) {
  auto source = MakeDimseSource(Endpoint(), {});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto keys = (*source)->List();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  // CT_small.dcm's UIDs, as the PACS holds them.
  const std::string ct_key =
      "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322/1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322/"
      "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322";
  ASSERT_NE(std::find(keys->begin(), keys->end(), ct_key), keys->end());

  auto bytes = (*source)->Fetch(ct_key);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(CompareWithPydicom(*bytes, kTestFiles + "CT_small.dcm"),
            "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322 True True\n");
}

TEST_F(DimseSourceTest, FetchesShareOneAssociationThatIsOpenedAgainWhenItBreaks) {
  auto source = MakeDimseSource(Endpoint(), {});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto keys = (*source)->List();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  auto fetch_all = [&] {
    std::vector<std::string> sops;
    for (const std::string& key : *keys) {
      auto bytes = (*source)->Fetch(key);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      if (bytes.ok()) sops.push_back(key.substr(key.rfind('/') + 1) + " " + std::to_string(bytes->size() > 1000));
    }
    return sops;
  };
  const auto first = fetch_all();
  ASSERT_EQ(first.size(), 2u);
  // The PACS restarts: the open association is gone; the next fetch opens a new one.
  ASSERT_TRUE(pacs_->Pause().ok());
  ASSERT_TRUE(pacs_->Resume().ok());
  EXPECT_EQ(fetch_all(), first);
  // The PACS is down: a clear Unavailable error, not a hang or a crash.
  ASSERT_TRUE(pacs_->Pause().ok());
  auto down = (*source)->Fetch(keys->front());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable) << down.status().ToString();
  ASSERT_TRUE(pacs_->Resume().ok());
  EXPECT_EQ(fetch_all(), first);
}

TEST_F(DimseSourceTest, FiltersByModalityAndStudyDate) {
  DimseQuery mr_only;
  mr_only.modalities = {"MR"};
  auto keys = (*MakeDimseSource(Endpoint(), mr_only))->List();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 1u);

  DimseQuery future;
  future.study_date_range = "20990101-";
  auto none = (*MakeDimseSource(Endpoint(), future))->List();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST_F(DimseSourceTest, UnknownInstanceIsNotFound) {
  auto source = MakeDimseSource(Endpoint(), {});
  ASSERT_TRUE(source.ok());
  auto missing = (*source)->Fetch("1.2.3/1.2.3.4/1.2.3.4.5");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_EQ((*source)->Fetch("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
}

TEST(DimseSource, UnreachablePacsIsAClearError) {
  DimseEndpoint ep;
  ep.host = "127.0.0.1";
  ep.port = 9;  // discard: nothing listens there
  ep.called_aet = "NOBODY";
  ep.timeout = std::chrono::seconds(3);
  auto source = MakeDimseSource(ep, {});
  ASSERT_TRUE(source.ok());
  auto keys = (*source)->List();
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(keys.status().message().find("NOBODY at 127.0.0.1:9"), std::string::npos) << keys.status().message();
}

TEST(DimseSource, RejectsBadConfiguration) {
  DimseEndpoint ep;
  ep.host = "127.0.0.1";
  ep.called_aet = "WAY_TOO_LONG_AE_TITLE";
  EXPECT_EQ(MakeDimseSource(ep, {}).status().code(), StatusCode::kInvalidArgument);
  ep.called_aet = "PACS";
  ep.port = 70000;
  EXPECT_EQ(MakeDimseSource(ep, {}).status().code(), StatusCode::kInvalidArgument);
  ep.port = 104;
  DimseQuery q;
  q.study_date_range = "2020-01-01";
  auto bad = MakeDimseSource(ep, q);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("2020-01-01"), std::string::npos);
}

}  // namespace
}  // namespace oncoatlas::dicom
