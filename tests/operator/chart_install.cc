#include "chart_install.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/base64.h"

namespace oncoatlas::testing {

namespace fs = std::filesystem;

std::string HelmPath() {
  const std::string dirs = ToolPath() + ":";
  for (std::size_t start = 0, end; (end = dirs.find(':', start)) != std::string::npos; start = end + 1) {
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "helm";
    if (fs::exists(candidate)) return candidate.string();
  }
  return "helm";
}

Result<std::string> HelmTemplate(const std::string& chart, const std::string& release, const std::string& ns,
                                 const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {HelmPath(),    "template", release, SourceDir() + "/charts/" + chart,
                                   "--namespace", ns};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = RunSubprocess(argv);
  if (!r.ok()) return r.status();
  if (!r->success()) return InvalidArgumentError("helm template " + chart + " failed: " + r->Describe());
  return r->out;
}

SubprocessResult Helm(const ControlPlane& cp, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {HelmPath(), "--kubeconfig", cp.kubeconfig()};
  argv.insert(argv.end(), args.begin(), args.end());
  SubprocessOptions options;
  options.working_dir = SourceDir();
  const std::string home = cp.dir() + "/helm";
  options.env = {{"HELM_CACHE_HOME", home + "/cache"},
                 {"HELM_CONFIG_HOME", home + "/config"},
                 {"HELM_DATA_HOME", home + "/data"},
                 {"KUBECACHEDIR", home + "/kube-cache"}};
  options.timeout = std::chrono::minutes(2);
  auto r = RunSubprocess(argv, options);
  if (r.ok()) return std::move(r).value();
  SubprocessResult failed;
  failed.err = r.status().ToString();
  return failed;
}

Status InstallChart(ControlPlane& cp, const std::string& chart, const std::string& release, const std::string& ns,
                    const std::vector<std::string>& extra) {
  auto rendered = HelmTemplate(chart, release, ns, extra);
  if (!rendered.ok()) return rendered.status();
  const SubprocessResult r = cp.Kubectl({"apply", "-f", "-"}, *rendered);
  if (!r.success()) return InternalError("kubectl apply of chart " + chart + " failed: " + r.Describe());
  return Status::Ok();
}

Status WriteServiceAccountKubeconfig(ControlPlane& cp, const std::string& ns, const std::string& name,
                                     const std::string& path, bool embed_ca) {
  const SubprocessResult r = cp.Kubectl({"-n", ns, "create", "token", name, "--duration", "2h"});
  if (!r.success()) return InternalError("kubectl create token " + ns + "/" + name + " failed: " + r.Describe());
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  const std::string ca_path = cp.dir() + "/pki/ca.crt";
  nlohmann::json cluster = {{"server", cp.server()}};
  if (embed_ca) {
    std::ifstream in(ca_path);
    std::stringstream ca;
    ca << in.rdbuf();
    cluster["certificate-authority-data"] = EncodeBase64(ca.str());
  } else {
    cluster["certificate-authority"] = ca_path;
  }
  const nlohmann::json kubeconfig = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", {{{"name", "cluster"}, {"cluster", cluster}}}},
      {"users", {{{"name", name}, {"user", {{"token", token}}}}}},
      {"contexts", {{{"name", name}, {"context", {{"cluster", "cluster"}, {"user", name}, {"namespace", ns}}}}}},
      {"current-context", name}};
  std::ofstream out(path);
  out << kubeconfig.dump(2);  // JSON is YAML
  if (!out.good()) return InternalError("cannot write " + path);
  return Status::Ok();
}

}  // namespace oncoatlas::testing
