// Test helper: converts yaml-cpp documents to nlohmann::json with the scalar
// typing kubectl applies (quoted scalars are strings; plain ones are null,
// booleans, integers or floats when they look like one). Enough for the
// manifests in crds/ and tests/crds/; not a general YAML 1.1 resolver (yes/no
// stay strings). Throws YAML::Exception on malformed input.
#pragma once

#include <cctype>
#include <string>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace oncoatlas::testing {

namespace yaml_to_json_detail {

inline bool AllDigits(const std::string& s, std::size_t from, std::size_t to) {
  if (from >= to) return false;
  for (std::size_t i = from; i < to; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// [-+]?[0-9]+
inline bool IsInteger(const std::string& s) {
  std::size_t start = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  return AllDigits(s, start, s.size());
}

// [-+]?(digits.digits?|.digits)([eE][-+]?digits)?
inline bool IsFloat(const std::string& s) {
  std::size_t start = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  std::size_t e = s.find_first_of("eE", start);
  std::size_t mantissa_end = e == std::string::npos ? s.size() : e;
  std::size_t dot = s.find('.', start);
  if (dot == std::string::npos || dot >= mantissa_end) return false;
  bool before = AllDigits(s, start, dot), after = AllDigits(s, dot + 1, mantissa_end);
  if (!(before || after)) return false;
  if (dot > start && !before) return false;
  if (dot + 1 < mantissa_end && !after) return false;
  if (e == std::string::npos) return true;
  std::size_t exp = e + 1;
  if (exp < s.size() && (s[exp] == '-' || s[exp] == '+')) ++exp;
  return AllDigits(s, exp, s.size());
}

}  // namespace yaml_to_json_detail

inline nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = YamlToJson(item.second);
      return out;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (yaml_to_json_detail::IsInteger(text)) return std::stoll(text);
  if (yaml_to_json_detail::IsFloat(text)) return std::stod(text);
  return text;
}

}  // namespace oncoatlas::testing
