#include "kube/health_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>

#include "kube/runtime_metrics.h"

namespace oncoatlas::kube {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Response {
  int status = 0;
  std::string content_type;
  std::string body;
};

// One request on a fresh connection to 127.0.0.1:port.
Response Fetch(std::uint16_t port, const std::string& target, http::verb method = http::verb::get) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req(method, target, 11);
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  if (method == http::verb::head) parser.skip(true);
  http::read(stream, buffer, parser);
  Response r;
  r.status = static_cast<int>(parser.get().result_int());
  r.content_type = std::string(parser.get()[http::field::content_type]);
  r.body = parser.get().body();
  return r;
}

class HealthServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RegisterRuntimeMetrics(registry_).ok());
    server_ = std::make_unique<HealthServer>(HealthServerOptions{"127.0.0.1", 0}, &registry_);
  }

  void Start() {
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(server_->port(), 0);
  }

  MetricsRegistry registry_;
  std::unique_ptr<HealthServer> server_;
};

TEST_F(HealthServerTest, HealthzAndReadyzAreOkWithoutChecks) {
  Start();
  EXPECT_EQ(Fetch(server_->port(), "/healthz").status, 200);
  Response ready = Fetch(server_->port(), "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ok");
}

TEST_F(HealthServerTest, ReadyzNamesTheFailingCheck) {
  std::atomic<bool> synced{false};
  server_->AddReadinessCheck(
      "informer-sync", [&] { return synced ? Status::Ok() : UnavailableError("caches not synced (token=abc123)"); });
  server_->AddReadinessCheck("ping", [] { return Status::Ok(); });
  Start();

  Response r = Fetch(server_->port(), "/readyz");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "[-]informer-sync failed: caches not synced (token=[REDACTED])\nreadyz check failed\n");
  EXPECT_EQ(Fetch(server_->port(), "/healthz").status, 200) << "readiness checks do not affect liveness";

  Response verbose = Fetch(server_->port(), "/readyz?verbose");
  EXPECT_EQ(verbose.status, 500);
  EXPECT_EQ(verbose.body,
            "[-]informer-sync failed: caches not synced (token=[REDACTED])\n[+]ping ok\nreadyz check failed\n");

  EXPECT_EQ(Fetch(server_->port(), "/readyz/ping").status, 200);
  EXPECT_EQ(Fetch(server_->port(), "/readyz/informer-sync").status, 500);
  EXPECT_EQ(Fetch(server_->port(), "/readyz/nope").status, 404);

  synced = true;
  Response ok = Fetch(server_->port(), "/readyz?verbose=1");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "[+]informer-sync ok\n[+]ping ok\nreadyz check passed\n");
}

TEST_F(HealthServerTest, HealthChecksCountForBothEndpoints) {
  server_->AddHealthCheck("deadlock", [] { return InternalError("worker stuck"); });
  Start();
  Response h = Fetch(server_->port(), "/healthz");
  EXPECT_EQ(h.status, 500);
  EXPECT_EQ(h.body, "[-]deadlock failed: worker stuck\nhealthz check failed\n");
  EXPECT_EQ(Fetch(server_->port(), "/readyz").status, 500);
}

TEST_F(HealthServerTest, ACheckThatThrowsFailsInsteadOfCrashing) {
  server_->AddReadinessCheck("boom", []() -> Status { throw std::runtime_error("kaput"); });
  Start();
  Response r = Fetch(server_->port(), "/readyz");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("[-]boom failed: check threw: kaput"), std::string::npos) << r.body;
}

TEST_F(HealthServerTest, MetricsServesTheRegistry) {
  RecordReconcile(registry_, "dataset", ReconcileOutcome::kSuccess, 0.01);
  Start();
  Response r = Fetch(server_->port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, kPrometheusTextContentType);
  EXPECT_EQ(r.body, registry_.Render());
  EXPECT_NE(r.body.find("controller_runtime_reconcile_total{controller=\"dataset\",result=\"success\"} 1\n"),
            std::string::npos);
}

TEST_F(HealthServerTest, UnknownPathsAndMethods) {
  Start();
  EXPECT_EQ(Fetch(server_->port(), "/nothing").status, 404);
  EXPECT_EQ(Fetch(server_->port(), "/healthz", http::verb::post).status, 405);
  Response head = Fetch(server_->port(), "/healthz", http::verb::head);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST_F(HealthServerTest, GarbageGetsABadRequest) {
  Start();
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  asio::write(socket, asio::buffer(std::string("NOT HTTP AT ALL\x01\x02\r\n\r\n")));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  EXPECT_EQ(res.result(), http::status::bad_request);
  // The server still serves others.
  EXPECT_EQ(Fetch(server_->port(), "/healthz").status, 200);
}

TEST_F(HealthServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    http::request<http::empty_body> req(http::verb::get, "/healthz", 11);
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST_F(HealthServerTest, BadAddressAndBusyPortAreClearErrors) {
  HealthServer bad(HealthServerOptions{"not-an-ip", 0}, nullptr);
  Status s = bad.Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not-an-ip"), std::string::npos);

  Start();
  HealthServer busy(HealthServerOptions{"127.0.0.1", server_->port()}, nullptr);
  Status b = busy.Start();
  EXPECT_EQ(b.code(), StatusCode::kUnavailable);
  EXPECT_NE(b.message().find("127.0.0.1:" + std::to_string(server_->port())), std::string::npos) << b.message();
}

TEST_F(HealthServerTest, StopClosesThePort) {
  Start();
  const std::uint16_t port = server_->port();
  server_->Stop();
  server_->Stop();
  EXPECT_EQ(server_->port(), 0);
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec) << "still accepting after Stop";
  EXPECT_EQ(server_->Start().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace oncoatlas::kube
