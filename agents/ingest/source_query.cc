#include "ingest/source_query.h"

#include <algorithm>
#include <sstream>

namespace oncoatlas::agent {
namespace {

bool IsDate(const std::string& s) {
  return s.size() == 8 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Accession numbers are SH: at most 16 characters, no backslash or control characters.
bool IsAccessionNumber(const std::string& s) {
  return !s.empty() && s.size() <= 16 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '\\'; });
}

bool IsModality(const std::string& s) {
  return !s.empty() && s.size() <= 16 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

bool IsDicomDateRange(const std::string& r) {
  if (r.empty()) return true;
  auto dash = r.find('-');
  if (dash == std::string::npos) return IsDate(r);
  std::string from = r.substr(0, dash), to = r.substr(dash + 1);
  if (from.empty() && to.empty()) return false;
  return (from.empty() || IsDate(from)) && (to.empty() || IsDate(to));
}

bool IsDicomUid(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

Status SourceQuery::Validate() const {
  if (!IsDicomDateRange(study_date_range)) {
    return InvalidArgumentError("study date range '" + study_date_range +
                                "' is not YYYYMMDD, YYYYMMDD-YYYYMMDD, -YYYYMMDD or YYYYMMDD-");
  }
  for (const auto& m : modalities) {
    if (!IsModality(m)) {
      return InvalidArgumentError("modality '" + m + "' is not a DICOM modality code (upper case, e.g. CT, MR, MG)");
    }
  }
  for (const auto& a : accession_numbers) {
    if (!IsAccessionNumber(a)) {
      return InvalidArgumentError("an accession number is empty, longer than 16 characters or holds a backslash");
    }
  }
  for (const auto& u : study_instance_uids) {
    if (!IsDicomUid(u)) return InvalidArgumentError("study instance UID '" + u + "' is not a DICOM UID");
  }
  return Status::Ok();
}

std::string PacsInstanceKey(const std::string& study, const std::string& series, const std::string& sop) {
  return study + "/" + series + "/" + sop;
}

std::vector<std::string> SplitPacsInstanceKey(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string p;
  while (std::getline(ss, p, '/')) parts.push_back(p);
  if (parts.size() != 3 || key.empty() || key.back() == '/' || !std::all_of(parts.begin(), parts.end(), IsDicomUid)) {
    return {};
  }
  return parts;
}

}  // namespace oncoatlas::agent
