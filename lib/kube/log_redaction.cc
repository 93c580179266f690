#include "kube/log_redaction.h"

#include <array>
#include <cctype>

#include "core/base64.h"

namespace oncoatlas::kube {

namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsBase64Url(char c) { return IsAlnum(c) || c == '-' || c == '_'; }
bool IsBase64(char c) { return IsAlnum(c) || c == '+' || c == '/' || c == '='; }
bool IsKeyChar(char c) { return IsAlnum(c) || c == '_' || c == '-' || c == '.'; }

bool StartsWithAt(std::string_view s, std::size_t pos, std::string_view prefix) {
  return s.size() >= pos + prefix.size() && s.compare(pos, prefix.size(), prefix) == 0;
}

bool StartsWithAtIgnoreCase(std::string_view s, std::size_t pos, std::string_view lower_prefix) {
  if (s.size() < pos + lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if (Lower(s[pos + i]) != lower_prefix[i]) return false;
  }
  return true;
}

// "-----BEGIN X-----...-----END X-----" → "[REDACTED]"; an unterminated block
// is redacted to the end of the text.
std::string RedactPem(std::string_view s) {
  std::string out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t begin = s.find("-----BEGIN", pos);
    if (begin == std::string_view::npos) break;
    out.append(s.substr(pos, begin - pos));
    out += kRedacted;
    std::size_t end = s.find("-----END", begin + 10);
    if (end != std::string_view::npos) end = s.find("-----", end + 8);
    if (end == std::string_view::npos) return out;
    pos = end + 5;
  }
  out.append(s.substr(pos));
  return out;
}

// Base64 of "-----BEGIN" (kubeconfig client-key-data and the like).
std::string RedactBase64Pem(std::string_view s) {
  static constexpr std::string_view kMarker = "LS0tLS1CRUdJTi";
  std::string out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t begin = s.find(kMarker, pos);
    if (begin == std::string_view::npos) break;
    out.append(s.substr(pos, begin - pos));
    out += kRedacted;
    std::size_t end = begin;
    while (end < s.size() && IsBase64(s[end])) ++end;
    pos = end;
  }
  out.append(s.substr(pos));
  return out;
}

// header.payload.signature with a JSON header ("eyJ" is base64url of "{\"").
std::string RedactJwts(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (StartsWithAt(s, i, "eyJ") && (i == 0 || !IsBase64Url(s[i - 1]))) {
      std::size_t j = i;
      int dots = 0;
      while (j < s.size() && (IsBase64Url(s[j]) || (s[j] == '.' && dots < 2))) {
        if (s[j] == '.') ++dots;
        ++j;
      }
      if (dots == 2) {
        out += kRedacted;
        i = j;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// Whether `s` is base64 whose decoded bytes contain a ':'.
bool IsBase64UserPassword(std::string_view s) {
  auto decoded = DecodeBase64(s.substr(0, s.find('=')));
  return decoded.ok() && decoded->find(':') != std::string::npos;
}

bool EndsCredential(char c) {
  return IsSpace(c) || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == ',' || c == ';' || c == '\\';
}

// "Bearer <credential>" and "Basic <credential>", any case.
std::string RedactAuthSchemes(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t scheme_len = 0;
    bool basic = false;
    if (i == 0 || !IsAlnum(s[i - 1])) {
      if (StartsWithAtIgnoreCase(s, i, "bearer")) {
        scheme_len = 6;
      } else if (StartsWithAtIgnoreCase(s, i, "basic")) {
        scheme_len = 5;
        basic = true;
      }
    }
    if (scheme_len > 0) {
      std::size_t j = i + scheme_len;
      std::size_t k = j;
      while (k < s.size() && IsSpace(s[k])) ++k;
      std::size_t e = k;
      while (e < s.size() && !EndsCredential(s[e])) ++e;
      bool credential = k > j && e > k;
      // Only base64 of "user:password", so that prose such as "basic checks" stays.
      if (credential && basic) credential = IsBase64UserPassword(s.substr(k, e - k));
      if (credential && s.substr(k, e - k) != kRedacted) {
        out.append(s.substr(i, k - i));
        out += kRedacted;
        i = e;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

bool ContainsIgnoreCase(std::string_view s, std::string_view lower_word) {
  for (std::size_t i = 0; i + lower_word.size() <= s.size(); ++i) {
    if (StartsWithAtIgnoreCase(s, i, lower_word)) return true;
  }
  return false;
}

bool IsSensitiveKey(std::string_view key) {
  static constexpr std::array<std::string_view, 10> kWords = {
      "token",      "password",    "passwd", "secret",  "authorization",
      "credential", "private-key", "apikey", "api-key", "client-key",
  };
  std::string lower;
  for (char c : key) lower += c == '_' ? '-' : Lower(c);
  for (std::string_view w : kWords) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return lower.find("privatekey") != std::string::npos;
}

// key: value, key=value, "key": "value", key='value', \"key\":\"value\" where
// the key names a secret. Authorization values run to the end of the line.
std::string RedactSensitiveFields(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!IsKeyChar(s[i]) || (i > 0 && IsKeyChar(s[i - 1]))) {
      out += s[i++];
      continue;
    }
    std::size_t key_end = i;
    while (key_end < s.size() && IsKeyChar(s[key_end])) ++key_end;
    const std::string_view key = s.substr(i, key_end - i);
    out.append(key);
    i = key_end;
    if (!IsSensitiveKey(key)) continue;

    std::size_t j = key_end;
    for (int n = 0; n < 3 && j < s.size() && (s[j] == '"' || s[j] == '\'' || s[j] == '\\'); ++n) ++j;
    while (j < s.size() && IsSpace(s[j])) ++j;
    if (j >= s.size() || (s[j] != ':' && s[j] != '=')) continue;
    ++j;
    while (j < s.size() && IsSpace(s[j])) ++j;

    std::size_t value_begin = j;
    std::size_t value_end = j;
    if (StartsWithAt(s, j, "\\\"")) {
      value_begin = j + 2;
      value_end = s.find("\\\"", value_begin);
    } else if (j < s.size() && (s[j] == '"' || s[j] == '\'')) {
      const char quote = s[j];
      value_begin = j + 1;
      value_end = value_begin;
      while (value_end < s.size() && s[value_end] != quote) value_end += s[value_end] == '\\' ? 2 : 1;
      if (value_end > s.size()) value_end = s.size();
    } else if (ContainsIgnoreCase(key, "authorization")) {
      value_end = s.find_first_of("\r\n", j);
    } else {
      while (value_end < s.size() && !EndsCredential(s[value_end]) && s[value_end] != '&' && s[value_end] != '}' &&
             s[value_end] != ']' && s[value_end] != ')')
        ++value_end;
    }
    if (value_end == std::string_view::npos) value_end = s.size();
    if (value_end <= value_begin || s.substr(value_begin, value_end - value_begin) == kRedacted) continue;
    out.append(s.substr(key_end, value_begin - key_end));
    out += kRedacted;
    i = value_end;
  }
  return out;
}

}  // namespace

std::string RedactSecrets(std::string_view text) {
  std::string s = RedactPem(text);
  s = RedactBase64Pem(s);
  s = RedactJwts(s);
  s = RedactAuthSchemes(s);
  return RedactSensitiveFields(s);
}

}  // namespace oncoatlas::kube
