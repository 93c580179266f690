// Transport's RequestObserver: every request it is told was sent is also told
// as completed — including a bearer token that cannot be read, for plain
// requests and for watch streams alike (rest_client_requests_total counts it
// with code 0). No server is needed: the failure comes before any connection.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kube/transport.h"

namespace oncoatlas::kube {
namespace {

// A throw-away self-signed certificate: the transport insists on a CA.
std::string SelfSignedPem() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                          &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!key || !cert) return "";
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("observer-test-ca"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return "";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  const long n = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

HttpRequest Get(const std::string& target, const std::string& method = "GET") {
  HttpRequest r;
  r.method = method;
  r.target = target;
  return r;
}

class FailingTokenSource final : public TokenSource {
 public:
  Result<std::string> Token() override { return UnavailableError("token file /var/run/token: cannot read it"); }
};

class Recorder final : public RequestObserver {
 public:
  void OnSend(const std::string& method, const std::string&) override {
    std::lock_guard<std::mutex> lock(mutex);
    sent.push_back(method);
  }
  void OnRequest(const std::string& method, int code, std::chrono::nanoseconds) override {
    std::lock_guard<std::mutex> lock(mutex);
    completed.emplace_back(method, code);
  }
  std::mutex mutex;
  std::vector<std::string> sent;
  std::vector<std::pair<std::string, int>> completed;
};

class TransportObserverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.host = "127.0.0.1";
    config_.port = "1";  // never dialled: the token fails first
    config_.ca_pem = SelfSignedPem();
    ASSERT_FALSE(config_.ca_pem.empty());
    config_.source = "test config";
    config_.token_source = std::make_shared<FailingTokenSource>();
    config_.qps = 0;
    auto t = Transport::Create(config_, {.observer = &recorder_});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    transport_ = std::move(*t);
  }
  ClientConfig config_;
  Recorder recorder_;
  std::unique_ptr<Transport> transport_;
};

TEST_F(TransportObserverTest, ATokenFailureOfARequestIsObservedWithCodeZero) {
  auto r = transport_->Do(Get("/api/v1/namespaces"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot read"), std::string::npos) << r.status().ToString();
  ASSERT_EQ(recorder_.sent, std::vector<std::string>{"GET"});
  ASSERT_EQ(recorder_.completed.size(), 1u);
  EXPECT_EQ(recorder_.completed[0], std::make_pair(std::string("GET"), 0));
}

TEST_F(TransportObserverTest, ATokenFailureOfAWatchStreamIsObservedWithCodeZero) {
  bool data = false;
  auto r = transport_->Stream(
      Get("/api/v1/namespaces?watch=true"),
      [&](std::string_view) {
        data = true;
        return true;
      },
      nullptr, std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("cannot read"), std::string::npos) << r.error().ToString();
  EXPECT_FALSE(data);
  ASSERT_EQ(recorder_.sent, std::vector<std::string>{"GET"});
  ASSERT_EQ(recorder_.completed.size(), 1u) << "the watch's failure must reach rest_client_requests_total";
  EXPECT_EQ(recorder_.completed[0], std::make_pair(std::string("GET"), 0));
}

TEST_F(TransportObserverTest, AnUnknownMethodIsObservedToo) {
  auto r = transport_->Do(Get("/api", "FETCH"));
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(recorder_.completed.size(), recorder_.sent.size());
}

TEST_F(TransportObserverTest, AStreamCancelledBeforeItStartsIsNeitherSentNorObserved) {
  CancelToken cancel;
  cancel.Cancel();
  auto r = transport_->Stream(
      Get("/api?watch=true"), [](std::string_view) { return true; }, &cancel, std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(recorder_.sent.empty());
  EXPECT_TRUE(recorder_.completed.empty());
}

}  // namespace
}  // namespace oncoatlas::kube
