#include "dicomweb/dicomweb_source.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "dicomweb/multipart.h"

namespace oncoatlas::dicomweb {
namespace {

constexpr const char* kStudyUid = "0020000D";
constexpr const char* kSeriesUid = "0020000E";
constexpr const char* kSopUid = "00080018";
constexpr const char* kModality = "00080060";
constexpr const char* kModalitiesInStudy = "00080061";

// The string values of `tag` in a DICOM JSON object joined by backslashes, or "".
std::string Values(const nlohmann::json& object, const char* tag) {
  auto it = object.find(tag);
  if (it == object.end() || !it->is_object()) return {};
  auto v = it->find("Value");
  if (v == it->end() || !v->is_array()) return {};
  std::string out;
  for (const auto& value : *v) {
    if (!value.is_string()) continue;
    if (!out.empty()) out += "\\";
    out += value.get<std::string>();
  }
  return out;
}

std::vector<std::string> SplitValues(const std::string& joined) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= joined.size()) {
    std::size_t end = joined.find('\\', start);
    if (end == std::string::npos) end = joined.size();
    out.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class DicomWebSource : public agent::ImageSource {
 public:
  DicomWebSource(http::Client http, DicomWebEndpoint ep, agent::SourceQuery q)
      : http_(std::move(http)), ep_(std::move(ep)), query_(std::move(q)) {}

  std::string Describe() const override { return "DICOMweb " + http_.base().ToString(); }

  Result<std::vector<std::string>> List() override {
    std::set<std::string> studies;
    std::vector<std::string> accessions = query_.accession_numbers;
    if (accessions.empty()) accessions.emplace_back();
    std::vector<std::string> uids = query_.study_instance_uids;
    if (uids.empty()) uids.emplace_back();
    // One search per combination of listed values: servers differ in how they
    // match lists, single values they all match alike. ModalitiesInStudy is
    // read from the answers and matched here rather than sent as a filter:
    // some servers (Orthanc 1.10's DICOMweb plugin) apply limit/offset before
    // that filter, so paging through its matches loses studies.
    std::map<std::string, std::string> studies_found;  // study UID -> its modalities, "\\"-separated
    for (const std::string& accession : accessions) {
      for (const std::string& uid : uids) {
        std::string filter = "&includefield=00080061";
        if (!query_.study_date_range.empty()) filter += "&StudyDate=" + http::UrlEncode(query_.study_date_range);
        if (!accession.empty()) filter += "&AccessionNumber=" + http::UrlEncode(accession);
        if (!uid.empty()) filter += "&StudyInstanceUID=" + http::UrlEncode(uid);
        auto found = Search("/studies", filter, {kStudyUid, kModalitiesInStudy});
        if (!found.ok()) return found.status().WithContext("study search on " + Describe());
        for (auto& row : *found) studies_found[row[0]] = row[1];
      }
    }
    for (const auto& [study, in_study] : studies_found) {
      if (query_.modalities.empty() || in_study.empty()) {
        studies.insert(study);  // no filter, or the server did not say: the series decide
        continue;
      }
      std::vector<std::string> present = SplitValues(in_study);
      for (const auto& m : query_.modalities) {
        if (std::find(present.begin(), present.end(), m) != present.end()) {
          studies.insert(study);
          break;
        }
      }
    }
    std::vector<std::string> keys;
    for (const std::string& study : studies) {
      if (!agent::IsDicomUid(study)) continue;
      auto series = Search("/studies/" + study + "/series", "", {kSeriesUid, kModality});
      if (!series.ok()) return series.status().WithContext("series search on " + Describe());
      for (const auto& s : *series) {
        const std::string& series_uid = s[0];
        if (!agent::IsDicomUid(series_uid)) continue;
        if (!query_.modalities.empty() &&
            std::find(query_.modalities.begin(), query_.modalities.end(), s[1]) == query_.modalities.end()) {
          continue;
        }
        auto instances = Search("/studies/" + study + "/series/" + series_uid + "/instances", "", {kSopUid});
        if (!instances.ok()) return instances.status().WithContext("instance search on " + Describe());
        for (const auto& i : *instances) {
          if (agent::IsDicomUid(i[0])) keys.push_back(agent::PacsInstanceKey(study, series_uid, i[0]));
        }
      }
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

  Result<std::string> Fetch(const std::string& key) override {
    std::vector<std::string> m = agent::SplitPacsInstanceKey(key);
    if (m.empty()) return InvalidArgumentError("not a DICOMweb source key: '" + key + "'");
    const std::string target = "/studies/" + m[0] + "/series/" + m[1] + "/instances/" + m[2];
    // As stored (no transcoding); a server that cannot honour that gets the default.
    auto reply = http_.Send("GET", target, "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
    if (reply.ok() && reply->status == 406) {
      reply = http_.Send("GET", target, "multipart/related; type=\"application/dicom\"");
    }
    if (!reply.ok()) return reply.status();
    if (reply->status == 404) return NotFoundError(Describe() + " has no instance " + key);
    ONCOATLAS_RETURN_IF_ERROR(CheckStatus(*reply, "WADO-RS retrieve of " + key));
    auto parts = ParseMultipart(reply->content_type, reply->body);
    if (!parts.ok()) return parts.status().WithContext("WADO-RS answer for " + key + " from " + Describe());
    std::vector<MultipartPart*> dicom;
    for (auto& p : *parts) {
      auto type = ParseContentType(p.headers.count("content-type") ? p.headers["content-type"] : "application/dicom");
      if (type.ok() && (*type)[""] == "application/dicom") dicom.push_back(&p);
    }
    if (dicom.size() != 1) {
      return InternalError("WADO-RS answer for " + key + " from " + Describe() + " holds " +
                           std::to_string(dicom.size()) + " application/dicom parts, expected 1");
    }
    return std::move(dicom.front()->body);
  }

 private:
  Status CheckStatus(const http::Reply& reply, const std::string& what) const {
    if (reply.status >= 200 && reply.status < 300) return Status::Ok();
    std::string hint;
    if (reply.status == 401 || reply.status == 403)
      hint = " (check the source's credentials: user name and password, or token)";
    return UnavailableError(what + " on " + Describe() + " answered HTTP " + std::to_string(reply.status) + hint);
  }

  // Runs a QIDO-RS search page by page; returns per match the values of `tags`.
  Result<std::vector<std::vector<std::string>>> Search(const std::string& path, const std::string& filter,
                                                       const std::vector<const char*>& tags) {
    std::vector<std::vector<std::string>> rows;
    std::set<std::vector<std::string>> seen;
    const int limit = std::max(1, ep_.page_size);
    for (int offset = 0;; offset += limit) {
      std::string target = path + "?limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset) + filter;
      auto reply = http_.Send("GET", target, "application/dicom+json");
      if (!reply.ok()) return reply.status();
      if (reply->status == 204) break;  // no (more) matches
      ONCOATLAS_RETURN_IF_ERROR(CheckStatus(*reply, "QIDO-RS " + path));
      nlohmann::json page;
      try {
        page = nlohmann::json::parse(reply->body);
      } catch (const nlohmann::json::exception& e) {
        return InternalError("QIDO-RS " + path + " on " + Describe() + " did not answer JSON: " + e.what());
      }
      if (!page.is_array()) return InternalError("QIDO-RS " + path + " on " + Describe() + " did not answer an array");
      std::size_t fresh = 0;
      for (const auto& object : page) {
        std::vector<std::string> row;
        for (const char* t : tags) row.push_back(Values(object, t));
        if (seen.insert(row).second) {
          rows.push_back(std::move(row));
          ++fresh;
        }
      }
      // A short page ends the search; so does a page with nothing new (a
      // server that ignores offset).
      if (page.size() < static_cast<std::size_t>(limit) || fresh == 0) break;
    }
    return rows;
  }

  http::Client http_;
  DicomWebEndpoint ep_;
  agent::SourceQuery query_;
};

}  // namespace

Result<std::unique_ptr<agent::ImageSource>> MakeDicomWebSource(DicomWebEndpoint endpoint, agent::SourceQuery query) {
  Status valid = query.Validate();
  if (!valid.ok()) return valid.WithContext("DICOMweb source");
  if (endpoint.page_size < 1 || endpoint.page_size > 10000) {
    return InvalidArgumentError("DICOMweb source: page size " + std::to_string(endpoint.page_size) +
                                " is not in 1-10000");
  }
  auto client = http::Client::Create(endpoint.url, endpoint.http);
  if (!client.ok()) return client.status().WithContext("DICOMweb source");
  return std::unique_ptr<agent::ImageSource>(
      new DicomWebSource(std::move(*client), std::move(endpoint), std::move(query)));
}

}  // namespace oncoatlas::dicomweb
