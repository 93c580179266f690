// Client: HTTP/1.1 to one server over Boost.Beast, for DICOMweb (QIDO-RS,
// WADO-RS, STOW-RS) and the PACS check. http and https (verification of the
// chain and of the host name or IP address always on), Basic or Bearer
// authentication, one deadline per request, a cap on the response size, one
// connection per request. Redirects are never followed: a 3xx is a reply.
//
// The credential rule: credentials go over https only, or over plain http to
// a loopback host (localhost, 127.0.0.0/8, ::1); Create() refuses anything
// else. Credentials never appear in errors or logs.
//
// A Client is immutable after Create(); Send() may be called from several
// threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/url.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace oncoatlas::http {

struct Credentials {
  std::string username;  // Basic authentication when not empty
  std::string password;
  // Bearer authentication when not empty: the token is read from this file
  // for every request, so a token a mounted Secret rotates is picked up
  // without a restart. Not with `username`.
  std::string bearer_token_file;
  bool empty() const { return username.empty() && bearer_token_file.empty(); }
};

struct ClientOptions {
  Credentials credentials;
  std::string ca_file;  // PEM bundle to verify https servers; empty: the system's
  std::chrono::milliseconds timeout = std::chrono::seconds(120);  // per request, connect to last byte
  std::uint64_t max_response_bytes = std::uint64_t{2} << 30;
};

// The options a mounted credentials folder gives (a Secret's keys as files,
// read now): `username` and `password` (Basic, a trailing newline dropped),
// else `token` (Bearer, read again for every request), and `ca.crt` (the CA
// bundle). An empty `dir`, or a folder with none of these, means no
// credentials; only one of `username` and `password` is an error naming the
// missing file.
Result<ClientOptions> ReadCredentialsFolder(const std::string& dir);

struct Reply {
  int status = 0;
  std::string content_type;
  std::string location;  // of a redirect; "" when absent
  std::string body;
};

class Client {
 public:
  // Fails on a malformed URL, on both kinds of credentials, on credentials
  // against the credential rule, and on an unusable CA bundle.
  static Result<Client> Create(std::string_view base_url, ClientOptions options);

  // Sends METHOD base-path + `target` (a path starting with '/', with its
  // query). A reply with any status is a result; failing to get one (DNS,
  // TCP, TLS, deadline, oversized or malformed response, unreadable token
  // file) is an error naming the server and the step.
  Result<Reply> Send(const std::string& method, const std::string& target, const std::string& accept,
                     const std::string& content_type = {}, const std::string& body = {}) const;

  const Url& base() const { return base_; }

 private:
  Client(Url base, ClientOptions options, std::shared_ptr<boost::asio::ssl::context> tls);

  Url base_;
  ClientOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // https only
};

}  // namespace oncoatlas::http
