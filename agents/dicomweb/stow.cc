#include "dicomweb/stow.h"

#include <nlohmann/json.hpp>

#include "dicomweb/multipart.h"

namespace oncoatlas::dicomweb {

Status StowInstances(const http::Client& http, const std::vector<std::string_view>& instances) {
  if (instances.empty()) return Status::Ok();
  const std::string boundary = ChooseBoundary(instances);
  const std::string body = MakeMultipart(boundary, "application/dicom", instances);
  auto reply = http.Send("POST", "/studies", "application/dicom+json",
                         "multipart/related; type=\"application/dicom\"; boundary=" + boundary, body);
  if (!reply.ok()) return reply.status().WithContext("STOW-RS");
  std::size_t failed = 0;
  if (!reply->body.empty()) {
    try {
      auto answer = nlohmann::json::parse(reply->body);
      auto seq = answer.find("00081198");  // Failed SOP Sequence
      if (seq != answer.end() && seq->is_object() && seq->contains("Value") && (*seq)["Value"].is_array()) {
        failed = (*seq)["Value"].size();
      }
    } catch (const nlohmann::json::exception&) {
      // Not every server answers JSON; the status code then decides alone.
    }
  }
  if (reply->status != 200 || failed > 0) {
    std::string hint = reply->status == 401 || reply->status == 403 ? " (check the user name and password)" : "";
    return UnavailableError("STOW-RS to " + http.base().ToString() + " answered HTTP " + std::to_string(reply->status) +
                            "; " + std::to_string(failed) + " of " + std::to_string(instances.size()) +
                            " instances refused" + hint);
  }
  return Status::Ok();
}

}  // namespace oncoatlas::dicomweb
