// Helpers shared by the lib/kube integration tests: clients for the test
// control plane's identities and namespaces to work in. Test-only; call from
// the test thread.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "kube/client_config.h"
#include "kube/core_resources.h"
#include "kube/rest_client.h"
#include "support/control_plane.h"

namespace oncoatlas::kube::testing {

inline oncoatlas::testing::ControlPlane& Cp() { return oncoatlas::testing::ControlPlaneEnvironment::Get(); }

// A client for `identity` of the test control plane. `qps` <= 0 lifts the
// client-side rate limit (bulk set-up in tests).
inline std::unique_ptr<RestClient> ClientFor(const std::string& identity = "admin", double qps = 20) {
  auto config = LoadKubeconfig({.path = identity == "admin" ? Cp().kubeconfig() : Cp().kubeconfig_for(identity)});
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  if (!config.ok()) return nullptr;
  config->qps = qps;
  auto client = RestClient::Create(*config);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

// Creates namespace `name` (fails the test if it cannot).
inline void CreateNamespace(RestClient& client, const std::string& name) {
  auto ns = client.Create(core::kNamespaces, "",
                          Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  ASSERT_TRUE(ns.ok()) << ns.error().ToString();
}

inline Json ConfigMap(const std::string& ns, const std::string& name, Json data = Json::object()) {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"data", std::move(data)}};
}

}  // namespace oncoatlas::kube::testing
