// Logging setup for the operator and the agent: spdlog, in text or JSON (one
// object per line) format, with a level; every message passes RedactSecrets
// before it is formatted, so no sink ever sees a token or a key.
// Threading: SetUpLogging replaces spdlog's default logger; call it once at
// start-up. The loggers it returns are thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include "core/status.h"

namespace oncoatlas::kube {

enum class LogFormat { kText, kJson };

struct LogOptions {
  LogFormat format = LogFormat::kText;
  spdlog::level::level_enum level = spdlog::level::info;
};

// "text" or "json".
Result<LogFormat> ParseLogFormat(std::string_view name);
// "trace", "debug", "info", "warn", "error", "critical" or "off".
Result<spdlog::level::level_enum> ParseLogLevel(std::string_view name);

// A formatter that redacts the message and writes it as text
// ("2026-01-02T03:04:05.678Z info [name] message") or as a JSON object
// {"ts":...,"level":...,"logger":...,"msg":...} on one line.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// Makes a logger called `name` writing to `sink` (stderr when null) with the
// options' format and level, and installs it as spdlog's default logger.
std::shared_ptr<spdlog::logger> SetUpLogging(const LogOptions& options, std::string_view name = "oncoatlas",
                                             spdlog::sink_ptr sink = nullptr);

}  // namespace oncoatlas::kube
