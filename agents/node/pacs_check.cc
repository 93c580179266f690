#include "node/pacs_check.h"

#include <dirent.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dicom/dicom_echo.h"
#include "node/http_get.h"

namespace oncoatlas::agent {
namespace {

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// A credentials file's content without a trailing newline; nullopt when absent.
Result<std::optional<std::string>> ReadSecretFile(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError("cannot read " + path + "; check the mounted PACS credentials' permissions");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string v = ss.str();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return std::optional<std::string>(v);
}

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
    auto url = ParseHttpUrl(probe);
    if (!url.ok()) return {false, "DICOMweb " + config_.url + ": " + url.status().message()};
    HttpGetOptions options;
    options.timeout = timeout_;
    options.headers.emplace_back("Accept", "application/dicom+json");
    // Read on every check, as mounted Secrets change in place.
    if (!config_.credentials_dir.empty()) {
      const std::string& dir = config_.credentials_dir;
      auto user = ReadSecretFile(dir, "username");
      auto pass = ReadSecretFile(dir, "password");
      auto token = ReadSecretFile(dir, "token");
      auto ca = ReadSecretFile(dir, "ca.crt");
      for (const auto* r : {&user, &pass, &token, &ca}) {
        if (!r->ok()) return {false, "DICOMweb " + config_.url + ": " + r->status().message()};
      }
      if (user->has_value() != pass->has_value()) {
        return {false, "DICOMweb " + config_.url + ": " + dir + " holds only one of username and password; give both"};
      }
      if (user->has_value()) {
        options.headers.emplace_back("Authorization", "Basic " + Base64(**user + ":" + **pass));
      } else if (token->has_value()) {
        options.headers.emplace_back("Authorization", "Bearer " + **token);
      }
      if (ca->has_value()) options.extra_ca_pem = **ca;
    }
    auto r = HttpGet(*url, options);
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
