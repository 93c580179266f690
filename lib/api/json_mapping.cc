#include "api/json_mapping.h"

#include <string>

namespace oncoatlas::api::detail {
namespace {

std::string Describe(const nlohmann::json& j) {
  std::string shown = j.dump();
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  return std::string(j.type_name()) + " " + shown;
}

}  // namespace

std::string JoinPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out = parent;
  out += '.';
  out += key;
  return out;
}

std::string IndexPath(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

void ThrowTypeMismatch(const std::string& path, const char* expected, const nlohmann::json& got) {
  throw MappingError((path.empty() ? std::string("<root>") : path) + ": expected " + expected + ", got " +
                     Describe(got));
}

void ThrowUnknownField(const std::string& path) {
  throw MappingError(path + ": unknown field (not in the oncoatlas.io/v1alpha1 schema)");
}

void Read(const nlohmann::json& j, std::string& v, const std::string& path, const ReadContext&) {
  if (!j.is_string()) ThrowTypeMismatch(path, "string", j);
  v = j.get<std::string>();
}

void Read(const nlohmann::json& j, bool& v, const std::string& path, const ReadContext&) {
  if (!j.is_boolean()) ThrowTypeMismatch(path, "boolean", j);
  v = j.get<bool>();
}

void Read(const nlohmann::json& j, std::int64_t& v, const std::string& path, const ReadContext&) {
  if (j.is_number_unsigned()) {
    auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) ThrowTypeMismatch(path, "64-bit integer", j);
    v = static_cast<std::int64_t>(u);
    return;
  }
  if (!j.is_number_integer()) ThrowTypeMismatch(path, "integer", j);
  v = j.get<std::int64_t>();
}

void Read(const nlohmann::json& j, double& v, const std::string& path, const ReadContext&) {
  if (!j.is_number()) ThrowTypeMismatch(path, "number", j);
  v = j.get<double>();
}

void Read(const nlohmann::json& j, nlohmann::json& v, const std::string&, const ReadContext&) { v = j; }

void Read(const nlohmann::json& j, IntOrString& v, const std::string& path, const ReadContext& ctx) {
  if (j.is_string()) {
    v.value = j.get<std::string>();
    return;
  }
  std::int64_t i = 0;
  if (!j.is_number_integer()) ThrowTypeMismatch(path, "integer or string", j);
  Read(j, i, path, ctx);
  v.value = i;
}

nlohmann::json Write(const std::string& v) { return v; }
nlohmann::json Write(bool v) { return v; }
nlohmann::json Write(std::int64_t v) { return v; }
nlohmann::json Write(double v) { return v; }
nlohmann::json Write(const nlohmann::json& v) { return v; }
nlohmann::json Write(const IntOrString& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v.value)) return *i;
  return std::get<std::string>(v.value);
}

}  // namespace oncoatlas::api::detail
