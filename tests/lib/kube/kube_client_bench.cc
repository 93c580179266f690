// kube_client_bench: creating 2,000 custom objects with lib/kube versus
// `kubectl create -f` of the same manifests, against a local control plane
// started for the run. Prints objects per second of both and their ratio.
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "kube/client_config.h"
#include "kube/core_resources.h"
#include "kube/discovery.h"
#include "kube/rest_client.h"
#include "support/control_plane.h"

namespace {

using oncoatlas::kube::Json;
namespace kube = oncoatlas::kube;

constexpr int kObjects = 2000;
constexpr int kWorkers = 8;

Json Gadget(const std::string& ns, int i) {
  return Json{{"apiVersion", "kubebench.oncoatlas.io/v1"},
              {"kind", "Gadget"},
              {"metadata", {{"name", "gadget-" + std::to_string(i)}, {"namespace", ns}}},
              {"spec", {{"size", i + 1}, {"colour", "teal"}}}};
}

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

int Run() {
  auto cp = oncoatlas::testing::ControlPlane::Start("bench");
  if (!cp.ok()) {
    std::fprintf(stderr, "kube_client_bench: %s\n", cp.status().ToString().c_str());
    return 1;
  }
  auto config = kube::LoadKubeconfig({.path = (*cp)->kubeconfig()});
  if (!config.ok()) {
    std::fprintf(stderr, "kube_client_bench: %s\n", config.status().ToString().c_str());
    return 1;
  }
  config->qps = 0;  // measure the client, not its politeness limit
  auto client = kube::RestClient::Create(*config);
  if (!client.ok()) {
    std::fprintf(stderr, "kube_client_bench: %s\n", client.status().ToString().c_str());
    return 1;
  }
  kube::RestClient& c = **client;
  const Json crd = Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.kubebench.oncoatlas.io"},
    "spec": {"group": "kubebench.oncoatlas.io", "scope": "Namespaced",
      "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {
            "size": {"type": "integer", "minimum": 1}, "colour": {"type": "string"}}}}}}}]}})");
  if (auto r = c.Create(kube::core::kCustomResourceDefinitions, "", crd); !r.ok()) {
    std::fprintf(stderr, "kube_client_bench: %s\n", r.error().ToString().c_str());
    return 1;
  }
  kube::Discovery discovery(c);
  kube::GroupVersionResource gvr;
  for (int i = 0;; ++i) {
    auto r = discovery.ResourceForKind("kubebench.oncoatlas.io/v1", "Gadget");
    if (r.ok()) {
      gvr = *r;
      break;
    }
    if (i > 600) {
      std::fprintf(stderr, "kube_client_bench: the CRD was not served in time\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const char* ns : {"bench-lib", "bench-kubectl"}) {
    Json n = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    if (auto r = c.Create(kube::core::kNamespaces, "", n); !r.ok()) {
      std::fprintf(stderr, "kube_client_bench: %s\n", r.error().ToString().c_str());
      return 1;
    }
  }

  // Baseline: kubectl create -f with all manifests in one file.
  std::string manifests;
  for (int i = 0; i < kObjects; ++i) manifests += Gadget("bench-kubectl", i).dump() + "\n---\n";
  const auto k0 = std::chrono::steady_clock::now();
  auto kr = (*cp)->Kubectl({"create", "-f", "-", "-o", "name"}, manifests);
  const double kubectl_s = Seconds(std::chrono::steady_clock::now() - k0);
  if (!kr.success()) {
    std::fprintf(stderr, "kube_client_bench: kubectl create failed: %s\n", kr.Describe().c_str());
    return 1;
  }

  // The library: the same objects from kWorkers threads sharing one client.
  const auto l0 = std::chrono::steady_clock::now();
  std::vector<std::future<int>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(std::async(std::launch::async, [&c, &gvr, w] {
      int failures = 0;
      for (int i = w; i < kObjects; i += kWorkers) {
        if (!c.Create(gvr, "bench-lib", Gadget("bench-lib", i)).ok()) ++failures;
      }
      return failures;
    }));
  }
  int failures = 0;
  for (auto& f : workers) failures += f.get();
  const double lib_s = Seconds(std::chrono::steady_clock::now() - l0);
  if (failures != 0) {
    std::fprintf(stderr, "kube_client_bench: %d creates failed\n", failures);
    return 1;
  }
  auto listed = c.ListAll(gvr, "bench-lib");
  if (!listed.ok() || listed->items.size() != static_cast<std::size_t>(kObjects)) {
    std::fprintf(stderr, "kube_client_bench: expected %d objects in bench-lib\n", kObjects);
    return 1;
  }
  const double lib_rate = kObjects / lib_s, kubectl_rate = kObjects / kubectl_s;
  std::printf("create %d custom objects (Gadget CRD, local control plane)\n", kObjects);
  std::printf("  kubectl create -f (baseline): %8.1f objects/s  (%.2f s)\n", kubectl_rate, kubectl_s);
  std::printf("  lib/kube, %d threads, 1 client: %8.1f objects/s  (%.2f s)\n", kWorkers, lib_rate, lib_s);
  std::printf("  ratio lib/kube : kubectl = %.2fx (goal >= 3x)\n", lib_rate / kubectl_rate);
  return 0;
}

}  // namespace

int main() { return Run(); }
