// Durations as Kubernetes resources write them (Go's time.ParseDuration
// forms). Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace oncoatlas {

// A Go duration with h, m, s, ms units and decimal fractions ("24h",
// "1h30m", "1.5h"); nullopt when malformed.
std::optional<std::chrono::milliseconds> ParseGoDuration(const std::string& text);

}  // namespace oncoatlas
