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
// iterating; the default is the figures above. ONCOATLAS_BENCH_CONCURRENCY=N
// sets the library's requests in flight for (a) (default: BulkCreate's).
// (a) also prints what the time went on: the CPU seconds of the client and of
// each control-plane process per object, and how busy the machine was.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kube/bulk_create.h"
#include "kube/client_config.h"
#include "kube/core_resources.h"
#include "kube/discovery.h"
#include "kube/informer.h"
#include "kube/rest_client.h"
#include "support/control_plane.h"
#include "support/files.h"

namespace {

using oncoatlas::kube::Json;
using oncoatlas::testing::ReadFile;
namespace kube = oncoatlas::kube;
using Clock = std::chrono::steady_clock;

struct Sizes {
  int create_objects = 2000;
  int informer_objects = 10000;
  std::chrono::seconds steady{60};
  int concurrency = kube::BulkCreateOptions{}.concurrency;  // (a): requests in flight
};

Sizes BenchSizes() {
  Sizes s;
  const char* quick = std::getenv("ONCOATLAS_BENCH_QUICK");
  if (quick != nullptr && std::string(quick) != "0" && std::string(quick) != "") {
    s.create_objects = 300;
    s.informer_objects = 1000;
    s.steady = std::chrono::seconds(10);
  }
  if (const char* c = std::getenv("ONCOATLAS_BENCH_CONCURRENCY"); c != nullptr && std::atoi(c) > 0) {
    s.concurrency = std::atoi(c);
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

// CPU seconds kubectl and other waited-for child processes have used.
double ChildrenCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The pid of a control-plane component, from the control plane's pid file.
long ComponentPid(const std::string& cp_dir, const std::string& component) {
  return std::atol(ReadFile(cp_dir + "/pids/" + component + ".pid").c_str());
}

// CPU seconds (user + system) process `pid` has used, from /proc; 0 when gone.
double PidCpuSeconds(long pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field && i <= 15; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A command-line flag of a running process ("" when absent).
std::string ProcessFlag(long pid, const std::string& flag) {
  const std::string cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  for (std::size_t start = 0; start < cmdline.size();) {
    const std::size_t end = cmdline.find('\0', start);
    args.push_back(cmdline.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(flag + "=", 0) == 0) return args[i].substr(flag.size() + 1);
  }
  return "";
}

// Busy and total jiffies of all CPUs together, from /proc/stat.
struct MachineCpu {
  double busy = 0, total = 0;
};
MachineCpu ReadMachineCpu() {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string cpu;
  in >> cpu;
  MachineCpu m;
  double v = 0;
  for (int i = 0; i < 8 && in >> v; ++i) {
    m.total += v;
    if (i != 3 && i != 4) m.busy += v;  // all but idle and iowait
  }
  return m;
}

std::string LoadAverage() {
  std::istringstream in(ReadFile("/proc/loadavg"));
  std::string one;
  in >> one;
  return one;
}

// What one create phase cost: wall time, the client's CPU, each control-plane
// process's CPU, and how busy the whole machine was meanwhile.
class PhaseMeter {
 public:
  PhaseMeter(const std::string& cp_dir, std::function<double()> client_cpu)
      : client_cpu_(std::move(client_cpu)),
        pids_{ComponentPid(cp_dir, "kube-apiserver"), ComponentPid(cp_dir, "etcd"),
              ComponentPid(cp_dir, "kube-controller-manager")} {}
  void Start() {
    load_before_ = LoadAverage();
    machine_ = ReadMachineCpu();
    client_ = client_cpu_();
    for (int i = 0; i < 3; ++i) server_[i] = PidCpuSeconds(pids_[i]);
    t0_ = Clock::now();
  }
  void Stop() {
    wall = Seconds(Clock::now() - t0_);
    client = client_cpu_() - client_;
    const MachineCpu m = ReadMachineCpu();
    machine_busy = m.total > machine_.total ? (m.busy - machine_.busy) / (m.total - machine_.total) : 0;
    load = load_before_ + " -> " + LoadAverage();
    // The control plane finishes a phase's work after its last response
    // (watch events to the controller-manager, Go's garbage collection), so
    // its CPU is read kSettle later: that work counts to the phase that left it.
    std::this_thread::sleep_for(kSettle);
    for (int i = 0; i < 3; ++i) server_[i] = PidCpuSeconds(pids_[i]) - server_[i];
  }
  static constexpr std::chrono::seconds kSettle{3};
  double apiserver() const { return server_[0]; }
  double etcd() const { return server_[1]; }
  double controller_manager() const { return server_[2]; }
  double server() const { return server_[0] + server_[1] + server_[2]; }
  // "4.1 ms CPU per object (kube-apiserver 3.0, etcd 0.8, controller-manager 0.3)"
  std::string PerObject(int n) const {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%.2f ms (kube-apiserver %.2f, etcd %.2f, controller-manager %.2f)",
                  1e3 * server() / n, 1e3 * apiserver() / n, 1e3 * etcd() / n, 1e3 * controller_manager() / n);
    return buf;
  }
  double wall = 0, client = 0, machine_busy = 0;
  std::string load;

 private:
  std::function<double()> client_cpu_;
  long pids_[3];
  double server_[3] = {0, 0, 0};
  double client_ = 0;
  MachineCpu machine_;
  std::string load_before_;
  Clock::time_point t0_;
};

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

// Creates objects [0, n) in `ns` with BulkCreate; returns the number of failures.
int CreateMany(kube::RestClient& client, const kube::GroupVersionResource& gvr, const std::string& ns, int n,
               int concurrency, int* used_concurrency = nullptr) {
  std::vector<Json> objects;
  objects.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) objects.push_back(Gadget(ns, i));
  auto r = kube::BulkCreate(
      client, gvr, ns, objects,
      {.concurrency = concurrency, .write = {.field_manager = "kube-client-bench", .field_validation = "Strict"}});
  if (!r.failures.empty()) std::fprintf(stderr, "  create failed: %s\n", r.failures[0].error.ToString().c_str());
  if (used_concurrency != nullptr) *used_concurrency = r.concurrency;
  return static_cast<int>(r.failures.size());
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
  // The same manifests for both; kubectl asks fieldValidation=Strict by
  // default and names its field manager, and so does the library here.
  std::string manifests;
  for (int i = 0; i < sizes.create_objects; ++i) manifests += Gadget("bench-kubectl", i).dump() + "\n---\n";
  const std::string& dir = (*cp)->dir();
  const long apiserver_pid = ComponentPid(dir, "kube-apiserver");
  const long kcm_pid = ComponentPid(dir, "kube-controller-manager");
  const int n = sizes.create_objects;

  PhaseMeter kubectl(dir, ChildrenCpuSeconds);
  kubectl.Start();
  auto kr = (*cp)->Kubectl({"create", "-f", "-", "-o", "name"}, manifests);
  kubectl.Stop();
  if (!kr.success()) return Fail("kubectl create failed: " + kr.Describe());

  PhaseMeter lib(dir, ProcessCpuSeconds);
  int used = 0;
  lib.Start();
  const int failures = CreateMany(c, gvr, "bench-lib", n, sizes.concurrency, &used);
  lib.Stop();
  if (failures != 0) return Fail(std::to_string(failures) + " creates failed");
  auto listed = c.ListAll(gvr, "bench-lib");
  if (!listed.ok() || listed->items.size() != static_cast<std::size_t>(n)) {
    return Fail("expected " + std::to_string(n) + " objects in bench-lib");
  }
  const unsigned cpus = std::thread::hardware_concurrency();
  const double lib_rate = n / lib.wall, kubectl_rate = n / kubectl.wall;
  const std::string inflight = ProcessFlag(apiserver_pid, "--max-requests-inflight");
  const std::string mutating = ProcessFlag(apiserver_pid, "--max-mutating-requests-inflight");
  std::printf("(a) create %d custom objects (Gadget CRD, 3 fields, schema with a minimum) on %u CPUs\n", n, cpus);
  std::printf(
      "  setup: one local control plane for both: etcd on tmpfs, kube-apiserver (RBAC, default admission, "
      "priority-and-fairness %s, max-requests-inflight %s, max-mutating-requests-inflight %s), "
      "kube-controller-manager (controllers %s); both as the admin client certificate, the same manifests, "
      "fieldValidation=Strict and a field manager; kubectl: one `kubectl create -f -` (HTTP/2, one request at a "
      "time); lib/kube: BulkCreate, %d requests in flight on as many HTTP/1.1 keep-alive connections, no client-side "
      "rate limit; kubectl runs first; control-plane CPU is read 3 s after each phase's last response\n",
      ProcessFlag(apiserver_pid, "--enable-priority-and-fairness") == "false" ? "off" : "on",
      inflight.empty() ? "400 (default)" : inflight.c_str(), mutating.empty() ? "200 (default)" : mutating.c_str(),
      ProcessFlag(kcm_pid, "--controllers").c_str(), used);
  std::printf("  kubectl create -f (baseline): %7.1f objects/s  (%.2f s; kubectl's CPU %.2f s)\n", kubectl_rate,
              kubectl.wall, kubectl.client);
  std::printf("  lib/kube BulkCreate (%2d):     %7.1f objects/s  (%.2f s; the client's CPU %.2f s)\n", used, lib_rate,
              lib.wall, lib.client);
  std::printf("  ratio lib/kube : kubectl = %.2fx (goal >= 3x)\n", lib_rate / kubectl_rate);
  std::printf("  control-plane CPU per object: kubectl's requests %s; lib/kube's %s\n", kubectl.PerObject(n).c_str(),
              lib.PerObject(n).c_str());
  std::printf("  client CPU per object: kubectl %.2f ms, lib/kube %.2f ms (%.0f%% of the CPU its creates cost)\n",
              1e3 * kubectl.client / n, 1e3 * lib.client / n, 100 * lib.client / (lib.client + lib.server()));
  std::printf("  machine: busy %.0f%% during kubectl, %.0f%% during lib/kube; load average %s, then %s\n",
              100 * kubectl.machine_busy, 100 * lib.machine_busy, kubectl.load.c_str(), lib.load.c_str());
  // Where the time goes. When every CPU is busy, the rates follow the CPU
  // each create costs in all (client and control plane); what kubectl loses
  // beyond that is its one-request-at-a-time round trips. The best the
  // library can do is every CPU given wholly to it and its control plane.
  const double kubectl_cost = (kubectl.server() + kubectl.client) / n;
  const double lib_cost = (lib.server() + lib.client) / n;
  const double ceiling = cpus / lib_cost;
  std::printf(
      "  all CPU per object (client + control plane): kubectl %.2f ms, lib/kube %.2f ms (%.2fx less); "
      "lib/kube's control plane and client got %.2f of %u CPUs (%.0f%%)\n",
      1e3 * kubectl_cost, 1e3 * lib_cost, kubectl_cost / lib_cost, (lib.server() + lib.client) / lib.wall, cpus,
      100 * (lib.server() + lib.client) / lib.wall / cpus);
  std::printf(
      "  ceiling: with all %u CPUs and nothing else running, lib/kube could create at most %.0f objects/s, "
      "which is 3x only of a kubectl slower than %.0f objects/s\n",
      cpus, ceiling, ceiling / 3);
  std::fflush(stdout);

  // ---- (b) informer sync
  const std::string ns = "bench-informer";
  if (CreateMany(c, gvr, ns, sizes.informer_objects, sizes.concurrency) != 0)
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
