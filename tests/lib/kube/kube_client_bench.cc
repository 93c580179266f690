// kube_client_bench: lib/kube against a local control plane started for the
// run, each figure next to a baseline measured in the same run:
//  (a) creating 2,000 custom objects with the library versus `kubectl create -f`
//      of the same manifests (objects per second, ratio; goal >= 3x);
//  (b) an informer syncing 10,000 objects: time to synced (baseline: `kubectl
//      get -o json` of the same objects), resident memory per cached object
//      and that over the object's JSON size (goal < 3x; baseline: the same
//      objects held as nlohmann::json trees);
//  (c) 60 s of steady state after the sync: the requests the client sent, by
//      kind (goal: watches only; baseline: the requests the sync took).
// ONCOATLAS_BENCH_QUICK=1 shrinks everything (300 / 1,000 objects, 10 s) for
// iterating; the default is the figures above.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/client_config.h"
#include "kube/core_resources.h"
#include "kube/discovery.h"
#include "kube/informer.h"
#include "kube/rest_client.h"
#include "support/control_plane.h"

namespace {

using oncoatlas::kube::Json;
namespace kube = oncoatlas::kube;
using Clock = std::chrono::steady_clock;

struct Sizes {
  int create_objects = 2000;
  int informer_objects = 10000;
  std::chrono::seconds steady{60};
  int workers = 16;  // concurrent creates: one pooled keep-alive connection each (the pool keeps 16)
};

Sizes BenchSizes() {
  Sizes s;
  const char* quick = std::getenv("ONCOATLAS_BENCH_QUICK");
  if (quick != nullptr && std::string(quick) != "0" && std::string(quick) != "") {
    s.create_objects = 300;
    s.informer_objects = 1000;
    s.steady = std::chrono::seconds(10);
  }
  return s;
}

Json Gadget(const std::string& ns, int i) {
  return Json{{"apiVersion", "kubebench.oncoatlas.io/v1"},
              {"kind", "Gadget"},
              {"metadata",
               {{"name", "gadget-" + std::to_string(i)},
                {"namespace", ns},
                {"labels", {{"app.kubernetes.io/part-of", "oncoatlas-bench"}, {"shard", std::to_string(i % 16)}}}}},
              {"spec", {{"size", i + 1}, {"colour", "teal"}, {"site", "site-" + std::to_string(i % 7)}}}};
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Resident memory of this process, after returning freed heap to the system
// so that only live allocations count.
long long ResidentBytes() {
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  long long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// CPU seconds this process has used (user + system): what the client itself
// costs, next to the API server it shares the machine with.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Counts the requests a client sends, by whether they are watches.
class RequestCounter final : public kube::RequestObserver {
 public:
  void OnSend(const std::string& method, const std::string& target) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool watch = target.find("watch=true") != std::string::npos;
    ++(watch ? watches_ : others_);
    if (!watch && others_ <= 5) other_examples_.push_back(method + " " + target.substr(0, target.find('?')));
  }
  void OnRequest(const std::string&, int, std::chrono::nanoseconds) override {}
  void Reset() {
    std::lock_guard<std::mutex> lock(mutex_);
    watches_ = others_ = 0;
    other_examples_.clear();
  }
  int watches() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return watches_;
  }
  int others() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return others_;
  }
  std::vector<std::string> other_examples() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return other_examples_;
  }

 private:
  mutable std::mutex mutex_;
  int watches_ = 0, others_ = 0;
  std::vector<std::string> other_examples_;
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "kube_client_bench: %s\n", what.c_str());
  return 1;
}

// Creates objects [0, n) in `ns` from `workers` threads sharing `client`;
// returns the number of failures.
int CreateMany(kube::RestClient& client, const kube::GroupVersionResource& gvr, const std::string& ns, int n,
               int workers) {
  std::atomic<int> next{0};
  std::vector<std::future<int>> running;
  for (int w = 0; w < workers; ++w) {
    running.push_back(std::async(std::launch::async, [&] {
      int failures = 0;
      for (int i = next++; i < n; i = next++) {
        auto r = client.Create(gvr, ns, Gadget(ns, i));
        if (!r.ok()) {
          if (failures == 0) std::fprintf(stderr, "  create failed: %s\n", r.error().ToString().c_str());
          ++failures;
        }
      }
      return failures;
    }));
  }
  int failures = 0;
  for (auto& f : running) failures += f.get();
  return failures;
}

int Run() {
  const Sizes sizes = BenchSizes();
  auto cp = oncoatlas::testing::ControlPlane::Start("bench");
  if (!cp.ok()) return Fail(cp.status().ToString());
  auto config = kube::LoadKubeconfig({.path = (*cp)->kubeconfig()});
  if (!config.ok()) return Fail(config.status().ToString());
  kube::ClientConfig bulk_config = *config;
  bulk_config.qps = 0;  // (a): the bench configures no client-side limit for bulk creation
  auto client = kube::RestClient::Create(bulk_config);
  if (!client.ok()) return Fail(client.status().ToString());
  kube::RestClient& c = **client;
  const Json crd = Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.kubebench.oncoatlas.io"},
    "spec": {"group": "kubebench.oncoatlas.io", "scope": "Namespaced",
      "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {
            "size": {"type": "integer", "minimum": 1}, "colour": {"type": "string"},
            "site": {"type": "string"}}}}}}}]}})");
  if (auto r = c.Create(kube::core::kCustomResourceDefinitions, "", crd); !r.ok()) return Fail(r.error().ToString());
  kube::Discovery discovery(c);
  kube::GroupVersionResource gvr;
  for (int i = 0;; ++i) {
    auto r = discovery.ResourceForKind("kubebench.oncoatlas.io/v1", "Gadget");
    if (r.ok()) {
      gvr = *r;
      break;
    }
    if (i > 600) return Fail("the CRD was not served in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const char* ns : {"bench-lib", "bench-kubectl", "bench-informer"}) {
    Json n = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    if (auto r = c.Create(kube::core::kNamespaces, "", n); !r.ok()) return Fail(r.error().ToString());
  }

  // ---- (a) create
  std::string manifests;
  for (int i = 0; i < sizes.create_objects; ++i) manifests += Gadget("bench-kubectl", i).dump() + "\n---\n";
  const auto k0 = Clock::now();
  auto kr = (*cp)->Kubectl({"create", "-f", "-", "-o", "name"}, manifests);
  const double kubectl_s = Seconds(Clock::now() - k0);
  if (!kr.success()) return Fail("kubectl create failed: " + kr.Describe());

  const double cpu0 = ProcessCpuSeconds();
  const auto l0 = Clock::now();
  const int failures = CreateMany(c, gvr, "bench-lib", sizes.create_objects, sizes.workers);
  const double lib_s = Seconds(Clock::now() - l0);
  const double lib_cpu_s = ProcessCpuSeconds() - cpu0;
  if (failures != 0) return Fail(std::to_string(failures) + " creates failed");
  auto listed = c.ListAll(gvr, "bench-lib");
  if (!listed.ok() || listed->items.size() != static_cast<std::size_t>(sizes.create_objects)) {
    return Fail("expected " + std::to_string(sizes.create_objects) + " objects in bench-lib");
  }
  const double lib_rate = sizes.create_objects / lib_s, kubectl_rate = sizes.create_objects / kubectl_s;
  std::printf("(a) create %d custom objects (Gadget CRD, local control plane, %u CPUs)\n", sizes.create_objects,
              std::thread::hardware_concurrency());
  std::printf("  kubectl create -f (baseline):         %8.1f objects/s  (%.2f s)\n", kubectl_rate, kubectl_s);
  std::printf("  lib/kube, %d concurrent, 1 client:    %8.1f objects/s  (%.2f s)\n", sizes.workers, lib_rate, lib_s);
  std::printf("  ratio lib/kube : kubectl = %.2fx (goal >= 3x); the client used %.2f s of CPU for it\n",
              lib_rate / kubectl_rate, lib_cpu_s);
  std::fflush(stdout);

  // ---- (b) informer sync
  const std::string ns = "bench-informer";
  if (CreateMany(c, gvr, ns, sizes.informer_objects, sizes.workers) != 0)
    return Fail("creating the informer's objects");
  std::size_t json_bytes = 0;
  {
    auto all = c.ListAll(gvr, ns);
    if (!all.ok() || all->items.size() != static_cast<std::size_t>(sizes.informer_objects)) {
      return Fail("expected " + std::to_string(sizes.informer_objects) + " objects in " + ns);
    }
    for (const auto& o : all->items) json_bytes += o.dump().size();
  }
  const double json_per_object = static_cast<double>(json_bytes) / sizes.informer_objects;

  const auto g0 = Clock::now();
  auto kg = (*cp)->Kubectl({"get", "gadgets.kubebench.oncoatlas.io", "-n", ns, "-o", "json"});
  const double kubectl_get_s = Seconds(Clock::now() - g0);
  if (!kg.success()) return Fail("kubectl get failed: " + kg.Describe());

  RequestCounter counter;
  auto informer_client = kube::RestClient::Create(*config, {.observer = &counter});  // default 20 QPS, burst 30
  if (!informer_client.ok()) return Fail(informer_client.status().ToString());
  kube::ReflectorOptions ro;
  ro.resource = gvr;
  ro.namespace_name = ns;
  ro.watch_timeout = std::chrono::seconds(std::max<long>(5, sizes.steady.count() / 3));  // rotates within (c)
  const long long rss0 = ResidentBytes();
  double sync_s = 0;
  long long rss1 = 0;
  std::size_t cached = 0, packed = 0;
  int sync_requests = 0;
  {
    kube::Informer informer(**informer_client, ro);
    const auto s0 = Clock::now();
    informer.Start();
    if (!informer.WaitForSync(std::chrono::minutes(10))) return Fail("the informer did not sync");
    sync_s = Seconds(Clock::now() - s0);
    cached = informer.store().size();
    packed = informer.store().packed_bytes();
    rss1 = ResidentBytes();
    sync_requests = counter.watches() + counter.others();

    // ---- (c) steady state
    counter.Reset();
    std::this_thread::sleep_for(sizes.steady);
    const int watches = counter.watches(), others = counter.others();
    if (informer.store().size() != cached) return Fail("the cache changed while nothing changed");

    const double per_object = static_cast<double>(rss1 - rss0) / static_cast<double>(cached);
    std::printf("(b) informer syncing %zu objects (average JSON %.0f bytes)\n", cached, json_per_object);
    std::printf("  kubectl get -o json of the same (baseline): %6.2f s\n", kubectl_get_s);
    std::printf("  informer, time to synced:                   %6.2f s  (%d requests)\n", sync_s, sync_requests);
    std::printf(
        "  resident memory per cached object: %.0f bytes = %.2fx its JSON (goal < 3x); packed objects %.0f bytes\n",
        per_object, per_object / json_per_object, static_cast<double>(packed) / static_cast<double>(cached));
    std::printf("(c) steady state for %lld s after the sync\n", static_cast<long long>(sizes.steady.count()));
    std::printf("  requests the sync took (baseline): %d\n", sync_requests);
    std::printf("  requests sent in steady state:     %d (watches %d, anything else %d; goal: watches only)\n",
                watches + others, watches, others);
    for (const auto& e : counter.other_examples()) std::printf("    not a watch: %s\n", e.c_str());
    std::fflush(stdout);
  }

  // Baseline for (b)'s memory: the same objects kept as nlohmann::json trees
  // (what the cache held before it packed them).
  {
    auto all = c.ListAll(gvr, ns);
    if (!all.ok()) return Fail(all.error().ToString());
    const long long t0 = ResidentBytes();
    std::map<std::string, kube::ObjectPtr> trees;  // a fresh copy of each listed object
    for (const auto& o : all->items) trees.emplace(kube::ObjectKey(o), std::make_shared<const Json>(o));
    const long long t1 = ResidentBytes();
    const double per_tree = static_cast<double>(t1 - t0) / static_cast<double>(trees.size());
    std::printf("  baseline: the same objects as nlohmann::json trees: %.0f bytes each = %.2fx their JSON\n", per_tree,
                per_tree / json_per_object);
  }
  return 0;
}

}  // namespace

int main() { return Run(); }
