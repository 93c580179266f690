#include "kube/logging.h"

#include <ctime>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "kube/log_redaction.h"

namespace oncoatlas::kube {

namespace {

std::string Timestamp(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof(ms), ".%03dZ", static_cast<int>(millis < 0 ? 0 : millis));
  return std::string(buf, n) + ms;
}

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

std::string JsonString(std::string_view s) {
  // Invalid UTF-8 is replaced rather than thrown on: a log line must not fail.
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class RedactingFormatter final : public spdlog::formatter {
 public:
  explicit RedactingFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string message = RedactSecrets(std::string_view(msg.payload.data(), msg.payload.size()));
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    std::string line;
    if (format_ == LogFormat::kJson) {
      line = "{\"ts\":\"" + Timestamp(msg.time) + "\",\"level\":\"" + std::string(LevelName(msg.level)) +
             "\",\"logger\":" + JsonString(logger) + ",\"msg\":" + JsonString(message) + "}\n";
    } else {
      // Text keeps one record per line too: line breaks in a message are escaped.
      std::string flat;
      for (char c : message) {
        if (c == '\n') {
          flat += "\\n";
        } else if (c == '\r') {
          flat += "\\r";
        } else {
          flat += c;
        }
      }
      line = Timestamp(msg.time) + " " + std::string(LevelName(msg.level)) + " [" + std::string(logger) + "] " + flat +
             "\n";
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<RedactingFormatter>(format_); }

 private:
  const LogFormat format_;
};

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return InvalidArgumentError("unknown log format \"" + std::string(name) + "\": use \"text\" or \"json\"");
}

Result<spdlog::level::level_enum> ParseLogLevel(std::string_view name) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace},       {"debug", spdlog::level::debug},  {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},         {"warning", spdlog::level::warn}, {"error", spdlog::level::err},
      {"critical", spdlog::level::critical}, {"off", spdlog::level::off},
  };
  for (const auto& [n, level] : kLevels) {
    if (n == name) return level;
  }
  return InvalidArgumentError("unknown log level \"" + std::string(name) +
                              "\": use trace, debug, info, warn, error, critical or off");
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  return std::make_unique<RedactingFormatter>(format);
}

std::shared_ptr<spdlog::logger> SetUpLogging(const LogOptions& options, std::string_view name, spdlog::sink_ptr sink) {
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(MakeLogFormatter(options.format));
  auto logger = std::make_shared<spdlog::logger>(std::string(name), std::move(sink));
  logger->set_level(options.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return logger;
}

}  // namespace oncoatlas::kube
