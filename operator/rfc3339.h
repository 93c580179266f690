// RFC 3339 timestamps as the API server writes them (metav1.Time) and as
// users write them in specs. Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace oncoatlas::op {

// "2006-01-02T15:04:05Z" (UTC, whole seconds).
std::string FormatTime(std::chrono::system_clock::time_point t);

// "2006-01-02T15:04:05Z", with optional fractional seconds and a "Z" or
// "+hh:mm"/"-hh:mm" offset; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseTime(std::string_view text);

}  // namespace oncoatlas::op
