// Test support: the hub side of DataNode `node` — its namespace, the agent's
// ServiceAccount, Role and RoleBinding — exactly as the operator renders them
// (datanode::RenderHubObjects), without the owner reference to a DataNode,
// for tests that play the operator. Pure; safe from any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace oncoatlas::testing {

// A v1 List of the four objects, for `kubectl apply -f -`.
nlohmann::json NodeHubObjects(const std::string& node);

}  // namespace oncoatlas::testing
