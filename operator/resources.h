// The oncoatlas.io/v1alpha1 resources as GroupVersionResource constants for
// RestClient and the caches, and the naming rules objects follow (a DataNode's
// hub namespace). Values and pure functions; thread-safe.
#pragma once

#include <string>

#include "kube/resource.h"

namespace oncoatlas::op {

inline constexpr char kGroup[] = "oncoatlas.io";
inline constexpr char kVersion[] = "v1alpha1";

inline const kube::GroupVersionResource kDataNodes{kGroup, kVersion, "datanodes", false, "DataNode"};
inline const kube::GroupVersionResource kDatasets{kGroup, kVersion, "datasets", true, "Dataset"};
inline const kube::GroupVersionResource kAccessGrants{kGroup, kVersion, "accessgrants", true, "AccessGrant"};
inline const kube::GroupVersionResource kBenchmarkRuns{kGroup, kVersion, "benchmarkruns", true, "BenchmarkRun"};
inline const kube::GroupVersionResource kAccessPolicies{kGroup, kVersion, "accesspolicies", false, "AccessPolicy"};

// The hub namespace of DataNode `node`, where its Datasets live.
inline std::string NodeNamespace(const std::string& node) { return "oncoatlas-node-" + node; }

}  // namespace oncoatlas::op
