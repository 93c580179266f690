// The PACS checks against a real Orthanc (DICOMweb plugin, HTTP auth on):
// reachable while it runs, unreachable with a message naming the PACS and the
// cause once it is stopped or the credentials or URL are wrong.
#include "node/pacs_check.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/orthanc.h"

namespace oncoatlas::agent {
namespace {

using oncoatlas::testing::OrthancServer;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

PacsConfig Dimse(const OrthancServer& pacs) {
  PacsConfig c;
  c.source = DimsePacsConfig{"127.0.0.1", pacs.dicom_port(), pacs.aet(), "ONCOATLAS"};
  return c;
}

PacsConfig Dicomweb(const std::string& url, const std::string& credentials_dir) {
  PacsConfig c;
  c.source = DicomwebPacsConfig{url, credentials_dir};
  return c;
}

std::string CredentialsDir(const std::string& name, const std::string& user, const std::string& password) {
  const std::string dir = ::testing::TempDir() + "pacs-credentials-" + name + "-" + std::to_string(::getpid());
  fs::create_directories(dir);
  std::ofstream(dir + "/username") << user << "\n";
  std::ofstream(dir + "/password") << password;
  return dir;
}

TEST(PacsCheckTest, RealOrthancUpThenStopped) {
  auto started = OrthancServer::Start("pacscheck", "SITEPACS");
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<OrthancServer> pacs = std::move(started).value();
  const std::string good = CredentialsDir("good", pacs->username(), pacs->password());
  const std::string bad = CredentialsDir("bad", pacs->username(), "not-the-password");

  auto echo = MakePacsChecker(Dimse(*pacs))->Check();
  EXPECT_TRUE(echo.reachable) << echo.message;
  EXPECT_EQ(echo.message, "C-ECHO to SITEPACS@127.0.0.1:" + std::to_string(pacs->dicom_port()) + " succeeded");

  auto web = MakePacsChecker(Dicomweb(pacs->dicomweb_url(), good))->Check();
  EXPECT_TRUE(web.reachable) << web.message;
  EXPECT_THAT(web.message, HasSubstr("answered HTTP 200"));
  // A trailing slash on the root is tolerated.
  EXPECT_TRUE(MakePacsChecker(Dicomweb(pacs->dicomweb_url() + "/", good))->Check().reachable);

  auto wrong_password = MakePacsChecker(Dicomweb(pacs->dicomweb_url(), bad))->Check();
  EXPECT_FALSE(wrong_password.reachable);
  EXPECT_THAT(wrong_password.message, HasSubstr("answered HTTP 401: the PACS refused the credentials"));
  EXPECT_THAT(wrong_password.message, HasSubstr(bad));
  EXPECT_THAT(wrong_password.message, ::testing::Not(HasSubstr("not-the-password")));

  auto no_credentials = MakePacsChecker(Dicomweb(pacs->dicomweb_url(), ""))->Check();
  EXPECT_FALSE(no_credentials.reachable);
  EXPECT_THAT(no_credentials.message, HasSubstr("credentialsSecretRef"));

  auto wrong_root = MakePacsChecker(Dicomweb(pacs->url() + "/not-dicomweb", good))->Check();
  EXPECT_FALSE(wrong_root.reachable);
  EXPECT_THAT(wrong_root.message, HasSubstr("HTTP 404; check that the URL is the DICOMweb root"));

  const std::string only_user = CredentialsDir("half", pacs->username(), "");
  fs::remove(only_user + "/password");
  auto half = MakePacsChecker(Dicomweb(pacs->dicomweb_url(), only_user))->Check();
  EXPECT_FALSE(half.reachable);
  EXPECT_THAT(half.message, HasSubstr("holds only one of username and password"));

  const int dicom_port = pacs->dicom_port();
  const std::string url = pacs->dicomweb_url();
  ASSERT_TRUE(pacs->Stop().ok());

  echo = MakePacsChecker(Dimse(*pacs))->Check();
  EXPECT_FALSE(echo.reachable);
  EXPECT_THAT(echo.message, HasSubstr("C-ECHO to SITEPACS@127.0.0.1:" + std::to_string(dicom_port) + " failed: "));
  EXPECT_THAT(echo.message, HasSubstr("refused"));
  EXPECT_EQ(echo.message.find('\n'), std::string::npos);

  web = MakePacsChecker(Dicomweb(url, good))->Check();
  EXPECT_FALSE(web.reachable);
  EXPECT_THAT(web.message, HasSubstr("DICOMweb GET " + url + "/studies?limit=1 failed: cannot connect"));
  EXPECT_THAT(web.message, HasSubstr("refused"));
}

TEST(PacsCheckTest, Folder) {
  const std::string dir = ::testing::TempDir() + "pacs-folder-" + std::to_string(::getpid());
  fs::create_directories(dir);
  PacsConfig c;
  c.source = FolderPacsConfig{dir};
  auto r = MakePacsChecker(c)->Check();
  EXPECT_TRUE(r.reachable) << r.message;
  EXPECT_EQ(r.message, "import folder " + dir + " is readable");

  c.source = FolderPacsConfig{dir + "/missing"};
  r = MakePacsChecker(c)->Check();
  EXPECT_FALSE(r.reachable);
  EXPECT_THAT(r.message, HasSubstr("does not exist"));

  std::ofstream(dir + "/file") << "x";
  c.source = FolderPacsConfig{dir + "/file"};
  r = MakePacsChecker(c)->Check();
  EXPECT_FALSE(r.reachable);
  EXPECT_THAT(r.message, HasSubstr("is not a directory"));

  if (::geteuid() != 0) {  // root reads anything
    fs::create_directories(dir + "/locked");
    ::chmod((dir + "/locked").c_str(), 0);
    c.source = FolderPacsConfig{dir + "/locked"};
    r = MakePacsChecker(c)->Check();
    EXPECT_FALSE(r.reachable);
    EXPECT_THAT(r.message, HasSubstr("cannot be read"));
    ::chmod((dir + "/locked").c_str(), 0700);
  }
  fs::remove_all(dir);
}

// The PACS check goes through lib/http's credential rule: Basic credentials
// are never sent over plain http to a host beyond loopback.
TEST(PacsCheckTest, RefusesCredentialsOverPlainHttpToARemoteHost) {
  const std::string creds = CredentialsDir("remote", "alice", "hunter2");
  auto r = MakePacsChecker(Dicomweb("http://pacs.example.org:8042/dicom-web", creds))->Check();
  EXPECT_FALSE(r.reachable);
  EXPECT_THAT(r.message, HasSubstr("refusing to send credentials over plain http to http://pacs.example.org:8042"));
  EXPECT_THAT(r.message, HasSubstr("use https://"));
  EXPECT_THAT(r.message, ::testing::Not(HasSubstr("hunter2")));
  fs::remove_all(creds);
}

}  // namespace
}  // namespace oncoatlas::agent
