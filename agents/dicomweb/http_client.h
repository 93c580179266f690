// A small HTTP/1.1 client for DICOMweb (QIDO-RS, WADO-RS, STOW-RS) over
// Boost.Beast: http and https (OpenSSL, verification of the chain and of the
// host name or IP address always on), Basic or Bearer authentication, one
// timeout for each request. One connection per request.
//
// An HttpClient is immutable after Create(); Send() may be called from several
// threads at once. Credentials never appear in errors or logs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace oncoatlas::dicomweb {

struct HttpClientOptions {
  std::string username;  // Basic authentication when not empty
  std::string password;
  // Bearer authentication when not empty: the token is read from this file
  // for every request, so a token a mounted Secret rotates is picked up
  // without a restart. Not with `username`.
  std::string bearer_token_file;
  std::string ca_file;  // PEM bundle to verify https servers; empty: the system's
  std::chrono::seconds timeout{120};
  std::uint64_t max_response_bytes = std::uint64_t{2} << 30;
};

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// "http[s]://host[:port][/base/path]" split into its parts.
struct BaseUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // without a trailing slash; may be empty

  // Fails with a message naming the URL and the accepted form.
  static Result<BaseUrl> Parse(const std::string& url);
  std::string ToString() const;
};

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Create(const std::string& base_url, HttpClientOptions options);
  virtual ~HttpClient() = default;

  // Sends METHOD base-path + `target` (a path starting with '/', with its
  // query). A reply with any status is a result; failing to get one (DNS, TCP,
  // TLS, timeout, oversized or malformed response) is an Unavailable error.
  virtual Result<HttpReply> Send(const std::string& method, const std::string& target, const std::string& accept,
                                 const std::string& content_type = {}, const std::string& body = {}) const = 0;
  virtual const BaseUrl& base() const = 0;
};

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string UrlEncode(const std::string& value);

}  // namespace oncoatlas::dicomweb
