// DICOMweb client pieces that need no server: Content-Type parameters,
// multipart bodies as servers write them (and as they break), base URLs, and
// the configuration checks of the DICOMweb source and HTTP client.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/subprocess.h"

#include "dicomweb/dicomweb_source.h"
#include "dicomweb/http_client.h"
#include "dicomweb/multipart.h"

namespace oncoatlas::dicomweb {
namespace {

TEST(ContentType, ParsesQuotedAndBareParameters) {
  auto p = ParseContentType("Multipart/Related; type=\"application/dicom\";Boundary=\"a b;c\\\"d\" ; x=1");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)[""], "multipart/related");
  EXPECT_EQ((*p)["type"], "application/dicom");
  EXPECT_EQ((*p)["boundary"], "a b;c\"d");
  EXPECT_EQ((*p)["x"], "1");
  EXPECT_FALSE(ParseContentType("multipart/related; boundary=\"open").ok());
  EXPECT_FALSE(ParseContentType("").ok());
}

TEST(Multipart, SplitsPartsWithPreambleEpilogueAndPadding) {
  std::string body =
      "preamble text\r\n"
      "--XyZ  \r\nContent-Type: application/dicom\r\n\r\nfirst\r\npart\r\n"
      "--XyZ\r\ncontent-type: application/dicom\r\nX-Extra: 1\r\n\r\n\r\n--XyZ\r\n\r\nthird--XyZ-not-a-delimiter\r\n"
      "--XyZ--\r\nepilogue";
  auto parts = ParseMultipart("multipart/related; type=\"application/dicom\"; boundary=XyZ", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].body, "first\r\npart");
  EXPECT_EQ((*parts)[0].headers.at("content-type"), "application/dicom");
  EXPECT_EQ((*parts)[1].body, "");
  EXPECT_EQ((*parts)[1].headers.at("x-extra"), "1");
  EXPECT_EQ((*parts)[2].body, "third--XyZ-not-a-delimiter");
}

TEST(Multipart, AcceptsBareLineFeedsAndBinaryContent) {
  std::string binary("\0\r\n\x01--Xy", 8);
  std::string body = "--B\nContent-Type: application/dicom\n\n" + binary + "\n--B--";
  auto parts = ParseMultipart("multipart/related; boundary=B", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].body, binary);
}

TEST(Multipart, RejectsTruncatedAndMislabelledBodies) {
  const std::string type = "multipart/related; boundary=B";
  EXPECT_FALSE(ParseMultipart(type, "--B\r\nContent-Type: application/dicom\r\n\r\nhalf a fi").ok());
  EXPECT_FALSE(ParseMultipart(type, "--B\r\nContent-Type: application/dicom\r\n").ok());
  EXPECT_FALSE(ParseMultipart(type, "no delimiter at all").ok());
  EXPECT_FALSE(ParseMultipart(type, "").ok());
  auto not_multipart = ParseMultipart("application/dicom", "--B--");
  ASSERT_FALSE(not_multipart.ok());
  EXPECT_NE(not_multipart.status().message().find("application/dicom"), std::string::npos);
  EXPECT_FALSE(ParseMultipart("multipart/related; type=\"application/dicom\"", "--B--").ok());
}

TEST(Multipart, WhatWeWriteWeRead) {
  const char raw[] = "DICM\0\0\r\n--oncoatlas\0";
  std::string a(raw, sizeof(raw) - 1), b(3000, '\xff');
  std::vector<std::string_view> parts{a, b, ""};
  std::string boundary = ChooseBoundary(parts);
  for (auto p : parts) EXPECT_EQ(p.find(boundary), std::string_view::npos);
  auto back = ParseMultipart("multipart/related; type=\"application/dicom\"; boundary=" + boundary,
                             MakeMultipart(boundary, "application/dicom", parts));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0].body, a);
  EXPECT_EQ((*back)[1].body, b);
  EXPECT_EQ((*back)[2].body, "");
}

TEST(BaseUrl, ParsesTheFormsAPacsUses) {
  auto u = BaseUrl::Parse("https://pacs.example.org/dicom-web/");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "pacs.example.org");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->path, "/dicom-web");
  auto v = BaseUrl::Parse("http://[::1]:8042");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->port, "8042");
  EXPECT_EQ(v->ToString(), "http://[::1]:8042");
  for (const char* bad : {"ftp://x", "http://", "http://user:pw@host/", "http://host:99999", "http://host:x",
                          "http://host/a?b=c", "pacs.example.org"}) {
    EXPECT_FALSE(BaseUrl::Parse(bad).ok()) << bad;
  }
  // The credentials of a URL that carries them never reach the message.
  auto creds = BaseUrl::Parse("http://user:secret@host/");
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().message().find("secret"), std::string::npos) << creds.status().message();
}

TEST(HttpClient, RefusesCredentialsOverPlainHttpBeyondLoopback) {
  HttpClientOptions o;
  o.username = "u";
  o.password = "p";
  EXPECT_EQ(HttpClient::Create("http://pacs.example.org/dicom-web", o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HttpClient::Create("http://127.0.0.1:8042/dicom-web", o).ok());
  EXPECT_TRUE(HttpClient::Create("https://pacs.example.org/dicom-web", o).ok());
  o.ca_file = "/nonexistent/ca.pem";
  auto bad_ca = HttpClient::Create("https://pacs.example.org/dicom-web", o);
  ASSERT_FALSE(bad_ca.ok());
  EXPECT_NE(bad_ca.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

// A plain-http server on loopback that answers every request with 200 and
// keeps the Authorization header of each.
class HeaderRecorder {
 public:
  HeaderRecorder() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 && ::listen(fd_, 8) == 0 &&
          ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HeaderRecorder() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  bool ok() const { return ok_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/dicom-web"; }
  std::vector<std::string> authorizations() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }

 private:
  void Serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      std::string auth;
      const auto at = request.find("\r\nAuthorization: ");
      if (at != std::string::npos) {
        const auto start = at + 17;
        auth = request.substr(start, request.find("\r\n", start) - start);
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        seen_.push_back(auth);
      }
      const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::write(c, reply.data(), reply.size());
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST(HttpClient, SendsTheBearerTokenReadAgainForEveryRequest) {
  HeaderRecorder server;
  ASSERT_TRUE(server.ok());
  const std::string token_file = ::testing::TempDir() + "token-" + std::to_string(::getpid());
  std::ofstream(token_file) << "first-token\n";
  HttpClientOptions o;
  o.bearer_token_file = token_file;
  o.timeout = std::chrono::seconds(10);
  auto c = HttpClient::Create(server.url(), o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE((*c)->Send("GET", "/studies", "application/dicom+json").ok());
  std::ofstream(token_file) << "rotated-token";  // as a mounted Secret is updated
  ASSERT_TRUE((*c)->Send("GET", "/studies", "application/dicom+json").ok());
  EXPECT_EQ(server.authorizations(), (std::vector<std::string>{"Bearer first-token", "Bearer rotated-token"}));

  // An unreadable or empty token is an error naming the file, never a request without it.
  std::ofstream(token_file, std::ios::trunc) << "  \n";
  auto empty = (*c)->Send("GET", "/studies", "application/dicom+json");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find(token_file), std::string::npos) << empty.status().message();
  std::filesystem::remove(token_file);
  auto missing = (*c)->Send("GET", "/studies", "application/dicom+json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server.authorizations().size(), 2u);

  // Never over plain http beyond loopback; never both kinds of credentials.
  EXPECT_EQ(HttpClient::Create("http://pacs.example.org/dicom-web", o).status().code(), StatusCode::kInvalidArgument);
  o.username = "u";
  EXPECT_EQ(HttpClient::Create(server.url(), o).status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpClient, UnreachableServerIsUnavailable) {
  HttpClientOptions o;
  o.timeout = std::chrono::seconds(3);
  auto c = HttpClient::Create("http://127.0.0.1:9/dicom-web", o);
  ASSERT_TRUE(c.ok());
  auto r = (*c)->Send("GET", "/studies", "application/dicom+json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:9"), std::string::npos) << r.status().message();
}

// An https server (openssl s_server) with a certificate for 127.0.0.1: the
// client talks to it only when it trusts the issuing certificate, and refuses
// it with the system's trust store or when the certificate names another host.
class TlsServer {
 public:
  TlsServer(const std::string& dir, const std::string& san) {
    std::filesystem::create_directories(dir);
    cert_ = dir + "/cert.pem";
    auto r = RunSubprocess({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                            "/CN=oncoatlas-test", "-addext", "subjectAltName=" + san, "-keyout", dir + "/key.pem",
                            "-out", cert_});
    ok_ = r.ok() && r->success();
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ok_ = ok_ && bound;
    port_ = ntohs(a.sin_port);
    ::close(fd);
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_), key = dir + "/key.pem";
      ::execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", port.c_str(), "-cert", cert_.c_str(),
               "-key", key.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~TlsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ok() const { return ok_ && pid_ > 0; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& cert() const { return cert_; }

  // Sends one request, retrying while the server is still starting.
  static Result<HttpReply> Get(const HttpClient& c) {
    Result<HttpReply> r = UnavailableError("not tried");
    for (int i = 0; i < 50; ++i) {
      r = c.Send("GET", "/", "text/html");
      if (r.ok() || r.status().message().find("cannot connect") == std::string::npos) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

 private:
  std::string cert_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool ok_ = false;
};

TEST(HttpClient, VerifiesTlsCertificatesAlways) {
  const std::string dir = ::testing::TempDir() + "tls-" + std::to_string(::getpid());
  {
    TlsServer server(dir + "/good", "IP:127.0.0.1");
    ASSERT_TRUE(server.ok());
    HttpClientOptions trusting;
    trusting.ca_file = server.cert();
    trusting.timeout = std::chrono::seconds(10);
    auto reply = TlsServer::Get(**HttpClient::Create(server.url(), trusting));
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->status, 200);

    HttpClientOptions system_store;
    system_store.timeout = std::chrono::seconds(10);
    auto refused = TlsServer::Get(**HttpClient::Create(server.url(), system_store));
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("TLS handshake failed"), std::string::npos) << refused.status().message();
  }
  {
    TlsServer other(dir + "/other", "DNS:pacs.example.org");
    ASSERT_TRUE(other.ok());
    HttpClientOptions trusting;
    trusting.ca_file = other.cert();
    trusting.timeout = std::chrono::seconds(10);
    auto wrong_name = TlsServer::Get(**HttpClient::Create(other.url(), trusting));
    ASSERT_FALSE(wrong_name.ok());
    EXPECT_NE(wrong_name.status().message().find("TLS handshake failed"), std::string::npos)
        << wrong_name.status().message();
  }
  std::filesystem::remove_all(dir);
}

TEST(DicomWebSource, RejectsBadQueries) {
  DicomWebEndpoint ep;
  ep.url = "http://127.0.0.1:8042/dicom-web";
  agent::SourceQuery q;
  q.study_date_range = "2020-01-01";
  auto bad = MakeDicomWebSource(ep, q);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("2020-01-01"), std::string::npos);
  q = {};
  q.modalities = {"ct"};
  EXPECT_FALSE(MakeDicomWebSource(ep, q).ok());
  q = {};
  q.study_instance_uids = {"1.2.x"};
  EXPECT_FALSE(MakeDicomWebSource(ep, q).ok());
  ep.page_size = 0;
  EXPECT_FALSE(MakeDicomWebSource(ep, {}).ok());
  ep.page_size = 10;
  ep.url = "gopher://x";
  EXPECT_FALSE(MakeDicomWebSource(ep, {}).ok());
}

TEST(UrlEncode, EscapesReservedCharacters) {
  EXPECT_EQ(UrlEncode("20200101-20231231"), "20200101-20231231");
  EXPECT_EQ(UrlEncode("A B&C=D/É"), "A%20B%26C%3DD%2F%C3%89");
}

}  // namespace
}  // namespace oncoatlas::dicomweb
