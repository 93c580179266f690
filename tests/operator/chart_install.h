// Test support for running the operator as the charts say: render a chart
// with the real helm, apply it with the real kubectl, and write a kubeconfig
// that authenticates as a chart's ServiceAccount (a TokenRequest token), so a
// test exercises exactly the rights the chart grants. Test-only; any thread.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "support/control_plane.h"

namespace oncoatlas::testing {

// The helm the setup script cached (in one of ToolPath()'s directories), or
// "helm" from PATH.
std::string HelmPath();

// `helm template <release> <SourceDir()/chart> --namespace ns <extra...>`.
Result<std::string> HelmTemplate(const std::string& chart, const std::string& release, const std::string& ns,
                                 const std::vector<std::string>& extra = {});

// Runs the real helm against `cp` (its admin kubeconfig), with helm's and
// the Kubernetes client's caches in the control plane's directory; stdout,
// stderr and the exit code as they are. Charts are at SourceDir()/charts/NAME.
SubprocessResult Helm(const ControlPlane& cp, const std::vector<std::string>& args);

// Renders `chart` and applies it to `cp` (kubectl apply -f -).
Status InstallChart(ControlPlane& cp, const std::string& chart, const std::string& release, const std::string& ns,
                    const std::vector<std::string>& extra = {});

// Writes to `path` a kubeconfig for `cp` whose user is ServiceAccount
// ns/name (a 2 h token), with the CA embedded when `embed_ca` (as a Secret
// handed to the operator must be) or by file otherwise.
Status WriteServiceAccountKubeconfig(ControlPlane& cp, const std::string& ns, const std::string& name,
                                     const std::string& path, bool embed_ca = false);

}  // namespace oncoatlas::testing
