// One HTTP(S) GET with Boost.Beast, for probes: a URL, extra headers, a
// deadline for the whole exchange. HTTPS verifies the server's chain (system
// trust store plus optional extra CA PEM) and its host name or IP address;
// verification cannot be turned off. Responses are read up to 1 MiB.
// Stateless; safe to call from several threads.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace oncoatlas::agent {

struct HttpUrl {
  bool tls = false;
  std::string host;    // without brackets
  std::string port;    // "80" / "443" when the URL has none
  std::string target;  // path and query, at least "/"
};

// "http://host[:port][/path][?query]" or https; anything else is an error.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpGetOptions {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string extra_ca_pem;  // trusted besides the system's CAs (https only)
  std::chrono::milliseconds timeout{10000};
};

struct HttpGetResponse {
  int status = 0;
  std::string body;
};

// An error (Unavailable / DeadlineExceeded) only when no HTTP response came
// back; its message says which step failed (resolve, connect, TLS, read).
Result<HttpGetResponse> HttpGet(const HttpUrl& url, const HttpGetOptions& options);

}  // namespace oncoatlas::agent
