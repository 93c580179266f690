// The oncoatlas.io/v1alpha1 resources as GroupVersionResource constants for
// RestClient and the caches of the operator and the agent (crds/ is the
// source of truth for group, version and plural). Values; thread-safe.
#pragma once

#include "kube/resource.h"

namespace oncoatlas::api {

inline constexpr char kGroup[] = "oncoatlas.io";
inline constexpr char kVersion[] = "v1alpha1";

inline const kube::GroupVersionResource kDataNodes{kGroup, kVersion, "datanodes", false, "DataNode"};
inline const kube::GroupVersionResource kDatasets{kGroup, kVersion, "datasets", true, "Dataset"};
inline const kube::GroupVersionResource kAccessGrants{kGroup, kVersion, "accessgrants", true, "AccessGrant"};
inline const kube::GroupVersionResource kBenchmarkRuns{kGroup, kVersion, "benchmarkruns", true, "BenchmarkRun"};
inline const kube::GroupVersionResource kAccessPolicies{kGroup, kVersion, "accesspolicies", false, "AccessPolicy"};

}  // namespace oncoatlas::api
