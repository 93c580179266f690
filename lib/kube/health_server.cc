#include "kube/health_server.h"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "kube/log_redaction.h"

namespace oncoatlas::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kRequestLimitBytes = 8 * 1024;
constexpr std::chrono::seconds kIdleTimeout(30);

struct Reply {
  http::status status = http::status::ok;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct NamedCheck {
  std::string name;
  HealthCheck check;
  bool liveness;
};

// One line per check, as the Kubernetes API server's own probes print them.
Reply RunChecks(const std::vector<NamedCheck>& checks, std::string_view endpoint, bool verbose) {
  std::string lines;
  std::vector<std::string> failed;
  for (const NamedCheck& c : checks) {
    Status s;
    try {
      s = c.check ? c.check() : InternalError("no check function");
    } catch (const std::exception& e) {
      s = InternalError(std::string("check threw: ") + e.what());
    } catch (...) {
      s = InternalError("check threw");
    }
    if (s.ok()) {
      if (verbose) lines += "[+]" + c.name + " ok\n";
    } else {
      lines += "[-]" + c.name + " failed: " + RedactSecrets(s.message()) + "\n";
      failed.push_back(c.name);
    }
  }
  Reply r;
  if (failed.empty()) {
    r.body = verbose ? lines + std::string(endpoint) + " check passed\n" : "ok";
  } else {
    r.status = http::status::internal_server_error;
    r.body = lines + std::string(endpoint) + " check failed\n";
  }
  return r;
}

bool HasQueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    const std::size_t eq = param.find('=');
    if (param.substr(0, eq) == name) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace

class HealthServer::Impl {
 public:
  Impl(HealthServerOptions options, const MetricsRegistry* metrics) : options_(std::move(options)), metrics_(metrics) {}

  ~Impl() { Stop(); }

  void AddCheck(std::string name, HealthCheck check, bool liveness) {
    std::lock_guard<std::mutex> l(mu_);
    checks_.push_back({std::move(name), std::move(check), liveness});
  }

  Status Start() {
    std::lock_guard<std::mutex> l(lifecycle_mu_);
    if (started_) return FailedPreconditionError("health server already started; a server starts once");
    beast::error_code ec;
    const asio::ip::address address = asio::ip::make_address(options_.bind_address, ec);
    if (ec) {
      return InvalidArgumentError("health server bind address \"" + options_.bind_address +
                                  "\" is not an IP address; give one such as 0.0.0.0 or 127.0.0.1");
    }
    const std::string where = options_.bind_address + ":" + std::to_string(options_.port);
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor_.close(ignored);
      return UnavailableError("health server cannot listen on " + where + ": " + ec.message() +
                              "; choose a free port (or 0) or another address");
    }
    port_ = acceptor_.local_endpoint(ec).port();
    started_ = true;
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
    return Status::Ok();
  }

  void Stop() {
    std::lock_guard<std::mutex> l(lifecycle_mu_);
    if (!thread_.joinable()) return;
    ioc_.stop();
    thread_.join();
    // The I/O thread is gone, so the acceptor may be closed from here.
    beast::error_code ignored;
    acceptor_.close(ignored);
    port_ = 0;
  }

  std::uint16_t port() const { return port_; }

  Reply Handle(http::verb method, std::string_view target) {
    if (method != http::verb::get && method != http::verb::head) {
      Reply r;
      r.status = http::status::method_not_allowed;
      r.body = "only GET and HEAD are served here\n";
      return r;
    }
    const std::size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    const bool verbose = HasQueryParam(query, "verbose");

    std::vector<NamedCheck> checks;
    {
      std::lock_guard<std::mutex> l(mu_);
      checks = checks_;
    }
    if (path == "/healthz" || path == "/livez") {
      std::vector<NamedCheck> live;
      for (const auto& c : checks) {
        if (c.liveness) live.push_back(c);
      }
      return RunChecks(live, path.substr(1), verbose);
    }
    if (path == "/readyz") return RunChecks(checks, "readyz", verbose);
    if (path.substr(0, 8) == "/readyz/") {
      const std::string_view name = path.substr(8);
      for (const auto& c : checks) {
        if (c.name == name) return RunChecks({c}, "readyz", verbose);
      }
      Reply r;
      r.status = http::status::not_found;
      r.body = "no readiness check named \"" + std::string(name) + "\"\n";
      return r;
    }
    if (path == "/metrics" && metrics_ != nullptr) {
      Reply r;
      r.content_type = kPrometheusTextContentType;
      r.body = metrics_->Render();
      return r;
    }
    Reply r;
    r.status = http::status::not_found;
    r.body = "not found; try /healthz, /readyz or /metrics\n";
    return r;
  }

 private:
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(tcp::socket socket, Impl& server) : stream_(std::move(socket)), server_(server) {}

    void Read() {
      parser_.emplace();
      parser_->header_limit(kRequestLimitBytes);
      parser_->body_limit(kRequestLimitBytes);
      stream_.expires_after(kIdleTimeout);
      http::async_read(stream_, buffer_, *parser_,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
    }

   private:
    void OnRead(beast::error_code ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof) {
        Close();
        return;
      }
      Reply reply;
      bool keep_alive = false;
      unsigned version = 11;
      bool head = false;
      if (ec) {
        reply.status = http::status::bad_request;
        reply.body = "bad request: " + ec.message() + "\n";
      } else {
        const auto& req = parser_->get();
        keep_alive = req.keep_alive();
        version = req.version();
        head = req.method() == http::verb::head;
        reply = server_.Handle(req.method(), std::string_view(req.target().data(), req.target().size()));
      }
      auto res = std::make_shared<http::response<http::string_body>>(reply.status, version);
      res->set(http::field::content_type, reply.content_type);
      res->set(http::field::cache_control, "no-store");
      res->keep_alive(keep_alive);
      res->body() = std::move(reply.body);
      res->prepare_payload();
      if (head) res->body().clear();  // the Content-Length stays that of GET
      http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code wec, std::size_t) {
        if (wec || !res->keep_alive()) {
          self->Close();
        } else {
          self->Read();
        }
      });
    }

    void Close() {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    Impl& server_;
  };

  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), *this)->Read();
      Accept();
    });
  }

  const HealthServerOptions options_;
  const MetricsRegistry* const metrics_;
  asio::io_context ioc_{1};
  tcp::acceptor acceptor_{ioc_};
  std::thread thread_;
  std::atomic<std::uint16_t> port_{0};
  std::mutex lifecycle_mu_;  // serialises Start and Stop; never taken on the I/O thread
  bool started_ = false;     // GUARDED_BY(lifecycle_mu_)
  std::mutex mu_;
  std::vector<NamedCheck> checks_;  // GUARDED_BY(mu_)
};

HealthServer::HealthServer(HealthServerOptions options, const MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), metrics)) {}

HealthServer::~HealthServer() = default;

void HealthServer::AddHealthCheck(std::string name, HealthCheck check) {
  impl_->AddCheck(std::move(name), std::move(check), true);
}

void HealthServer::AddReadinessCheck(std::string name, HealthCheck check) {
  impl_->AddCheck(std::move(name), std::move(check), false);
}

Status HealthServer::Start() { return impl_->Start(); }
void HealthServer::Stop() { impl_->Stop(); }
std::uint16_t HealthServer::port() const { return impl_->port(); }

}  // namespace oncoatlas::kube
