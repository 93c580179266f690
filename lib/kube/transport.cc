#include "kube/transport.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>

#include "http/tls.h"

namespace oncoatlas::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

using http::RunOp;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsStaleConnectionError(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

class Transport::Connection {
 public:
  explicit Connection(asio::ssl::context& ctx) : stream(ioc, ctx) {}
  asio::io_context ioc;
  http::TlsStream stream;
  beast::flat_buffer buffer;
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream); }
};

void CancelToken::Cancel() {
  std::function<void()> interrupt;
  {
    MutexLock lock(mutex_);
    cancelled_ = true;
    interrupt = interrupt_;
  }
  if (interrupt) interrupt();
}

bool CancelToken::cancelled() const {
  MutexLock lock(mutex_);
  return cancelled_;
}

bool CancelToken::SetInterrupt(std::function<void()> interrupt) {
  MutexLock lock(mutex_);
  if (cancelled_) return false;
  interrupt_ = std::move(interrupt);
  return true;
}

void CancelToken::ClearInterrupt() {
  MutexLock lock(mutex_);
  interrupt_ = nullptr;
}

std::string HttpResponse::Header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? "" : it->second;
}

Transport::Transport(ClientConfig config, Options options)
    : config_(std::move(config)), options_(options), limiter_(config_.qps, config_.burst, *options.clock) {}

Transport::~Transport() = default;

Result<std::unique_ptr<Transport>> Transport::Create(const ClientConfig& config, Options options) {
  if (config.host.empty()) return InvalidArgumentError("client config has no server host");
  if (config.ca_pem.empty()) {
    return InvalidArgumentError(config.source + ": no CA certificate; TLS verification needs the server's CA");
  }
  http::TlsOptions tls;
  tls.ca_pem = config.ca_pem;
  tls.client_cert_pem = config.client_cert_pem;
  tls.client_key_pem = config.client_key_pem;
  auto context = http::MakeTlsContext(tls);
  if (!context.ok()) return context.status().WithContext(config.source);
  std::unique_ptr<Transport> t(new Transport(config, options));
  t->tls_ = std::move(*context);
  return t;
}

Result<std::string> Transport::AuthorizationHeader() {
  if (!config_.token_source) return std::string();
  auto token = config_.token_source->Token();
  if (!token.ok()) return token.status();
  return "Bearer " + *token;
}

std::unique_ptr<Transport::Connection> Transport::TakeIdle() {
  MutexLock lock(pool_mutex_);
  if (idle_.empty()) return nullptr;
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void Transport::ReturnIdle(std::unique_ptr<Connection> connection) {
  MutexLock lock(pool_mutex_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(connection));
}

Result<std::unique_ptr<Transport::Connection>> Transport::Connect() {
  auto c = std::make_unique<Connection>(*tls_);
  const std::string where = config_.ServerUrl();
  const auto deadline = [this] { return std::chrono::steady_clock::now() + config_.connect_timeout; };
  ONCOATLAS_RETURN_IF_ERROR(http::Connect(c->ioc, c->tcp(), config_.host, config_.port, deadline(), where));
  const std::string& verify_name = config_.tls_server_name.empty() ? config_.host : config_.tls_server_name;
  ONCOATLAS_RETURN_IF_ERROR(http::Handshake(c->ioc, c->stream, verify_name, deadline(), where));
  return c;
}

Result<HttpResponse> Transport::Do(const HttpRequest& request) {
  limiter_.Wait();
  if (options_.observer != nullptr) options_.observer->OnSend(request.method, request.target);
  const auto started = std::chrono::steady_clock::now();
  auto observe = [&](int code) {
    if (options_.observer != nullptr) {
      options_.observer->OnRequest(request.method, code, std::chrono::steady_clock::now() - started);
    }
  };
  auto auth = AuthorizationHeader();
  if (!auth.ok()) {
    observe(0);
    return auth.status();
  }
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(request.method), config_.base_path + request.target, 11};
  if (req.method() == bhttp::verb::unknown) {
    observe(0);
    return InvalidArgumentError("unknown HTTP method " + request.method);
  }
  req.set(bhttp::field::host, config_.host);
  req.set(bhttp::field::user_agent, config_.user_agent);
  req.set(bhttp::field::accept, request.accept);
  if (!auth->empty()) req.set(bhttp::field::authorization, *auth);
  if (!request.body.empty() || !request.content_type.empty()) {
    req.set(bhttp::field::content_type, request.content_type);
    req.body() = request.body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  const std::string what = request.method + " " + request.target;

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> c = attempt == 0 ? TakeIdle() : nullptr;
    const bool reused = c != nullptr;
    if (!c) {
      auto fresh = Connect();
      if (!fresh.ok()) {
        observe(0);
        return fresh.status().WithContext(what);
      }
      c = std::move(*fresh);
    }
    c->tcp().expires_after(config_.request_timeout);
    beast::error_code ec = RunOp(c->ioc, [&](auto handler) { bhttp::async_write(c->stream, req, std::move(handler)); });
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!ec) {
      ec = RunOp(c->ioc, [&](auto handler) { bhttp::async_read(c->stream, c->buffer, parser, std::move(handler)); });
    }
    if (ec) {
      if (reused && !parser.is_header_done() && IsStaleConnectionError(ec))
        continue;  // the server closed an idle connection
      observe(0);
      if (ec == beast::error::timeout) {
        return DeadlineExceededError(what + ": no response within " + std::to_string(config_.request_timeout.count()) +
                                     " ms");
      }
      return UnavailableError(what + ": " + ec.message());
    }
    auto res = parser.release();
    HttpResponse out;
    out.code = static_cast<int>(res.result_int());
    for (const auto& field : res) out.headers[Lower(std::string(field.name_string()))] = std::string(field.value());
    out.body = std::move(res.body());
    if (res.keep_alive()) ReturnIdle(std::move(c));
    observe(out.code);
    return out;
  }
}

ApiStatus Transport::Stream(const HttpRequest& request, const std::function<bool(std::string_view)>& on_data,
                            CancelToken* cancel, std::chrono::milliseconds idle_timeout) {
  const Status cancelled(StatusCode::kUnavailable, "cancelled");
  if (cancel != nullptr && cancel->cancelled()) return cancelled;  // never sent
  limiter_.Wait();
  if (options_.observer != nullptr) options_.observer->OnSend(request.method, request.target);
  const auto started = std::chrono::steady_clock::now();
  int observed_code = 0;
  auto observe = [&]() {
    if (options_.observer != nullptr) {
      options_.observer->OnRequest(request.method, observed_code, std::chrono::steady_clock::now() - started);
    }
  };
  const std::string what = request.method + " " + request.target;
  // Every request told to OnSend is told to OnRequest too, however it ends.
  auto auth = AuthorizationHeader();
  if (!auth.ok()) {
    observe();
    return auth.status();
  }
  auto connected = Connect();
  if (!connected.ok()) {
    observe();
    return connected.status().WithContext(what);
  }
  std::unique_ptr<Connection> c = std::move(*connected);
  if (cancel != nullptr) {
    Connection* raw = c.get();
    const bool armed = cancel->SetInterrupt([raw] {
      asio::post(raw->ioc, [raw] {
        beast::error_code ignored;
        raw->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
        raw->tcp().cancel();
      });
    });
    if (!armed) {
      observe();
      return cancelled;
    }
  }
  struct Disarm {
    CancelToken* token;
    ~Disarm() {
      if (token != nullptr) token->ClearInterrupt();
    }
  } disarm{cancel};

  bhttp::request<bhttp::empty_body> req{bhttp::string_to_verb(request.method), config_.base_path + request.target, 11};
  req.set(bhttp::field::host, config_.host);
  req.set(bhttp::field::user_agent, config_.user_agent);
  req.set(bhttp::field::accept, request.accept);
  if (!auth->empty()) req.set(bhttp::field::authorization, *auth);
  req.keep_alive(false);

  auto fail = [&](const beast::error_code& ec, const char* step) -> ApiStatus {
    observe();
    if (cancel != nullptr && cancel->cancelled()) return cancelled;
    if (ec == beast::error::timeout) return DeadlineExceededError(what + ": " + step + " timed out");
    return UnavailableError(what + ": " + step + ": " + ec.message());
  };

  c->tcp().expires_after(config_.request_timeout);
  beast::error_code ec = RunOp(c->ioc, [&](auto handler) { bhttp::async_write(c->stream, req, std::move(handler)); });
  if (ec) return fail(ec, "sending the request");
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  ec = RunOp(c->ioc, [&](auto handler) { bhttp::async_read_header(c->stream, c->buffer, parser, std::move(handler)); });
  if (ec) return fail(ec, "reading the response header");
  observed_code = static_cast<int>(parser.get().result_int());

  std::array<char, 64 * 1024> chunk{};
  std::string error_body;
  bool stop = false;
  while (!parser.is_done() && !stop) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    c->tcp().expires_after(idle_timeout);
    // read_some returns as soon as some body bytes (one event) arrived.
    ec = RunOp(c->ioc, [&](auto handler) { bhttp::async_read_some(c->stream, c->buffer, parser, std::move(handler)); });
    const std::size_t n = chunk.size() - parser.get().body().size;
    if (n > 0) {
      if (observed_code != 200) {
        if (error_body.size() < 1 << 20) error_body.append(chunk.data(), n);
      } else if (!on_data(std::string_view(chunk.data(), n))) {
        stop = true;
      }
    }
    if (ec == bhttp::error::need_buffer) continue;
    if (ec) {
      if (observed_code == 200 && (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) &&
          (cancel == nullptr || !cancel->cancelled())) {
        break;  // the server went away mid-stream; the caller reconnects from its last resourceVersion
      }
      return fail(ec, "reading the response body");
    }
  }
  observe();
  if (cancel != nullptr && cancel->cancelled()) return cancelled;
  if (observed_code != 200) {
    return ApiError::FromResponse(observed_code, error_body, std::string(parser.get()[bhttp::field::retry_after]),
                                  what);
  }
  return std::monostate{};
}

}  // namespace oncoatlas::kube
