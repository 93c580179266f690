// The oncoatlas.io/v1alpha1 API in C++: all five kinds, spec and status, with
// lossless JSON round trip (api/json_mapping.h). crds/*.yaml is the source of
// truth; tests/crds/api_types_test.cc proves these types map every property.
#pragma once

#include "api/access_grant.h"
#include "api/access_policy.h"
#include "api/benchmark_run.h"
#include "api/common_types.h"
#include "api/datanode.h"
#include "api/dataset.h"
#include "api/json_mapping.h"
#include "api/vocabulary.h"
