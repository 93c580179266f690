// Types every oncoatlas.io/v1alpha1 kind shares: metav1.Condition, references
// to Secrets, ConfigMaps and Datasets, reason counts. They mirror crds/*.yaml;
// tests/crds/api_types_test.cc proves it. Plain values; not synchronized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/json_mapping.h"

namespace oncoatlas::api {

inline constexpr const char* kApiVersion = "oncoatlas.io/v1alpha1";

// A kind's name as a template argument ("DataNode").
template <size_t N>
struct KindName {
  constexpr KindName(const char (&s)[N]) {  // NOLINT(google-explicit-constructor)
    for (size_t i = 0; i < N; ++i) value[i] = s[i];
  }
  char value[N];
};

// A top-level object of one of the five kinds: apiVersion, kind, metadata,
// spec and (optional) status. Each kind is an alias of this template.
template <typename SpecT, typename StatusT, KindName Kind>
struct Object {
  std::string api_version = kApiVersion;
  std::string kind = Kind.value;
  nlohmann::json metadata = nlohmann::json::object();
  SpecT spec;
  std::optional<StatusT> status;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("apiVersion", self.api_version);
    m("kind", self.kind);
    m("metadata", self.metadata);
    m("spec", self.spec);
    m("status", self.status);
  }
};

// metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True", "False" or "Unknown"
  std::optional<std::int64_t> observed_generation;
  std::string last_transition_time;  // RFC 3339
  std::string reason;                // CamelCase
  std::string message;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("type", self.type);
    m("status", self.status);
    m("observedGeneration", self.observed_generation);
    m("lastTransitionTime", self.last_transition_time);
    m("reason", self.reason);
    m("message", self.message);
  }
};

// A key of a Secret or ConfigMap; `key` defaults in the schema.
struct KeyRef {
  std::string name;
  std::optional<std::string> key;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("name", self.name);
    m("key", self.key);
  }
};

// An object by name in a namespace the context fixes.
struct NameRef {
  std::string name;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) { m("name", self.name); }
};

// A Dataset by its node and its name in oncoatlas-node-<node>.
struct DatasetRef {
  std::string node;
  std::string name;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("node", self.node);
    m("name", self.name);
  }
};

struct ReasonCount {
  std::string reason;
  std::int64_t count = 0;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("reason", self.reason);
    m("count", self.count);
  }
};

}  // namespace oncoatlas::api
