#include "support/control_plane.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/files.h"

namespace oncoatlas::testing {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ControlPlaneScript() { return SourceDir() + "/e2e/controlplane"; }

std::vector<std::pair<std::string, std::string>> ToolEnv() {
  const char* path = std::getenv("PATH");
  return {{"PATH", ToolPath() + ":" + (path != nullptr ? path : "/usr/bin:/bin")}};
}

// Reads KEY=VALUE lines from the control plane's ports.env.
std::string ReadPortsValue(const std::string& dir, const std::string& key) {
  std::ifstream in(dir + "/ports.env");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

ControlPlane* g_environment_control_plane = nullptr;
std::unique_ptr<ControlPlane> g_environment_owner;

}  // namespace

std::string SourceDir() { return ONCOATLAS_SOURCE_DIR; }

const std::string& ToolPath() {
  static const std::string path = [] {
    auto r = RunSubprocess({"bash", SourceDir() + "/scripts/setup", "--print-path"});
    if (!r.ok() || !r->success()) return std::string("/usr/bin");
    return Trim(r->out);
  }();
  return path;
}

std::string KubectlPath() { return ToolPath().substr(0, ToolPath().find(':')) + "/kubectl"; }

Result<std::unique_ptr<ControlPlane>> ControlPlane::Start(const std::string& name,
                                                          const std::vector<std::string>& identities) {
  auto made = MakeTempDir("oncoatlas-cp-" + name + "-");
  if (!made.ok()) return made.status();
  const std::string tmpl = *made;
  std::unique_ptr<ControlPlane> cp(new ControlPlane());
  // The script wants to create the directory itself; give it a child path.
  cp->dir_ = tmpl + "/" + name;
  std::vector<std::string> argv = {"bash",        ControlPlaneScript(),       "up",        "--dir", cp->dir_,
                                   "--watch-pid", std::to_string(::getpid()), "--timeout", "90"};
  for (const auto& id : identities) {
    argv.push_back("--identity");
    argv.push_back(id);
  }
  SubprocessOptions opts;
  opts.timeout = std::chrono::seconds(120);
  auto r = RunSubprocess(argv, opts);
  if (!r.ok()) return r.status();
  if (!r->success()) {
    return UnavailableError("e2e/controlplane up failed (" + r->Describe() + ")");
  }
  cp->running_ = true;
  cp->server_ = ReadPortsValue(cp->dir_, "APISERVER_URL");
  cp->etcd_endpoint_ = ReadPortsValue(cp->dir_, "ETCD_ENDPOINT");
  return cp;
}

ControlPlane::~ControlPlane() { (void)Stop(); }

Status ControlPlane::Stop() {
  if (!running_) return Status::Ok();
  running_ = false;
  auto r = RunSubprocess({"bash", ControlPlaneScript(), "down", "--dir", dir_});
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(dir_).parent_path(), ec);
  if (!r.ok()) return r.status();
  if (!r->success()) return InternalError("e2e/controlplane down failed (" + r->Describe() + ")");
  return Status::Ok();
}

Status ControlPlane::RestartApiServer() {
  if (!running_) return FailedPreconditionError("the control plane is not running");
  SubprocessOptions opts;
  opts.timeout = std::chrono::seconds(150);
  auto r = RunSubprocess({"bash", ControlPlaneScript(), "restart-apiserver", "--dir", dir_, "--timeout", "120"}, opts);
  if (!r.ok()) return r.status();
  if (!r->success()) return UnavailableError("e2e/controlplane restart-apiserver failed (" + r->Describe() + ")");
  return Status::Ok();
}

std::string ControlPlane::kubeconfig_for(const std::string& identity) const {
  return dir_ + "/kubeconfigs/" + identity + ".kubeconfig";
}

SubprocessResult ControlPlane::Kubectl(const std::vector<std::string>& args, const std::string& stdin_data,
                                       const std::string& identity) const {
  std::vector<std::string> argv = {KubectlPath(), "--kubeconfig", kubeconfig_for(identity)};
  argv.insert(argv.end(), args.begin(), args.end());
  SubprocessOptions opts;
  opts.stdin_data = stdin_data;
  opts.env = ToolEnv();
  opts.timeout = std::chrono::seconds(90);
  auto r = RunSubprocess(argv, opts);
  if (!r.ok()) {
    SubprocessResult failed;
    failed.err = r.status().ToString();
    return failed;
  }
  return std::move(r).value();
}

void ControlPlaneEnvironment::SetUp() {
  auto cp = ControlPlane::Start(name_);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  g_environment_owner = std::move(cp).value();
  g_environment_control_plane = g_environment_owner.get();
  ::setenv("KUBECONFIG", g_environment_control_plane->kubeconfig().c_str(), 1);
}

void ControlPlaneEnvironment::TearDown() {
  g_environment_control_plane = nullptr;
  if (g_environment_owner) {
    Status s = g_environment_owner->Stop();
    EXPECT_TRUE(s.ok()) << s.ToString();
    g_environment_owner.reset();
  }
}

ControlPlane& ControlPlaneEnvironment::Get() {
  if (g_environment_control_plane == nullptr) {
    std::fprintf(stderr, "ControlPlaneEnvironment::Get() called without a running control plane\n");
    std::abort();
  }
  return *g_environment_control_plane;
}

}  // namespace oncoatlas::testing
