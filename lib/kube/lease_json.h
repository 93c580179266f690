// Conversion between LeaseRecord and the coordination.k8s.io/v1 Lease object,
// for a LeaseStore backed by the API server. MicroTime values are written as
// "2006-01-02T15:04:05.000000Z" (UTC, microseconds; rfc3339.h), as the API server does.
// Pure functions; safe from any thread; malformed input is an error, never a throw.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "kube/lease_store.h"
#include "kube/rfc3339.h"  // FormatMicroTime, ParseMicroTime

namespace oncoatlas::kube {

// A Lease object named `name` in `ns`; metadata.resourceVersion is set when
// the record has one (as an update needs), labels and annotations when any.
nlohmann::json LeaseToJson(const LeaseRecord& record, std::string_view name, std::string_view ns);

// The record in a Lease object as the API server returns it.
Result<LeaseRecord> LeaseFromJson(const nlohmann::json& lease);

}  // namespace oncoatlas::kube
