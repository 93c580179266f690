// Url: "http[s]://host[:port][/base/path]" split into its parts; the one URL
// parser of the project's HTTP clients (DICOMweb, the PACS check, the
// Kubernetes API server's address). Values and pure functions; safe from any
// thread.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace oncoatlas::http {

struct Url {
  bool tls = false;
  std::string host;  // DNS name or IP address; an IPv6 address without brackets
  std::string port;  // "80" or "443" when the URL names none
  std::string path;  // the base path without a trailing slash; may be empty

  // Fails with a message naming the URL and the accepted form. User
  // information, a query or a fragment is refused; a URL with user
  // information is not quoted (it may hold a password).
  static Result<Url> Parse(std::string_view url);
  // "http[s]://host:port", an IPv6 address in brackets.
  std::string Origin() const;
  // Origin() and the base path.
  std::string ToString() const;
};

// Whether `host` is this machine's loopback: localhost, 127.0.0.0/8 or ::1.
bool IsLoopbackHost(std::string_view host);

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string UrlEncode(std::string_view value);

}  // namespace oncoatlas::http
