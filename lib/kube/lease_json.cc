#include "kube/lease_json.h"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace oncoatlas::kube {

namespace {

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::string FormatMicroTime(std::chrono::system_clock::time_point t) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  long long secs = micros / 1000000;
  long long frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char tail[16];
  std::snprintf(tail, sizeof(tail), ".%06lldZ", frac);
  return std::string(buf, n) + tail;
}

Result<std::chrono::system_clock::time_point> ParseMicroTime(std::string_view s) {
  const auto bad = [&] {
    return InvalidArgumentError("time \"" + std::string(s) +
                                "\" is not RFC 3339 in UTC (expected e.g. 2026-01-02T03:04:05.000000Z)");
  };
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 20 || !Digits(s, 0, 4, year) || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
      !Digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, hour) || s[13] != ':' ||
      !Digits(s, 14, 2, minute) || s[16] != ':' || !Digits(s, 17, 2, second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad();
  std::size_t pos = 19;
  long long micros = 0;
  if (s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (; digits < 6; ++digits) micros *= 10;
  }
  if (pos + 1 != s.size() || (s[pos] != 'Z' && s[pos] != 'z')) return bad();
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t secs = timegm(&tm);
  return std::chrono::system_clock::time_point(std::chrono::seconds(secs) + std::chrono::microseconds(micros));
}

nlohmann::json LeaseToJson(const LeaseRecord& r, std::string_view name, std::string_view ns) {
  nlohmann::json spec = {{"holderIdentity", r.holder_identity},
                         {"leaseDurationSeconds", r.lease_duration_seconds},
                         {"leaseTransitions", r.lease_transitions}};
  if (r.acquire_time) spec["acquireTime"] = FormatMicroTime(*r.acquire_time);
  if (r.renew_time) spec["renewTime"] = FormatMicroTime(*r.renew_time);
  nlohmann::json metadata = {{"name", std::string(name)}, {"namespace", std::string(ns)}};
  if (!r.resource_version.empty()) metadata["resourceVersion"] = r.resource_version;
  return {{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"}, {"metadata", metadata}, {"spec", spec}};
}

Result<LeaseRecord> LeaseFromJson(const nlohmann::json& lease) {
  if (!lease.is_object()) return InvalidArgumentError("a Lease must be a JSON object");
  LeaseRecord r;
  auto metadata = lease.find("metadata");
  if (metadata != lease.end() && metadata->is_object()) {
    auto rv = metadata->find("resourceVersion");
    if (rv != metadata->end() && rv->is_string()) r.resource_version = rv->get<std::string>();
  }
  auto spec = lease.find("spec");
  if (spec == lease.end() || spec->is_null()) return r;  // an empty Lease: nobody holds it
  if (!spec->is_object()) return InvalidArgumentError("Lease spec must be an object");
  const auto field = [&](const char* key) -> const nlohmann::json* {
    auto it = spec->find(key);
    return it == spec->end() || it->is_null() ? nullptr : &*it;
  };
  if (const auto* v = field("holderIdentity")) {
    if (!v->is_string()) return InvalidArgumentError("Lease spec.holderIdentity must be a string");
    r.holder_identity = v->get<std::string>();
  }
  for (auto [key, out] : {std::pair{"leaseDurationSeconds", &r.lease_duration_seconds},
                          std::pair{"leaseTransitions", &r.lease_transitions}}) {
    if (const auto* v = field(key)) {
      if (!v->is_number_integer())
        return InvalidArgumentError(std::string("Lease spec.") + key + " must be an integer");
      *out = v->get<int>();
    }
  }
  for (auto [key, out] : {std::pair{"acquireTime", &r.acquire_time}, std::pair{"renewTime", &r.renew_time}}) {
    if (const auto* v = field(key)) {
      if (!v->is_string()) return InvalidArgumentError(std::string("Lease spec.") + key + " must be a string");
      auto t = ParseMicroTime(v->get<std::string>());
      if (!t.ok()) return t.status().WithContext(std::string("Lease spec.") + key);
      *out = *t;
    }
  }
  return r;
}

}  // namespace oncoatlas::kube
