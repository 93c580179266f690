#include "dicomweb/multipart.h"

#include <algorithm>
#include <cctype>

namespace oncoatlas::dicomweb {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

// Position just after the line end at or after `pos` (CRLF or LF), or npos.
std::size_t AfterLineEnd(std::string_view body, std::size_t pos) {
  std::size_t lf = body.find('\n', pos);
  return lf == std::string_view::npos ? lf : lf + 1;
}

}  // namespace

Result<std::map<std::string, std::string>> ParseContentType(const std::string& content_type) {
  std::map<std::string, std::string> out;
  std::size_t i = content_type.find(';');
  out[""] = Lower(Trim(std::string_view(content_type).substr(0, i)));
  if (out[""].empty()) return InvalidArgumentError("empty Content-Type");
  while (i != std::string::npos && i < content_type.size()) {
    ++i;  // past ';'
    while (i < content_type.size() && (content_type[i] == ' ' || content_type[i] == '\t')) ++i;
    std::size_t eq = content_type.find('=', i);
    if (eq == std::string::npos) {
      if (!Trim(std::string_view(content_type).substr(i)).empty()) {
        return InvalidArgumentError("Content-Type parameter without '=' in '" + content_type + "'");
      }
      break;
    }
    std::string name = Lower(Trim(std::string_view(content_type).substr(i, eq - i)));
    std::string value;
    i = eq + 1;
    if (i < content_type.size() && content_type[i] == '"') {
      ++i;
      bool closed = false;
      for (; i < content_type.size(); ++i) {
        char c = content_type[i];
        if (c == '\\' && i + 1 < content_type.size()) {
          value.push_back(content_type[++i]);
        } else if (c == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return InvalidArgumentError("unclosed quote in Content-Type '" + content_type + "'");
      i = content_type.find(';', i);
    } else {
      std::size_t end = content_type.find(';', i);
      value = Trim(std::string_view(content_type).substr(i, end == std::string::npos ? std::string::npos : end - i));
      i = end;
    }
    if (name.empty()) return InvalidArgumentError("Content-Type parameter without a name in '" + content_type + "'");
    out[name] = value;
  }
  return out;
}

Result<std::vector<MultipartPart>> ParseMultipart(const std::string& content_type, std::string_view body) {
  auto params = ParseContentType(content_type);
  if (!params.ok()) return params.status();
  if ((*params)[""].rfind("multipart/", 0) != 0) {
    return InvalidArgumentError("expected a multipart answer, got Content-Type '" + content_type + "'");
  }
  auto b = params->find("boundary");
  if (b == params->end() || b->second.empty() || b->second.size() > 200) {
    return InvalidArgumentError("multipart Content-Type '" + content_type + "' has no usable boundary");
  }
  const std::string delimiter = "--" + b->second;

  // The first delimiter: at the very start, or after a line end (preamble).
  std::size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = 0;
  } else {
    pos = body.find("\n" + delimiter);
    if (pos == std::string_view::npos) return InvalidArgumentError("multipart body holds no boundary delimiter");
    ++pos;
  }
  std::vector<MultipartPart> parts;
  while (true) {
    std::size_t after = pos + delimiter.size();
    if (body.substr(after, 2) == "--") return parts;  // closing delimiter; the rest is epilogue
    // Transport padding, then the line end.
    std::size_t line_end = AfterLineEnd(body, after);
    if (line_end == std::string_view::npos || !Trim(body.substr(after, line_end - after - 1)).empty()) {
      return InvalidArgumentError("malformed multipart delimiter line (truncated body?)");
    }
    // Headers up to an empty line.
    MultipartPart part;
    std::size_t p = line_end;
    while (true) {
      std::size_t e = AfterLineEnd(body, p);
      if (e == std::string_view::npos) return InvalidArgumentError("multipart part headers are not terminated");
      std::string line = Trim(body.substr(p, e - p - 1));
      p = e;
      if (line.empty()) break;
      auto colon = line.find(':');
      if (colon == std::string::npos) return InvalidArgumentError("multipart part header without ':'");
      part.headers[Lower(Trim(std::string_view(line).substr(0, colon)))] =
          Trim(std::string_view(line).substr(colon + 1));
    }
    // Content up to the next delimiter, which follows a line end that belongs to it.
    std::size_t next = body.find("\n" + delimiter, p > 0 ? p - 1 : 0);
    if (next == std::string_view::npos || next + 1 < p) {
      return InvalidArgumentError("multipart body ends without its closing boundary (truncated)");
    }
    std::size_t content_end = next;
    if (content_end > p && body[content_end - 1] == '\r') --content_end;
    part.body = content_end > p ? std::string(body.substr(p, content_end - p)) : std::string();
    parts.push_back(std::move(part));
    pos = next + 1;
  }
}

std::string ChooseBoundary(const std::vector<std::string_view>& parts) {
  for (unsigned long n = 0;; ++n) {
    std::string candidate = "oncoatlas-boundary-" + std::to_string(0x5eed0000ul + n * 7919ul);
    bool clash = std::any_of(parts.begin(), parts.end(),
                             [&](std::string_view p) { return p.find(candidate) != std::string_view::npos; });
    if (!clash) return candidate;
  }
}

std::string MakeMultipart(const std::string& boundary, const std::string& part_type,
                          const std::vector<std::string_view>& parts) {
  std::size_t size = 0;
  for (auto p : parts) size += p.size() + boundary.size() + part_type.size() + 32;
  std::string out;
  out.reserve(size + boundary.size() + 8);
  for (auto p : parts) {
    out += "--" + boundary + "\r\nContent-Type: " + part_type + "\r\n\r\n";
    out.append(p.data(), p.size());
    out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace oncoatlas::dicomweb
