#include "dicomweb/http_client.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <type_traits>

namespace oncoatlas::dicomweb {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// The token in `path`, without surrounding white space; the error names the
// file, never its content.
Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read the bearer token file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  token.erase(token.begin(), std::find_if_not(token.begin(), token.end(), space));
  token.erase(std::find_if_not(token.rbegin(), token.rend(), space).base(), token.end());
  if (token.empty()) return InvalidArgumentError("the bearer token file " + path + " is empty");
  if (std::any_of(token.begin(), token.end(), [](unsigned char c) { return c < 0x21 || c > 0x7E; })) {
    return InvalidArgumentError("the bearer token file " + path +
                                " holds white space or control characters inside the token; write the token alone");
  }
  return token;
}

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

// Runs one asynchronous operation on `ioc` to completion.
template <class Start>
beast::error_code RunOp(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

class BeastHttpClient : public HttpClient {
 public:
  BeastHttpClient(BaseUrl base, HttpClientOptions options, std::shared_ptr<ssl::context> tls)
      : base_(std::move(base)), options_(std::move(options)), tls_(std::move(tls)) {
    if (!options_.username.empty()) {
      authorization_ = "Basic " + Base64(options_.username + ":" + options_.password);
    }
  }

  const BaseUrl& base() const override { return base_; }

  Result<HttpReply> Send(const std::string& method, const std::string& target, const std::string& accept,
                         const std::string& content_type, const std::string& body) const override {
    http::verb verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) return InvalidArgumentError("unknown HTTP method " + method);
    if (target.empty() || target[0] != '/') return InvalidArgumentError("HTTP target must start with '/'");
    const std::string where = method + " " + base_.ToString() + target;

    http::request<http::string_body> req{verb, base_.path + target, 11};
    req.set(http::field::host, base_.host + ":" + base_.port);
    req.set(http::field::user_agent, "oncoatlas-agent");
    if (!accept.empty()) req.set(http::field::accept, accept);
    if (!options_.bearer_token_file.empty()) {
      auto token = ReadToken(options_.bearer_token_file);
      if (!token.ok()) return UnavailableError(where + ": " + token.status().message());
      req.set(http::field::authorization, "Bearer " + *token);
    } else if (!authorization_.empty()) {
      req.set(http::field::authorization, authorization_);
    }
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.keep_alive(false);
    req.body() = body;
    req.prepare_payload();

    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    beast::error_code ec = RunOp(ioc, [&](auto handler) {
      resolver.async_resolve(base_.host, base_.port,
                             [&endpoints, handler](beast::error_code e, tcp::resolver::results_type r) mutable {
                               endpoints = std::move(r);
                               handler(e);
                             });
    });
    if (ec) return UnavailableError(where + ": cannot resolve " + base_.host + ": " + ec.message());

    if (!base_.tls) {
      beast::tcp_stream stream(ioc);
      return Exchange(ioc, stream, stream, endpoints, req, where);
    }
    ssl::stream<beast::tcp_stream> stream(ioc, *tls_);
    SSL* ssl_handle = stream.native_handle();
    beast::error_code addr_ec;
    asio::ip::make_address(base_.host, addr_ec);
    if (addr_ec) {  // a DNS name: SNI, and verify the certificate names it
      // SSL_set_tlsext_host_name() is a macro with an old-style cast; this is what it expands to.
      if (SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   static_cast<void*>(const_cast<char*>(base_.host.c_str()))) != 1 ||
          SSL_set1_host(ssl_handle, base_.host.c_str()) != 1) {
        return InternalError(where + ": cannot set the TLS host name to verify");
      }
    } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), base_.host.c_str()) != 1) {
      return InternalError(where + ": cannot set the TLS IP address to verify");
    }
    return Exchange(ioc, stream, beast::get_lowest_layer(stream), endpoints, req, where);
  }

 private:
  template <class Stream>
  Result<HttpReply> Exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp_layer,
                             const tcp::resolver::results_type& endpoints, http::request<http::string_body>& req,
                             const std::string& where) const {
    tcp_layer.expires_after(options_.timeout);
    beast::error_code ec = RunOp(ioc, [&](auto handler) { tcp_layer.async_connect(endpoints, handler); });
    if (ec) return UnavailableError(where + ": cannot connect: " + ec.message());
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      tcp_layer.expires_after(options_.timeout);
      ec = RunOp(ioc, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); });
      if (ec) {
        std::string detail = ec.message();
        long verify = SSL_get_verify_result(stream.native_handle());
        if (verify != X509_V_OK) detail += ": " + std::string(X509_verify_cert_error_string(verify));
        return UnavailableError(where + ": TLS handshake failed: " + detail +
                                " (check the server certificate and the CA bundle)");
      }
    }
    tcp_layer.expires_after(options_.timeout);
    ec = RunOp(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
    if (ec) return UnavailableError(where + ": sending the request failed: " + ec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    tcp_layer.expires_after(options_.timeout);
    ec = RunOp(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
    if (ec == http::error::body_limit) {
      return UnavailableError(where + ": the response is larger than " + std::to_string(options_.max_response_bytes) +
                              " bytes");
    }
    if (ec) return UnavailableError(where + ": reading the response failed: " + ec.message());
    auto& res = parser.get();
    HttpReply reply;
    reply.status = static_cast<int>(res.result_int());
    reply.content_type = std::string(res[http::field::content_type]);
    reply.body = std::move(res.body());
    beast::error_code ignored;
    tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return reply;
  }

  BaseUrl base_;
  HttpClientOptions options_;
  std::shared_ptr<ssl::context> tls_;
  std::string authorization_;
};

}  // namespace

Result<BaseUrl> BaseUrl::Parse(const std::string& url) {
  // A URL with user information is not echoed: it may hold a password.
  const bool has_userinfo = url.find('@') != std::string::npos;
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError((has_userinfo ? std::string("the URL") : "URL '" + url + "'") + " " + why +
                                "; use http[s]://host[:port][/path]");
  };
  BaseUrl b;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    b.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return bad("does not start with http:// or https://");
  }
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  b.path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!b.path.empty() && b.path.back() == '/') b.path.pop_back();
  if (authority.find('@') != std::string::npos) return bad("carries credentials (give them separately)");
  if (b.path.find_first_of("?# ") != std::string::npos) return bad("has a query, fragment or space");
  std::string host = authority;
  if (!authority.empty() && authority[0] == '[') {  // IPv6 literal
    auto close = authority.find(']');
    if (close == std::string::npos) return bad("has an unclosed IPv6 address");
    host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("has text after the IPv6 address");
      b.port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string::npos) {
      host = authority.substr(0, colon);
      b.port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return bad("has no host");
  b.host = host;
  if (b.port.empty()) b.port = b.tls ? "443" : "80";
  if (!std::all_of(b.port.begin(), b.port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      b.port.size() > 5 || std::stoi(b.port) == 0 || std::stoi(b.port) > 65535) {
    return bad("has an invalid port");
  }
  return b;
}

std::string BaseUrl::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "https://" : "http://") + h + ":" + port + path;
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const std::string& base_url, HttpClientOptions options) {
  auto base = BaseUrl::Parse(base_url);
  if (!base.ok()) return base.status();
  if (!options.username.empty() && !options.bearer_token_file.empty()) {
    return InvalidArgumentError("both a user name and a bearer token file were given; use one of them");
  }
  std::shared_ptr<ssl::context> tls;
  if (base->tls) {
    tls = std::make_shared<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (options.ca_file.empty()) {
      tls->set_default_verify_paths(ec);
    } else {
      tls->load_verify_file(options.ca_file, ec);
    }
    if (ec) {
      return InvalidArgumentError("cannot load the CA bundle " +
                                  (options.ca_file.empty() ? std::string("of the system") : options.ca_file) + ": " +
                                  ec.message());
    }
  } else if ((!options.username.empty() || !options.bearer_token_file.empty()) && base->host != "127.0.0.1" &&
             base->host != "localhost" && base->host != "::1") {
    return InvalidArgumentError("refusing to send credentials over plain http to " + base->host +
                                "; use https:// (plain http is allowed on loopback only)");
  }
  return std::unique_ptr<HttpClient>(new BeastHttpClient(std::move(*base), std::move(options), std::move(tls)));
}

std::string UrlEncode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace oncoatlas::dicomweb
