#include "kube/rfc3339.h"

#include <cstdio>
#include <ctime>

namespace oncoatlas::kube {

namespace {

using TimePoint = std::chrono::system_clock::time_point;

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Whole seconds since the epoch and microseconds within the second.
void Split(TimePoint t, long long& secs, long long& micros) {
  const auto total = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  secs = total / 1000000;
  micros = total % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --secs;
  }
}

std::string FormatSeconds(long long secs) {
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf, n);
}

struct Parsed {
  long long secs = 0;    // since the epoch, UTC
  long long micros = 0;  // within the second
  bool utc = false;      // written with "Z"
};

std::optional<Parsed> Parse(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 20 || !Digits(s, 0, 4, year) || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
      !Digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, hour) || s[13] != ':' ||
      !Digits(s, 14, 2, minute) || s[16] != ':' || !Digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  Parsed p;
  std::size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) p.micros = p.micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 6; ++digits) p.micros *= 10;
  }
  int offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    p.utc = true;
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  p.secs = static_cast<long long>(timegm(&tm)) - offset_seconds;
  return p;
}

TimePoint ToTimePoint(long long secs, long long micros) {
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(secs) + std::chrono::microseconds(micros)));
}

}  // namespace

Result<TimePoint> ParseRfc3339(std::string_view text) {
  auto p = Parse(text);
  if (!p) {
    return InvalidArgumentError("time \"" + std::string(text) +
                                "\" is not RFC 3339 (expected e.g. 2026-01-02T03:04:05Z or 2026-01-02T03:04:05+01:00)");
  }
  return ToTimePoint(p->secs, p->micros);
}

std::string FormatTime(TimePoint t) {
  long long secs = 0, micros = 0;
  Split(t, secs, micros);
  return FormatSeconds(secs) + "Z";
}

std::optional<TimePoint> ParseTime(std::string_view text) {
  auto p = Parse(text);
  if (!p) return std::nullopt;
  return ToTimePoint(p->secs, 0);
}

std::string FormatMicroTime(TimePoint t) {
  long long secs = 0, micros = 0;
  Split(t, secs, micros);
  char tail[16];
  std::snprintf(tail, sizeof(tail), ".%06lldZ", micros);
  return FormatSeconds(secs) + tail;
}

Result<TimePoint> ParseMicroTime(std::string_view text) {
  auto p = Parse(text);
  if (!p || !p->utc) {
    return InvalidArgumentError("time \"" + std::string(text) +
                                "\" is not RFC 3339 in UTC (expected e.g. 2026-01-02T03:04:05.000000Z)");
  }
  return ToTimePoint(p->secs, p->micros);
}

}  // namespace oncoatlas::kube
