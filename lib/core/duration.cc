#include "core/duration.h"

#include <cctype>
#include <cmath>

namespace oncoatlas {

std::optional<std::chrono::milliseconds> ParseGoDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    const std::string number = text.substr(start, i - start);
    if (number.empty() || number.front() == '.' || number.back() == '.' || number.find('.') != number.rfind('.') ||
        number.size() > 18) {
      return std::nullopt;
    }
    std::string unit;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
    double factor = 0;
    if (unit == "h") {
      factor = 3'600'000;
    } else if (unit == "m") {
      factor = 60'000;
    } else if (unit == "s") {
      factor = 1000;
    } else if (unit == "ms") {
      factor = 1;
    } else {
      return std::nullopt;
    }
    total_ms += std::stod(number) * factor;
    if (total_ms > 1e15) return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

}  // namespace oncoatlas
