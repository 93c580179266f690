#include "http/url.h"

#include <gtest/gtest.h>

namespace oncoatlas::http {
namespace {

TEST(Url, ParsesTheFormsAServerUses) {
  auto u = Url::Parse("https://pacs.example.org/dicom-web/");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "pacs.example.org");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->path, "/dicom-web");
  EXPECT_EQ(u->ToString(), "https://pacs.example.org:443/dicom-web");

  auto v = Url::Parse("http://[::1]:8042");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FALSE(v->tls);
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->port, "8042");
  EXPECT_EQ(v->path, "");
  EXPECT_EQ(v->Origin(), "http://[::1]:8042");

  auto w = Url::Parse("http://10.0.0.7/a/b");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->port, "80");
  EXPECT_EQ(w->path, "/a/b");
}

TEST(Url, RefusesOtherFormsNamingTheUrlAndTheAcceptedForm) {
  for (const char* bad :
       {"ftp://x", "http://", "http://:80/", "http://host:0", "http://host:99999", "http://host:x",
        "http://host:", "http://[::1", "http://[::1]x", "http://host/a?b=c", "http://host/#f", "pacs.example.org"}) {
    auto r = Url::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("http[s]://host[:port][/path]"), std::string::npos) << r.status().message();
  }
  // The credentials of a URL that carries them never reach the message.
  auto creds = Url::Parse("http://user:secret@host/");
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().message().find("secret"), std::string::npos) << creds.status().message();
}

TEST(IsLoopbackHost, KnowsLocalhostAnd127And1) {
  for (const char* h : {"localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
  for (const char* h : {"", "pacs.example.org", "10.0.0.1", "128.0.0.1", "127.0.0.1.example.org", "localhost.evil",
                        "::2", "::ffff:10.0.0.1", "0x7f000001"}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

TEST(UrlEncode, EscapesReservedCharacters) {
  EXPECT_EQ(UrlEncode("20200101-20231231"), "20200101-20231231");
  EXPECT_EQ(UrlEncode("A B&C=D/É"), "A%20B%26C%3DD%2F%C3%89");
}

}  // namespace
}  // namespace oncoatlas::http
