// Test support: a real local Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager) started through e2e/controlplane, and a GoogleTest
// environment that starts one per test binary, like controller-runtime's
// envtest.
//
// A ControlPlane stops in its destructor; it is also registered with the
// script's reaper (--watch-pid), so it goes away even when the test binary
// crashes. Not thread-safe: start and stop from one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/status.h"
#include "core/subprocess.h"

namespace oncoatlas::testing {

// Absolute path of the repository (compiled in by CMake).
std::string SourceDir();

// The PATH prefix that holds the cached kube-apiserver, kubectl, helm and etcd
// (from `scripts/setup --print-path`).
const std::string& ToolPath();

// The cached kubectl built from the same Kubernetes version as the API server.
std::string KubectlPath();

class ControlPlane {
 public:
  // Starts a control plane named `name` in a fresh temporary directory.
  // `identities` adds client-certificate users ("user:group1,group2") to the
  // built-in admin, board-member, site-operator and unprivileged.
  static Result<std::unique_ptr<ControlPlane>> Start(const std::string& name,
                                                     const std::vector<std::string>& identities = {});
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  Status Stop();
  // Kills kube-apiserver and starts it again with the same flags and port
  // (etcd keeps its data); returns once it is ready.
  Status RestartApiServer();

  const std::string& dir() const { return dir_; }
  // The admin kubeconfig (system:masters).
  std::string kubeconfig() const { return dir_ + "/kubeconfig"; }
  // The kubeconfig of a client-certificate identity, e.g. "unprivileged".
  std::string kubeconfig_for(const std::string& identity) const;
  // https://127.0.0.1:PORT
  const std::string& server() const { return server_; }
  // http://127.0.0.1:PORT of this control plane's etcd.
  const std::string& etcd_endpoint() const { return etcd_endpoint_; }

  // Runs the cached kubectl against this control plane as `identity`.
  SubprocessResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_data = "",
                           const std::string& identity = "admin") const;

 private:
  ControlPlane() = default;
  std::string dir_;
  std::string server_;
  std::string etcd_endpoint_;
  bool running_ = false;
};

// Starts one control plane for the whole test binary. Register it from main()
// or with ::testing::AddGlobalTestEnvironment; tests reach it through Get().
class ControlPlaneEnvironment : public ::testing::Environment {
 public:
  explicit ControlPlaneEnvironment(std::string name = "test") : name_(std::move(name)) {}
  void SetUp() override;
  void TearDown() override;

  // REQUIRES: the environment is set up.
  static ControlPlane& Get();

 private:
  std::string name_;
};

// Polls `predicate` every `interval` until it returns true or `timeout` passes.
// Returns whether it became true. Tests wait on conditions with this, never
// with bare sleeps.
template <typename Predicate>
bool WaitFor(Predicate predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds interval = std::chrono::milliseconds(100));

}  // namespace oncoatlas::testing

#include "support/wait_for.inl"
