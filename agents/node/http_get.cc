#include "node/http_get.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace oncoatlas::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kBodyLimit = 1 << 20;

// Starts one asynchronous operation and runs the context until it completes;
// the stream's expiry turns a stuck operation into beast::error::timeout.
template <typename Start>
beast::error_code RunOp(asio::io_context& ioc, Start start) {
  std::optional<beast::error_code> result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result.value_or(asio::error::operation_aborted);
}

std::string Where(const HttpUrl& u) {
  const bool v6 = u.host.find(':') != std::string::npos;
  return (u.tls ? "https://" : "http://") + (v6 ? "[" + u.host + "]" : u.host) + ":" + u.port;
}

template <typename Stream>
Result<HttpGetResponse> Exchange(Stream& stream, beast::tcp_stream& raw, asio::io_context& ioc, const HttpUrl& url,
                                 const HttpGetOptions& options, std::chrono::steady_clock::time_point deadline) {
  http::request<http::empty_body> req{http::verb::get, url.target, 11};
  const bool v6 = url.host.find(':') != std::string::npos;
  req.set(http::field::host, (v6 ? "[" + url.host + "]" : url.host) + ":" + url.port);
  req.set(http::field::user_agent, "oncoatlas-agent");
  for (const auto& [name, value] : options.headers) req.set(name, value);
  raw.expires_at(deadline);
  beast::error_code ec = RunOp(ioc, [&](auto handler) { http::async_write(stream, req, std::move(handler)); });
  if (ec == beast::error::timeout) return DeadlineExceededError("sending the request to " + Where(url) + " timed out");
  if (ec) return UnavailableError("sending the request to " + Where(url) + " failed: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  raw.expires_at(deadline);
  ec = RunOp(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  if (ec == http::error::body_limit) {
    // The status line and headers are what a probe needs.
  } else if (ec == beast::error::timeout) {
    return DeadlineExceededError("waiting for the answer of " + Where(url) + " timed out");
  } else if (ec) {
    return UnavailableError("reading the answer of " + Where(url) + " failed: " + ec.message());
  }
  HttpGetResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = parser.get().body();
  return out;
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  const auto bad = [&](const std::string& why) {
    return InvalidArgumentError("URL \"" + std::string(url) + "\" " + why +
                                "; use http(s)://host[:port]/path, e.g. http://pacs:8042/dicom-web");
  };
  HttpUrl u;
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return bad("does not start with http:// or https://");
  }
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.target.empty() && u.target.front() == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string_view::npos)
    return bad("has user information; put credentials in the credentials dir");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed '['");
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("has junk after ']'");
      port = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return bad("has no host");
  if (port.empty()) {
    u.port = u.tls ? "443" : "80";
  } else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return bad("has an invalid port");
    }
    u.port = std::string(port);
  }
  return u;
}

Result<HttpGetResponse> HttpGet(const HttpUrl& url, const HttpGetOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return UnavailableError("cannot resolve " + url.host + ": " + ec.message());

  if (!url.tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_at(deadline);
    ec = RunOp(ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec == beast::error::timeout) return DeadlineExceededError("connecting to " + Where(url) + " timed out");
    if (ec) return UnavailableError("cannot connect to " + Where(url) + ": " + ec.message());
    auto r = Exchange(stream, stream, ioc, url, options, deadline);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return r;
  }

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  ctx.set_default_verify_paths(ec);
  if (!options.extra_ca_pem.empty()) {
    ctx.add_certificate_authority(asio::buffer(options.extra_ca_pem), ec);
    if (ec) return InvalidArgumentError("the extra CA certificate is not valid PEM (" + ec.message() + ")");
  }
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  SSL* ssl = stream.native_handle();
  beast::error_code addr_ec;
  asio::ip::make_address(url.host, addr_ec);
  if (addr_ec) {
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             static_cast<void*>(const_cast<char*>(url.host.c_str())));
    if (SSL_set1_host(ssl, url.host.c_str()) != 1) return InternalError("cannot set the TLS host name to verify");
  } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str()) != 1) {
    return InternalError("cannot set the TLS IP address to verify");
  }
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  lowest.expires_at(deadline);
  ec = RunOp(ioc, [&](auto handler) { lowest.async_connect(endpoints, std::move(handler)); });
  if (ec == beast::error::timeout) return DeadlineExceededError("connecting to " + Where(url) + " timed out");
  if (ec) return UnavailableError("cannot connect to " + Where(url) + ": " + ec.message());
  lowest.expires_at(deadline);
  ec = RunOp(ioc, [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, std::move(handler)); });
  if (ec) {
    std::string detail = ec.message();
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) detail = X509_verify_cert_error_string(verify);
    if (ec == beast::error::timeout) return DeadlineExceededError("TLS handshake with " + Where(url) + " timed out");
    return UnavailableError("TLS handshake with " + Where(url) + " failed: " + detail);
  }
  return Exchange(stream, lowest, ioc, url, options, deadline);
}

}  // namespace oncoatlas::agent
