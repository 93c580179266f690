#include "support/agent_process.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/subprocess.h"
#include "support/control_plane.h"
#include "support/files.h"

namespace oncoatlas::testing {
namespace {

std::string ScriptPath() { return SourceDir() + "/e2e/node-agent"; }

std::string EnvValue(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  std::string line;
  const std::string prefix = "export " + key + "=";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

}  // namespace

Result<std::string> AgentProcess::Script(const std::string& command, std::chrono::seconds timeout) const {
  SubprocessOptions o;
  o.timeout = timeout;
  auto r = RunSubprocess({"bash", ScriptPath(), command, options_.node, "--dir", dir_}, o);
  if (!r.ok()) return r.status();
  if (!r->success())
    return UnavailableError("e2e/node-agent " + command + " " + options_.node + " failed (" + r->Describe() + ")");
  return r->out;
}

Result<std::unique_ptr<AgentProcess>> AgentProcess::Start(const AgentProcessOptions& options) {
  std::unique_ptr<AgentProcess> a(new AgentProcess());
  a->options_ = options;
  auto made = MakeTempDir("oncoatlas-agent-" + options.node + "-");
  if (!made.ok()) return made.status();
  const std::string tmpl = *made;
  a->root_ = tmpl;
  a->dir_ = tmpl + "/" + options.node;
  std::vector<std::string> argv = {"bash",
                                   ScriptPath(),
                                   "up",
                                   options.node,
                                   "--dir",
                                   a->dir_,
                                   "--site-kubeconfig",
                                   options.site_kubeconfig,
                                   "--watch-pid",
                                   std::to_string(::getpid()),
                                   "--timeout",
                                   std::to_string(options.timeout.count())};
  if (!options.site_namespace.empty()) argv.insert(argv.end(), {"--namespace", options.site_namespace});
  if (!options.pacs_credentials_secret.empty()) {
    argv.insert(argv.end(), {"--pacs-credentials-secret", options.pacs_credentials_secret});
  }
  if (!options.agent_binary.empty()) argv.insert(argv.end(), {"--agent", options.agent_binary});
  SubprocessOptions o;
  o.timeout = options.timeout + std::chrono::seconds(30);
  auto r = RunSubprocess(argv, o);
  if (!r.ok()) return r.status();
  a->up_ = true;  // whatever was started is taken down by the destructor
  if (!r->success()) return UnavailableError("e2e/node-agent up " + options.node + " failed (" + r->Describe() + ")");
  a->health_url_ = EnvValue(r->out, "AGENT_HEALTH_URL");
  if (a->health_url_.empty()) return InternalError("e2e/node-agent up printed no AGENT_HEALTH_URL");
  return a;
}

AgentProcess::~AgentProcess() { (void)Down(); }

Status AgentProcess::Down() {
  if (!up_) return Status::Ok();
  up_ = false;
  auto r = Script("down", std::chrono::seconds(60));
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
  return r.ok() ? Status::Ok() : r.status();
}

Status AgentProcess::Kill() {
  auto r = Script("kill", std::chrono::seconds(30));
  return r.ok() ? Status::Ok() : r.status();
}

Result<int> AgentProcess::Terminate() {
  SubprocessOptions o;
  o.timeout = std::chrono::seconds(40);
  auto r = RunSubprocess({"bash", ScriptPath(), "stop", options_.node, "--dir", dir_}, o);
  if (!r.ok()) return r.status();
  std::string out = r->out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.empty() || out.find_first_not_of("0123456789") != std::string::npos) {
    return UnavailableError("e2e/node-agent stop " + options_.node + " printed no exit code (" + r->Describe() + ")");
  }
  return std::stoi(out);
}

Status AgentProcess::Restart() {
  if (pid() != 0) ONCOATLAS_RETURN_IF_ERROR(Kill());
  auto r = Script("start", options_.timeout + std::chrono::seconds(30));
  return r.ok() ? Status::Ok() : r.status();
}

int AgentProcess::Probe(const std::string& path) const {
  auto r = RunSubprocess({"curl", "--silent", "--output", "/dev/null", "--max-time", "5", "--write-out", "%{http_code}",
                          health_url_ + path});
  if (!r.ok()) return 0;
  return std::atoi(r->out.c_str());
}

std::string AgentProcess::Log() const {
  std::ifstream in(dir_ + "/agent.log");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int AgentProcess::pid() const {
  std::ifstream in(dir_ + "/agent.pid");
  int p = 0;
  in >> p;
  if (p <= 0 || ::kill(p, 0) != 0) return 0;
  // The supervisor writes agent.exit when the agent has exited (a zombie still answers kill 0).
  if (std::filesystem::exists(dir_ + "/agent.exit")) return 0;
  return p;
}

}  // namespace oncoatlas::testing
