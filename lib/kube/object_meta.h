// Reading an object's metadata as the API server returns it (JSON): name,
// namespace, uid, generation, resourceVersion, labels, annotations,
// deletionTimestamp and finalizers. Every accessor tolerates any JSON — a
// missing or mistyped field reads as empty (0, false) — so callers never
// check shapes themselves. Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace oncoatlas::kube {

// object["metadata"], or an empty object.
const nlohmann::json& MetadataOf(const nlohmann::json& object);

std::string NameOf(const nlohmann::json& object);
std::string NamespaceOf(const nlohmann::json& object);
std::string UidOf(const nlohmann::json& object);
std::string ResourceVersionOf(const nlohmann::json& object);
std::int64_t GenerationOf(const nlohmann::json& object);

// The value of label / annotation `key`; "" when absent.
std::string LabelOf(const nlohmann::json& object, std::string_view key);
std::string AnnotationOf(const nlohmann::json& object, std::string_view key);

// Whether metadata.deletionTimestamp is set.
bool IsBeingDeleted(const nlohmann::json& object);

std::vector<std::string> FinalizersOf(const nlohmann::json& object);
bool HasFinalizer(const nlohmann::json& object, std::string_view finalizer);

}  // namespace oncoatlas::kube
