#include "http/url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace oncoatlas::http {

Result<Url> Url::Parse(std::string_view url) {
  const bool has_userinfo = url.find('@') != std::string_view::npos;
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError((has_userinfo ? std::string("the URL") : "URL \"" + std::string(url) + "\"") + " " +
                                why + "; use http[s]://host[:port][/path], e.g. https://pacs.example.org/dicom-web");
  };
  Url u;
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return bad("does not start with http:// or https://");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  if (authority.find('@') != std::string_view::npos)
    return bad("carries user information; give credentials separately");
  if (url.find_first_of("?# ") != std::string_view::npos) return bad("has a query, fragment or space");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed IPv6 address");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has text after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return bad("has no host");
  if (port.empty() && authority.back() != ':') {
    u.port = u.tls ? "443" : "80";
  } else {
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return bad("has an invalid port (give 1-65535)");
    }
    u.port = std::string(port);
  }
  return u;
}

std::string Url::Origin() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "http://") + h + ":" + port;
}

std::string Url::ToString() const { return Origin() + path; }

bool IsLoopbackHost(std::string_view host) {
  std::string h(host);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (h == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, h.c_str(), &v6) == 1 && std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
}

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace oncoatlas::http
