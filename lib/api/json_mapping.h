// JSON mapping for the API types: each type lists its fields once, in a static
// Map(self, mapper) function, and this header derives from_json/to_json from
// that list. Keys a type does not know are kept in its `unknown_fields` and
// written back, so an object read and written again is unchanged (a newer
// operator's fields survive an older agent's status update).
//
// FromJson/ToJson are the boundary: FromJson returns a Status naming the JSON
// path of the first problem instead of throwing. All functions are reentrant;
// the types are plain values (no sharing, no locking).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace oncoatlas::api {

// What reading does with keys the types do not map.
enum class UnknownFields {
  kPreserve,  // keep them in unknown_fields and write them back (the default)
  kDrop,      // forget them
  kReject,    // fail, naming the first one (strict decoding)
};

// A value of an x-kubernetes-int-or-string field, such as a quantity written as
// 2 or as "500m": read as either and written back as it was read.
struct IntOrString {
  std::variant<std::int64_t, std::string> value;

  // The value as text: 2 gives "2".
  std::string ToString() const {
    if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
    return std::get<std::string>(value);
  }
  bool operator==(const IntOrString&) const = default;
};

namespace detail {

// Thrown inside the mapping code only; FromJson turns it into a Status.
class MappingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReadContext {
  UnknownFields unknown = UnknownFields::kPreserve;
};

std::string JoinPath(const std::string& parent, std::string_view key);
std::string IndexPath(const std::string& parent, std::size_t index);
[[noreturn]] void ThrowTypeMismatch(const std::string& path, const char* expected, const nlohmann::json& got);
[[noreturn]] void ThrowUnknownField(const std::string& path);

class FieldReader;
class FieldWriter;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

}  // namespace detail

// A type with a field list and a place for unknown keys.
template <typename T>
concept Mapped = requires(T& t, const T& ct, detail::FieldReader& r, detail::FieldWriter& w) {
  T::Map(t, r);
  T::Map(ct, w);
  { t.unknown_fields } -> std::convertible_to<nlohmann::json>;
};

namespace detail {

void Read(const nlohmann::json& j, std::string& v, const std::string& path, const ReadContext& ctx);
void Read(const nlohmann::json& j, bool& v, const std::string& path, const ReadContext& ctx);
void Read(const nlohmann::json& j, std::int64_t& v, const std::string& path, const ReadContext& ctx);
void Read(const nlohmann::json& j, double& v, const std::string& path, const ReadContext& ctx);
void Read(const nlohmann::json& j, nlohmann::json& v, const std::string& path, const ReadContext& ctx);
void Read(const nlohmann::json& j, IntOrString& v, const std::string& path, const ReadContext& ctx);
template <typename T>
void Read(const nlohmann::json& j, std::optional<T>& v, const std::string& path, const ReadContext& ctx);
template <typename T>
void Read(const nlohmann::json& j, std::vector<T>& v, const std::string& path, const ReadContext& ctx);
template <typename T>
void Read(const nlohmann::json& j, std::map<std::string, T>& v, const std::string& path, const ReadContext& ctx);
template <Mapped T>
void Read(const nlohmann::json& j, T& v, const std::string& path, const ReadContext& ctx);

nlohmann::json Write(const std::string& v);
nlohmann::json Write(bool v);
nlohmann::json Write(std::int64_t v);
nlohmann::json Write(double v);
nlohmann::json Write(const nlohmann::json& v);
nlohmann::json Write(const IntOrString& v);
template <typename T>
nlohmann::json Write(const std::vector<T>& v);
template <typename T>
nlohmann::json Write(const std::map<std::string, T>& v);
template <Mapped T>
nlohmann::json Write(const T& v);

// Reads the mapped keys of one JSON object and remembers which it saw.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, const std::string& path, const ReadContext& ctx)
      : object_(object), path_(path), ctx_(ctx) {}

  template <typename T>
  void operator()(const char* key, T& value) {
    auto it = object_.find(key);
    if (it == object_.end()) return;
    if (it->is_null() && IsOptional<T>::value) return;  // absent; kept verbatim as an unknown key
    mapped_.push_back(key);
    Read(*it, value, JoinPath(path_, key), ctx_);
  }

  // Collects the keys no field claimed, as the context says.
  void CollectUnknown(nlohmann::json& unknown) const {
    unknown = nlohmann::json();
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      bool known = false;
      for (const char* k : mapped_) known = known || it.key() == k;
      if (known) continue;
      if (ctx_.unknown == UnknownFields::kReject && !it->is_null()) ThrowUnknownField(JoinPath(path_, it.key()));
      if (ctx_.unknown == UnknownFields::kPreserve) unknown[it.key()] = *it;
    }
  }

 private:
  const nlohmann::json& object_;
  const std::string& path_;
  const ReadContext& ctx_;
  std::vector<const char*> mapped_;
};

// Writes the fields that are set into one JSON object.
class FieldWriter {
 public:
  explicit FieldWriter(nlohmann::json& object) : object_(object) {}

  template <typename T>
  void operator()(const char* key, const T& value) {
    if constexpr (IsOptional<T>::value) {
      if (value.has_value()) object_[key] = Write(*value);
    } else {
      object_[key] = Write(value);
    }
  }

 private:
  nlohmann::json& object_;
};

template <typename T>
void Read(const nlohmann::json& j, std::optional<T>& v, const std::string& path, const ReadContext& ctx) {
  T value{};
  Read(j, value, path, ctx);
  v = std::move(value);
}

template <typename T>
void Read(const nlohmann::json& j, std::vector<T>& v, const std::string& path, const ReadContext& ctx) {
  if (!j.is_array()) ThrowTypeMismatch(path, "array", j);
  v.clear();
  v.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    T item{};
    Read(j[i], item, IndexPath(path, i), ctx);
    v.push_back(std::move(item));
  }
}

template <typename T>
void Read(const nlohmann::json& j, std::map<std::string, T>& v, const std::string& path, const ReadContext& ctx) {
  if (!j.is_object()) ThrowTypeMismatch(path, "object", j);
  v.clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    T item{};
    Read(*it, item, JoinPath(path, it.key()), ctx);
    v.emplace(it.key(), std::move(item));
  }
}

template <Mapped T>
void Read(const nlohmann::json& j, T& v, const std::string& path, const ReadContext& ctx) {
  if (!j.is_object()) ThrowTypeMismatch(path, "object", j);
  v = T{};
  FieldReader reader(j, path, ctx);
  T::Map(v, reader);
  reader.CollectUnknown(v.unknown_fields);
}

template <typename T>
nlohmann::json Write(const std::vector<T>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : v) out.push_back(Write(item));
  return out;
}

template <typename T>
nlohmann::json Write(const std::map<std::string, T>& v) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, item] : v) out[key] = Write(item);
  return out;
}

template <Mapped T>
nlohmann::json Write(const T& v) {
  nlohmann::json out = nlohmann::json::object();
  FieldWriter writer(out);
  T::Map(v, writer);
  if (v.unknown_fields.is_object()) {
    for (auto it = v.unknown_fields.begin(); it != v.unknown_fields.end(); ++it) {
      if (!out.contains(it.key())) out[it.key()] = *it;
    }
  }
  return out;
}

}  // namespace detail

// nlohmann::json hooks (found by argument-dependent lookup), so j.get<DataNode>()
// and json(node) work. from_json throws detail::MappingError on bad input;
// code outside this library uses FromJson instead.
template <Mapped T>
void to_json(nlohmann::json& j, const T& v) {
  j = detail::Write(v);
}
template <Mapped T>
void from_json(const nlohmann::json& j, T& v) {
  detail::Read(j, v, "", detail::ReadContext{});
}

// Reads a T from JSON. Errors name the path, e.g.
// "spec.tier: expected integer, got string \"two\"".
template <Mapped T>
Result<T> FromJson(const nlohmann::json& j, UnknownFields unknown = UnknownFields::kPreserve) {
  T value{};
  try {
    detail::Read(j, value, "", detail::ReadContext{unknown});
  } catch (const detail::MappingError& e) {
    return InvalidArgumentError(e.what());
  }
  return value;
}

// Parses JSON text and reads a T from it.
template <Mapped T>
Result<T> FromJsonText(std::string_view text, UnknownFields unknown = UnknownFields::kPreserve) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("not valid JSON");
  return FromJson<T>(j, unknown);
}

template <Mapped T>
nlohmann::json ToJson(const T& v) {
  return detail::Write(v);
}

}  // namespace oncoatlas::api
