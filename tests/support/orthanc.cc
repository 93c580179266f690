#include "support/orthanc.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/subprocess.h"
#include "support/control_plane.h"
#include "support/files.h"

namespace oncoatlas::testing {
namespace {

std::string Script() { return SourceDir() + "/e2e/orthanc"; }

std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<OrthancServer>> OrthancServer::Start(const std::string& name, const std::string& aet) {
  auto made = MakeTempDir("oncoatlas-pacs-" + name + "-");
  if (!made.ok()) return made.status();
  const std::string tmpl = *made;
  std::unique_ptr<OrthancServer> s(new OrthancServer());
  s->dir_ = tmpl + "/" + name;
  auto r = RunSubprocess(
      {"bash", Script(), "up", "--dir", s->dir_, "--aet", aet, "--watch-pid", std::to_string(::getpid())});
  if (!r.ok()) return r.status();
  if (!r->success()) return UnavailableError("e2e/orthanc up failed (" + r->Describe() + ")");
  s->running_ = true;
  auto env = ReadEnvFile(s->dir_ + "/ports.env");
  s->url_ = env["ORTHANC_URL"];
  s->dicomweb_url_ = env["ORTHANC_DICOMWEB_URL"];
  s->aet_ = env["ORTHANC_AET"];
  s->username_ = env["ORTHANC_USERNAME"];
  s->dicom_port_ = std::atoi(env["ORTHANC_DICOM_PORT"].c_str());
  std::ifstream pw(env["ORTHANC_PASSWORD_FILE"]);
  std::getline(pw, s->password_);
  if (s->url_.empty() || s->dicom_port_ == 0 || s->password_.empty()) {
    return InternalError("e2e/orthanc up did not leave a complete ports.env in " + s->dir_);
  }
  return s;
}

OrthancServer::~OrthancServer() { (void)Stop(); }

Status OrthancServer::Stop() {
  if (!running_) return Status::Ok();
  running_ = false;
  auto r = RunSubprocess({"bash", Script(), "down", "--dir", dir_});
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(dir_).parent_path(), ec);
  if (!r.ok()) return r.status();
  if (!r->success()) return InternalError("e2e/orthanc down failed (" + r->Describe() + ")");
  return Status::Ok();
}

Status OrthancServer::Pause() {
  if (!running_) return FailedPreconditionError("Orthanc in " + dir_ + " is not up");
  auto r = RunSubprocess({"bash", Script(), "stop", "--dir", dir_});
  if (!r.ok()) return r.status();
  if (!r->success()) return InternalError("e2e/orthanc stop failed (" + r->Describe() + ")");
  return Status::Ok();
}

Status OrthancServer::Resume() {
  if (!running_) return FailedPreconditionError("Orthanc in " + dir_ + " is not up");
  auto r = RunSubprocess({"bash", Script(), "start", "--dir", dir_});
  if (!r.ok()) return r.status();
  if (!r->success()) return UnavailableError("e2e/orthanc start failed (" + r->Describe() + ")");
  return Status::Ok();
}

}  // namespace oncoatlas::testing
