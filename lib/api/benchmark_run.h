// BenchmarkRun (namespaced): an algorithm container scored next to the data.
// Mirrors crds/benchmarkrun.yaml field for field; tests/crds/api_types_test.cc
// proves it. Plain values; not synchronized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/common_types.h"

namespace oncoatlas::api {

struct MetricRequest {
  std::string name;                          // AUC, SensitivityAtSpecificity, SpecificityAtSensitivity, PF1, Accuracy
  std::optional<std::int64_t> at_per_mille;  // the operating point of the *At* metrics, 1-999
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("name", self.name);
    m("atPerMille", self.at_per_mille);
  }
};

struct TaskResources {
  std::optional<IntOrString> cpu;     // a quantity, e.g. 2 or "500m"
  std::optional<IntOrString> memory;  // a quantity, e.g. "4Gi"
  std::optional<std::int64_t> gpus;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("cpu", self.cpu);
    m("memory", self.memory);
    m("gpus", self.gpus);
  }
};

struct BenchmarkRunSpec {
  std::string image;  // pinned by digest
  std::string task;
  std::vector<DatasetRef> datasets;
  std::vector<MetricRequest> metrics;
  NameRef grant_ref;
  std::optional<TaskResources> resources;
  std::optional<std::string> timeout;  // a Go duration
  std::optional<std::int64_t> bootstrap_samples;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("image", self.image);
    m("task", self.task);
    m("datasets", self.datasets);
    m("metrics", self.metrics);
    m("grantRef", self.grant_ref);
    m("resources", self.resources);
    m("timeout", self.timeout);
    m("bootstrapSamples", self.bootstrap_samples);
  }
};

struct NodeTask {
  std::string node;
  std::string dataset;
  std::string phase;
  std::optional<std::string> start_time;
  std::optional<std::string> completion_time;
  std::optional<std::string> cases;  // a count or "<N"
  std::optional<std::string> message;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("node", self.node);
    m("dataset", self.dataset);
    m("phase", self.phase);
    m("startTime", self.start_time);
    m("completionTime", self.completion_time);
    m("cases", self.cases);
    m("message", self.message);
  }
};

struct PooledMetric {
  std::string name;
  std::optional<std::int64_t> at_per_mille;
  double value = 0;
  std::optional<double> ci_lower;
  std::optional<double> ci_upper;
  std::optional<std::int64_t> cases;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("name", self.name);
    m("atPerMille", self.at_per_mille);
    m("value", self.value);
    m("ciLower", self.ci_lower);
    m("ciUpper", self.ci_upper);
    m("cases", self.cases);
  }
};

struct LeaderboardEntry {
  std::optional<std::string> metric;
  std::optional<double> score;
  std::optional<std::int64_t> rank;
  std::optional<std::int64_t> entries;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("metric", self.metric);
    m("score", self.score);
    m("rank", self.rank);
    m("entries", self.entries);
  }
};

struct BenchmarkRunStatus {
  std::optional<std::int64_t> observed_generation;
  std::optional<std::string> phase;
  std::optional<std::string> start_time;
  std::optional<std::string> completion_time;
  std::optional<std::int64_t> nodes_succeeded;
  std::optional<std::vector<NodeTask>> tasks;
  std::optional<std::vector<PooledMetric>> metrics;
  std::optional<LeaderboardEntry> leaderboard;
  std::optional<std::vector<Condition>> conditions;
  nlohmann::json unknown_fields;

  static void Map(auto& self, auto& m) {
    m("observedGeneration", self.observed_generation);
    m("phase", self.phase);
    m("startTime", self.start_time);
    m("completionTime", self.completion_time);
    m("nodesSucceeded", self.nodes_succeeded);
    m("tasks", self.tasks);
    m("metrics", self.metrics);
    m("leaderboard", self.leaderboard);
    m("conditions", self.conditions);
  }
};

using BenchmarkRun = Object<BenchmarkRunSpec, BenchmarkRunStatus, "BenchmarkRun">;

}  // namespace oncoatlas::api
