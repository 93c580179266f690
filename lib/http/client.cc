#include "http/client.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include <boost/beast/http.hpp>

#include "core/base64.h"
#include "http/tls.h"

namespace oncoatlas::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

// The content of `path`; nullopt when it does not exist. The error names the
// file, never its content.
Result<std::optional<std::string>> ReadOptionalFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError("cannot read " + path + "; check the mounted Secret's permissions");
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::optional<std::string>(ss.str());
}

// The token in `path` without surrounding white space.
Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return UnavailableError("cannot read the bearer token file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  token.erase(token.begin(), std::find_if_not(token.begin(), token.end(), space));
  token.erase(std::find_if_not(token.rbegin(), token.rend(), space).base(), token.end());
  if (token.empty()) return UnavailableError("the bearer token file " + path + " is empty");
  if (std::any_of(token.begin(), token.end(), [](unsigned char c) { return c < 0x21 || c > 0x7E; })) {
    return UnavailableError("the bearer token file " + path +
                            " holds white space or control characters inside the token; write the token alone");
  }
  return token;
}

template <class Stream>
Result<Reply> Exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp,
                       const bhttp::request<bhttp::string_body>& req, Deadline deadline, std::uint64_t max_bytes,
                       const std::string& where) {
  tcp.expires_at(deadline);
  beast::error_code ec = RunOp(ioc, [&](auto handler) { bhttp::async_write(stream, req, std::move(handler)); });
  if (ec == beast::error::timeout) return DeadlineExceededError("sending the request to " + where + " timed out");
  if (ec) return UnavailableError("sending the request to " + where + " failed: " + ec.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_bytes);
  // The header first: Boost 1.74's eager parse misses the limit on a
  // Content-Length that arrives with the start of its body.
  ec = RunOp(ioc, [&](auto handler) { bhttp::async_read_header(stream, buffer, parser, std::move(handler)); });
  if (!ec && parser.content_length().value_or(0) > max_bytes) ec = bhttp::error::body_limit;
  if (!ec) ec = RunOp(ioc, [&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
  if (!ec && parser.get().body().size() > max_bytes) ec = bhttp::error::body_limit;
  if (ec == bhttp::error::body_limit) {
    return UnavailableError("the answer of " + where + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (ec == beast::error::timeout) return DeadlineExceededError("waiting for the answer of " + where + " timed out");
  if (ec) return UnavailableError("reading the answer of " + where + " failed: " + ec.message());
  auto& res = parser.get();
  Reply reply;
  reply.status = static_cast<int>(res.result_int());
  reply.content_type = std::string(res[bhttp::field::content_type]);
  reply.location = std::string(res[bhttp::field::location]);
  reply.body = std::move(res.body());
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return reply;
}

}  // namespace

Result<ClientOptions> ReadCredentialsFolder(const std::string& dir) {
  ClientOptions options;
  if (dir.empty()) return options;
  auto user = ReadOptionalFile(dir + "/username");
  auto password = ReadOptionalFile(dir + "/password");
  for (const auto* r : {&user, &password}) {
    if (!r->ok()) return r->status();
  }
  if (user->has_value() != password->has_value()) {
    const std::string missing = user->has_value() ? "password" : "username";
    return InvalidArgumentError(dir + " holds only one of username and password: " + dir + "/" + missing +
                                " is missing; add the `" + missing + "` key to the Secret, or remove the other");
  }
  if (user->has_value()) {
    for (auto* v : {&**user, &**password}) {
      while (!v->empty() && (v->back() == '\n' || v->back() == '\r')) v->pop_back();
    }
    options.credentials.username = std::move(**user);
    options.credentials.password = std::move(**password);
  } else if (std::error_code ec; std::filesystem::exists(dir + "/token", ec)) {
    options.credentials.bearer_token_file = dir + "/token";
  }
  if (std::error_code ec; std::filesystem::exists(dir + "/ca.crt", ec)) options.ca_file = dir + "/ca.crt";
  return options;
}

Client::Client(Url base, ClientOptions options, std::shared_ptr<asio::ssl::context> tls)
    : base_(std::move(base)), options_(std::move(options)), tls_(std::move(tls)) {}

Result<Client> Client::Create(std::string_view base_url, ClientOptions options) {
  auto base = Url::Parse(base_url);
  if (!base.ok()) return base.status();
  const Credentials& c = options.credentials;
  if (!c.username.empty() && !c.bearer_token_file.empty()) {
    return InvalidArgumentError("both a user name and a bearer token file were given for " + base->Origin() +
                                "; use one of them");
  }
  if (!base->tls && !c.empty() && !IsLoopbackHost(base->host)) {
    return InvalidArgumentError("refusing to send credentials over plain http to " + base->ToString() +
                                "; use https:// (plain http is allowed to a loopback host only)");
  }
  std::shared_ptr<asio::ssl::context> tls;
  if (base->tls) {
    TlsOptions tls_options;
    tls_options.ca_file = options.ca_file;
    auto ctx = MakeTlsContext(tls_options);
    if (!ctx.ok()) return ctx.status().WithContext(base->Origin());
    tls = std::move(*ctx);
  }
  return Client(std::move(*base), std::move(options), std::move(tls));
}

Result<Reply> Client::Send(const std::string& method, const std::string& target, const std::string& accept,
                           const std::string& content_type, const std::string& body) const {
  const bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) return InvalidArgumentError("unknown HTTP method " + method);
  if (target.empty() || target[0] != '/') return InvalidArgumentError("HTTP target must start with '/'");
  const std::string where = base_.Origin();
  bhttp::request<bhttp::string_body> req{verb, base_.path + target, 11};
  req.set(bhttp::field::host, where.substr(where.find("//") + 2));
  req.set(bhttp::field::user_agent, "oncoatlas");
  if (!accept.empty()) req.set(bhttp::field::accept, accept);
  const Credentials& c = options_.credentials;
  if (!c.bearer_token_file.empty()) {
    auto token = ReadToken(c.bearer_token_file);
    if (!token.ok()) return token.status();
    req.set(bhttp::field::authorization, "Bearer " + *token);
  } else if (!c.username.empty()) {
    req.set(bhttp::field::authorization, "Basic " + EncodeBase64(c.username + ":" + c.password));
  }
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();

  const Deadline deadline = std::chrono::steady_clock::now() + options_.timeout;
  asio::io_context ioc;
  if (!tls_) {
    beast::tcp_stream stream(ioc);
    ONCOATLAS_RETURN_IF_ERROR(Connect(ioc, stream, base_.host, base_.port, deadline, where));
    return Exchange(ioc, stream, stream, req, deadline, options_.max_response_bytes, where);
  }
  TlsStream stream(ioc, *tls_);
  ONCOATLAS_RETURN_IF_ERROR(Connect(ioc, beast::get_lowest_layer(stream), base_.host, base_.port, deadline, where));
  ONCOATLAS_RETURN_IF_ERROR(Handshake(ioc, stream, base_.host, deadline, where));
  return Exchange(ioc, stream, beast::get_lowest_layer(stream), req, deadline, options_.max_response_bytes, where);
}

}  // namespace oncoatlas::http
