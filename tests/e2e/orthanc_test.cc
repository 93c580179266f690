// Integration tests of the PACS the tests and the demo use (e2e/orthanc):
// Debian's Orthanc with DICOMweb, driven with DCMTK's tools and curl.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/control_plane.h"
#include "support/orthanc.h"

namespace oncoatlas::testing {
namespace {

std::string PydicomTestFile(const std::string& name) {
  return "/usr/lib/python3/dist-packages/pydicom/data/test_files/" + name;
}

SubprocessResult Curl(const OrthancServer& pacs, const std::string& url, bool with_auth = true) {
  std::vector<std::string> argv = {"curl", "--silent", "--show-error", "--write-out", "\n%{http_code}"};
  if (with_auth) {
    argv.push_back("--user");
    argv.push_back(pacs.username() + ":" + pacs.password());
  }
  argv.push_back(url);
  auto r = RunSubprocess(argv);
  return r.ok() ? *r : SubprocessResult{};
}

// Splits curl's output into body and the status code on the last line.
std::pair<std::string, std::string> BodyAndCode(const std::string& out) {
  auto nl = out.rfind('\n');
  if (nl == std::string::npos) return {"", out};
  return {out.substr(0, nl), out.substr(nl + 1)};
}

TEST(Orthanc, StoresOverDimseAndAnswersQidoRs) {
  auto pacs = OrthancServer::Start("store", "SITEA");
  ASSERT_TRUE(pacs.ok()) << pacs.status().ToString();
  const OrthancServer& p = **pacs;

  auto echo = RunSubprocess({"echoscu", "-aec", p.aet(), "127.0.0.1", std::to_string(p.dicom_port())});
  ASSERT_TRUE(echo.ok());
  EXPECT_TRUE(echo->success()) << echo->Describe();

  auto store = RunSubprocess(
      {"storescu", "-aec", p.aet(), "127.0.0.1", std::to_string(p.dicom_port()), PydicomTestFile("CT_small.dcm")});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->success()) << store->Describe();

  auto [body, code] = BodyAndCode(Curl(p, p.dicomweb_url() + "/studies").out);
  ASSERT_EQ(code, "200") << body;
  auto studies = nlohmann::json::parse(body);
  ASSERT_EQ(studies.size(), 1u);
  // CT_small.dcm's study instance UID (0020,000D).
  EXPECT_EQ(studies[0]["0020000D"]["Value"][0], "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322");
}

TEST(Orthanc, RefusesRequestsWithoutCredentials) {
  auto pacs = OrthancServer::Start("auth");
  ASSERT_TRUE(pacs.ok()) << pacs.status().ToString();
  auto [body, code] = BodyAndCode(Curl(**pacs, (*pacs)->dicomweb_url() + "/studies", false).out);
  EXPECT_EQ(code, "401");
}

TEST(Orthanc, SeveralInstancesRunAtOnce) {
  auto a = OrthancServer::Start("site-a", "SITEA");
  auto b = OrthancServer::Start("site-b", "SITEB");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->url(), (*b)->url());
  EXPECT_NE((*a)->dicom_port(), (*b)->dicom_port());
  auto store = RunSubprocess(
      {"storescu", "-aec", "SITEA", "127.0.0.1", std::to_string((*a)->dicom_port()), PydicomTestFile("MR_small.dcm")});
  ASSERT_TRUE(store.ok() && store->success());
  EXPECT_EQ(BodyAndCode(Curl(**b, (*b)->dicomweb_url() + "/studies").out).first, "[]");
  ASSERT_TRUE((*b)->Stop().ok());
  EXPECT_EQ(BodyAndCode(Curl(**a, (*a)->url() + "/system").out).second, "200");
}

}  // namespace
}  // namespace oncoatlas::testing
