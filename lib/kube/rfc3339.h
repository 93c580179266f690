// RFC 3339 timestamps as Kubernetes writes them: metav1.Time
// ("2006-01-02T15:04:05Z", UTC, whole seconds) and metav1.MicroTime
// ("2006-01-02T15:04:05.000000Z"), on one parser. Pure functions; safe from
// any thread; malformed input is an error or nullopt, never a throw.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace oncoatlas::kube {

// Any RFC 3339 date-time: "2006-01-02T15:04:05", an optional fraction (kept
// to microseconds), then "Z" or a "+hh:mm"/"-hh:mm" offset. The error names
// the text and the expected form.
Result<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

// metav1.Time: "2006-01-02T15:04:05Z" (UTC; finer parts are dropped).
std::string FormatTime(std::chrono::system_clock::time_point t);
// metav1.Time as users write it in specs: any RFC 3339 date-time, the
// fraction dropped (whole seconds); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseTime(std::string_view text);

// metav1.MicroTime: "2006-01-02T15:04:05.000000Z" (UTC, microseconds).
std::string FormatMicroTime(std::chrono::system_clock::time_point t);
// metav1.MicroTime as the API server writes it: UTC ("Z") only.
Result<std::chrono::system_clock::time_point> ParseMicroTime(std::string_view text);

}  // namespace oncoatlas::kube
