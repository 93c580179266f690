// The client against local servers: the credential rule, Basic and Bearer
// headers, redirects returned and not followed, the response cap and the
// deadline, TLS verification (openssl s_server), and the credentials folder.
#include "http/client.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/subprocess.h"

namespace oncoatlas::http {
namespace {

namespace fs = std::filesystem;

// A plain-http server on loopback that keeps each request's head and answers
// it with `reply(port)`; an empty answer means none (it waits for the client
// to give up).
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<std::string(int port)> reply) : reply_(std::move(reply)) {
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
  ~LoopbackServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/dicom-web"; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  // The Authorization header of each request ("" when absent).
  std::vector<std::string> authorizations() {
    std::vector<std::string> out;
    for (const std::string& r : requests()) {
      const auto at = r.find("\r\nAuthorization: ");
      out.push_back(at == std::string::npos ? "" : r.substr(at + 17, r.find("\r\n", at + 17) - at - 17));
    }
    return out;
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
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(request.substr(0, request.find("\r\n\r\n")));
      }
      const std::string reply = reply_(port_);
      if (reply.empty()) {
        while (::read(c, buf, sizeof(buf)) > 0) {
        }
      } else {
        (void)!::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }

  std::function<std::string(int)> reply_;
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

std::string Ok(int) { return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"; }

ClientOptions Basic(const std::string& user, const std::string& password) {
  ClientOptions o;
  o.credentials.username = user;
  o.credentials.password = password;
  o.timeout = std::chrono::seconds(10);
  return o;
}

TEST(Client, RefusesCredentialsOverPlainHttpToARemoteHost) {
  const ClientOptions basic = Basic("u", "hunter2");
  ClientOptions bearer;
  bearer.credentials.bearer_token_file = "/run/secrets/token";
  for (const ClientOptions& o : {basic, bearer}) {
    for (const char* remote : {"http://pacs.example.org/dicom-web", "http://10.1.2.3:8042", "http://[2001:db8::1]"}) {
      auto refused = Client::Create(remote, o);
      ASSERT_FALSE(refused.ok()) << remote;
      EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
      const std::string& m = refused.status().message();
      EXPECT_NE(m.find("refusing to send credentials over plain http to " + Url::Parse(remote)->ToString()),
                std::string::npos)
          << m;
      EXPECT_NE(m.find("use https://"), std::string::npos) << m;
      EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
    }
    for (const char* allowed : {"http://127.0.0.1:8042/dicom-web", "http://localhost:8042", "http://[::1]:8042",
                                "https://pacs.example.org/dicom-web", "https://10.1.2.3:8043"}) {
      EXPECT_TRUE(Client::Create(allowed, o).ok()) << allowed;
    }
  }
  // Without credentials plain http goes anywhere.
  EXPECT_TRUE(Client::Create("http://pacs.example.org/dicom-web", {}).ok());
  // Never both kinds of credentials.
  ClientOptions both = basic;
  both.credentials.bearer_token_file = "/run/secrets/token";
  EXPECT_EQ(Client::Create("https://pacs.example.org", both).status().code(), StatusCode::kInvalidArgument);
  ClientOptions bad_ca = basic;
  bad_ca.ca_file = "/nonexistent/ca.pem";
  auto no_ca = Client::Create("https://pacs.example.org/dicom-web", bad_ca);
  ASSERT_FALSE(no_ca.ok());
  EXPECT_NE(no_ca.status().message().find("/nonexistent/ca.pem"), std::string::npos) << no_ca.status().message();
}

TEST(Client, SendsBasicCredentialsAndTheBasePath) {
  LoopbackServer server(Ok);
  ASSERT_TRUE(server.ok());
  auto c = Client::Create(server.url(), Basic("alice", "hunter2"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto r = c->Send("GET", "/studies?limit=1", "application/dicom+json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].substr(0, server.requests()[0].find("\r\n")),
            "GET /dicom-web/studies?limit=1 HTTP/1.1");
  EXPECT_EQ(server.authorizations(), std::vector<std::string>{"Basic YWxpY2U6aHVudGVyMg=="});
  EXPECT_EQ(c->Send("GET", "studies", "").status().code(), StatusCode::kInvalidArgument);
}

TEST(Client, SendsTheBearerTokenReadAgainForEveryRequest) {
  LoopbackServer server(Ok);
  ASSERT_TRUE(server.ok());
  const std::string token_file = ::testing::TempDir() + "token-" + std::to_string(::getpid());
  std::ofstream(token_file) << "first-token\n";
  ClientOptions o;
  o.credentials.bearer_token_file = token_file;
  o.timeout = std::chrono::seconds(10);
  auto c = Client::Create(server.url(), o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->Send("GET", "/studies", "application/dicom+json").ok());
  std::ofstream(token_file) << "rotated-token";  // as a mounted Secret is updated
  ASSERT_TRUE(c->Send("GET", "/studies", "application/dicom+json").ok());
  EXPECT_EQ(server.authorizations(), (std::vector<std::string>{"Bearer first-token", "Bearer rotated-token"}));

  // An unreadable or empty token is an error naming the file, never a request without it.
  std::ofstream(token_file, std::ios::trunc) << "  \n";
  auto empty = c->Send("GET", "/studies", "application/dicom+json");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find(token_file), std::string::npos) << empty.status().message();
  fs::remove(token_file);
  auto missing = c->Send("GET", "/studies", "application/dicom+json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(Client, ReturnsARedirectAndDoesNotFollowIt) {
  LoopbackServer server([](int port) {
    return "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + std::to_string(port) +
           "/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  });
  ASSERT_TRUE(server.ok());
  auto c = Client::Create(server.url(), Basic("alice", "hunter2"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto r = c->Send("GET", "/studies", "application/dicom+json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->location, "http://127.0.0.1:" + std::to_string(server.port()) + "/elsewhere");
  EXPECT_EQ(server.requests().size(), 1u);  // the credentials went out once, to the configured URL
}

TEST(Client, CapsTheResponseSizeAndBoundsTheRequestByItsTimeout) {
  LoopbackServer big([](int) { return "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'); });
  ASSERT_TRUE(big.ok());
  ClientOptions o;
  o.max_response_bytes = 10;
  auto r = Client::Create(big.url(), o)->Send("GET", "/studies", "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("larger than 10 bytes"), std::string::npos) << r.status().message();

  LoopbackServer silent([](int) { return std::string(); });
  ASSERT_TRUE(silent.ok());
  o = {};
  o.timeout = std::chrono::milliseconds(300);
  r = Client::Create(silent.url(), o)->Send("GET", "/studies", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
}

TEST(Client, UnreachableServerIsUnavailable) {
  ClientOptions o;
  o.timeout = std::chrono::seconds(3);
  auto r = Client::Create("http://127.0.0.1:9/dicom-web", o)->Send("GET", "/studies", "application/dicom+json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("cannot connect to http://127.0.0.1:9"), std::string::npos)
      << r.status().message();
}

// An https server (openssl s_server) with a certificate for `san`.
class TlsServer {
 public:
  TlsServer(const std::string& dir, const std::string& san) {
    fs::create_directories(dir);
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
  static Result<Reply> Get(const Client& c) {
    Result<Reply> r = UnavailableError("not tried");
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

TEST(Client, VerifiesTlsCertificatesAlways) {
  const std::string dir = ::testing::TempDir() + "tls-" + std::to_string(::getpid());
  ClientOptions trusting;
  trusting.timeout = std::chrono::seconds(10);
  {
    TlsServer server(dir + "/good", "IP:127.0.0.1");
    ASSERT_TRUE(server.ok());
    trusting.ca_file = server.cert();
    auto reply = TlsServer::Get(*Client::Create(server.url(), trusting));
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->status, 200);

    ClientOptions system_store;
    system_store.timeout = std::chrono::seconds(10);
    auto refused = TlsServer::Get(*Client::Create(server.url(), system_store));
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("TLS handshake with " + server.url() + " failed"), std::string::npos)
        << refused.status().message();
  }
  {
    TlsServer other(dir + "/other", "DNS:pacs.example.org");
    ASSERT_TRUE(other.ok());
    trusting.ca_file = other.cert();
    auto wrong_name = TlsServer::Get(*Client::Create(other.url(), trusting));
    ASSERT_FALSE(wrong_name.ok());
    EXPECT_NE(wrong_name.status().message().find("TLS handshake with"), std::string::npos)
        << wrong_name.status().message();
  }
  fs::remove_all(dir);
}

class CredentialsFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "credentials-" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& content) { std::ofstream(dir_ + "/" + name) << content; }
  std::string dir_;
};

TEST_F(CredentialsFolderTest, BothFilesGiveBasicCredentials) {
  Write("username", "alice\n");
  Write("password", "hunter2\r\n");
  Write("token", "ignored-when-basic");
  Write("ca.crt", "PEM");
  auto o = ReadCredentialsFolder(dir_);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->credentials.username, "alice");
  EXPECT_EQ(o->credentials.password, "hunter2");
  EXPECT_EQ(o->credentials.bearer_token_file, "");
  EXPECT_EQ(o->ca_file, dir_ + "/ca.crt");
}

TEST_F(CredentialsFolderTest, NeitherFileGivesNoCredentialsOrATokenFile) {
  auto none = ReadCredentialsFolder(dir_);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->credentials.empty());
  EXPECT_EQ(none->ca_file, "");
  EXPECT_TRUE(ReadCredentialsFolder("")->credentials.empty());

  Write("token", "t0k3n");
  auto bearer = ReadCredentialsFolder(dir_);
  ASSERT_TRUE(bearer.ok()) << bearer.status().ToString();
  EXPECT_EQ(bearer->credentials.username, "");
  EXPECT_EQ(bearer->credentials.bearer_token_file, dir_ + "/token");
}

TEST_F(CredentialsFolderTest, OnlyOneOfTheTwoFilesIsAnErrorNamingTheMissingOne) {
  Write("username", "alice");
  auto no_password = ReadCredentialsFolder(dir_);
  ASSERT_FALSE(no_password.ok());
  EXPECT_EQ(no_password.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_password.status().message().find(dir_ + "/password is missing"), std::string::npos)
      << no_password.status().message();
  EXPECT_NE(no_password.status().message().find("add the `password` key to the Secret"), std::string::npos);
  EXPECT_EQ(no_password.status().message().find("alice"), std::string::npos);

  fs::remove(dir_ + "/username");
  Write("password", "hunter2");
  auto no_user = ReadCredentialsFolder(dir_);
  ASSERT_FALSE(no_user.ok());
  EXPECT_NE(no_user.status().message().find(dir_ + "/username is missing"), std::string::npos)
      << no_user.status().message();
  EXPECT_EQ(no_user.status().message().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace oncoatlas::http
