#include "node/pacs_check.h"

#include <dirent.h>

#include <cerrno>
#include <filesystem>

#include "dicom/dicom_echo.h"
#include "http/client.h"

namespace oncoatlas::agent {
namespace {

class DimseChecker final : public PacsChecker {
 public:
  DimseChecker(const DimsePacsConfig& c, std::chrono::milliseconds timeout) {
    endpoint_.host = c.host;
    endpoint_.port = c.port;
    endpoint_.called_aet = c.called_ae_title;
    endpoint_.calling_aet = c.calling_ae_title;
    endpoint_.timeout = std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(timeout));
  }
  PacsCheckResult Check() override {
    Status s = dicom::DicomEcho(endpoint_);
    if (!s.ok()) return {false, s.message()};
    return {true, "C-ECHO to " + endpoint_.called_aet + "@" + endpoint_.host + ":" + std::to_string(endpoint_.port) +
                      " succeeded"};
  }

 private:
  dicom::DimseEndpoint endpoint_;
};

class DicomwebChecker final : public PacsChecker {
 public:
  DicomwebChecker(const DicomwebPacsConfig& c, std::chrono::milliseconds timeout) : config_(c), timeout_(timeout) {}

  PacsCheckResult Check() override {
    std::string base = config_.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    const std::string probe = base + "/studies?limit=1";
    // Read on every check, as mounted Secrets change in place.
    auto options = http::ReadCredentialsFolder(config_.credentials_dir);
    if (!options.ok()) return {false, "DICOMweb " + config_.url + ": " + options.status().message()};
    options->timeout = timeout_;
    auto client = http::Client::Create(config_.url, *options);
    if (!client.ok()) return {false, "DICOMweb " + config_.url + ": " + client.status().message()};
    auto r = client->Send("GET", "/studies?limit=1", "application/dicom+json");
    if (!r.ok()) return {false, "DICOMweb GET " + probe + " failed: " + r.status().message()};
    const int code = r->status;
    const std::string answered = "DICOMweb GET " + probe + " answered HTTP " + std::to_string(code);
    if (code == 200 || code == 204) return {true, answered};
    if (code == 401 || code == 403) {
      return {false, answered + ": the PACS refused the credentials" +
                         (config_.credentials_dir.empty()
                              ? std::string(" (none configured: set the DataNode's "
                                            "spec.pacs.dicomweb.credentialsSecretRef)")
                              : "; check username/password (or token) in " + config_.credentials_dir)};
    }
    if (code == 404) return {false, answered + "; check that the URL is the DICOMweb root (e.g. ending in /dicom-web)"};
    if (code >= 300 && code < 400) {
      return {false, answered + " (a redirect to " + r->location +
                         ", not followed); set the URL to the DICOMweb root the PACS answers on"};
    }
    return {false, answered + "; the PACS is up but not answering QIDO-RS"};
  }

 private:
  DicomwebPacsConfig config_;
  std::chrono::milliseconds timeout_;
};

class FolderChecker final : public PacsChecker {
 public:
  explicit FolderChecker(const FolderPacsConfig& c) : path_(c.path) {}
  PacsCheckResult Check() override {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) {
      return {false, "import folder " + path_ + " does not exist; mount it or fix spec.pacs.folder.path"};
    }
    if (!std::filesystem::is_directory(path_, ec)) {
      return {false, "import folder " + path_ + " is not a directory; fix spec.pacs.folder.path"};
    }
    DIR* d = ::opendir(path_.c_str());
    if (d == nullptr) {
      return {false, "import folder " + path_ + " cannot be read (" + ErrnoString(errno) +
                         "); give the agent's user read access"};
    }
    ::closedir(d);
    return {true, "import folder " + path_ + " is readable"};
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<PacsChecker> MakePacsChecker(const PacsConfig& pacs, std::chrono::milliseconds timeout) {
  if (const auto* d = std::get_if<DicomwebPacsConfig>(&pacs.source))
    return std::make_unique<DicomwebChecker>(*d, timeout);
  if (const auto* d = std::get_if<DimsePacsConfig>(&pacs.source)) return std::make_unique<DimseChecker>(*d, timeout);
  return std::make_unique<FolderChecker>(std::get<FolderPacsConfig>(pacs.source));
}

}  // namespace oncoatlas::agent
