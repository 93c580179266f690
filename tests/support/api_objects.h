// API objects as the reconcilers' unit tests feed them to fakes: the smallest
// valid object of each kind a test needs, with the fields a test varies as
// parameters. Header-only; test-only.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace oncoatlas::testing {

// A DataNode `name` (cluster-scoped) of organisation "Org" in SE, tier 1, with
// spec.cluster `cluster` (e.g. {"local": {}}) at metadata.generation `generation`.
inline nlohmann::json DataNodeObject(const std::string& name, nlohmann::json cluster, std::int64_t generation = 1) {
  return {
      {"apiVersion", "oncoatlas.io/v1alpha1"},
      {"kind", "DataNode"},
      {"metadata", {{"name", name}, {"generation", generation}, {"uid", "u-" + name}}},
      {"spec", {{"organisation", {{"name", "Org"}}}, {"country", "SE"}, {"tier", 1}, {"cluster", std::move(cluster)}}}};
}

}  // namespace oncoatlas::testing
