// Test support: a real Orthanc PACS (Debian's, with the DICOMweb plugin)
// started through e2e/orthanc on free loopback ports, with HTTP
// authentication on. Stops in its destructor, and through the script's reaper
// when the test binary dies. Not thread-safe: start and stop from one thread.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace oncoatlas::testing {

class OrthancServer {
 public:
  // Starts an instance named `name` whose DICOM AE title is `aet`.
  static Result<std::unique_ptr<OrthancServer>> Start(const std::string& name, const std::string& aet = "ORTHANC");
  ~OrthancServer();
  OrthancServer(const OrthancServer&) = delete;
  OrthancServer& operator=(const OrthancServer&) = delete;

  Status Stop();
  // Ends the Orthanc process (connections are refused) but keeps its ports,
  // storage and password; Resume starts it again on the same ports, so a
  // configuration that names it stays valid.
  Status Pause();
  Status Resume();

  const std::string& url() const { return url_; }                    // http://127.0.0.1:PORT
  const std::string& dicomweb_url() const { return dicomweb_url_; }  // .../dicom-web
  int dicom_port() const { return dicom_port_; }
  const std::string& aet() const { return aet_; }
  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }
  const std::string& dir() const { return dir_; }

 private:
  OrthancServer() = default;
  std::string dir_, url_, dicomweb_url_, aet_, username_, password_;
  int dicom_port_ = 0;
  bool running_ = false;
};

}  // namespace oncoatlas::testing
