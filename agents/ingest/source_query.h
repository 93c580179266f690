// What a Dataset takes from a PACS, shared by the DICOMweb and DIMSE sources so
// both select exactly the same instances: studies matching the date range and
// (when given) one of the accession numbers or study UIDs, and within them the
// series whose Modality is listed (all series when no modality is listed).
// Plain values; not synchronized.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace oncoatlas::agent {

struct SourceQuery {
  std::string study_date_range;         // DICOM range, e.g. "20200101-20231231"; empty: any date
  std::vector<std::string> modalities;  // series kept when their Modality is listed
  std::vector<std::string> accession_numbers;
  std::vector<std::string> study_instance_uids;

  // Names the field at fault and the accepted forms.
  Status Validate() const;
};

// "", "YYYYMMDD", "YYYYMMDD-", "-YYYYMMDD" or "YYYYMMDD-YYYYMMDD".
bool IsDicomDateRange(const std::string& range);
// 1-64 characters of digits and dots.
bool IsDicomUid(const std::string& uid);

// Source keys of PACS instances: "<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>"
// with the PACS's own UIDs (keys stay at the site). Both PACS sources use them,
// so a dataset's record does not depend on the protocol it came through.
std::string PacsInstanceKey(const std::string& study, const std::string& series, const std::string& sop);
// The three UIDs of a key, or an empty vector when `key` is not one.
std::vector<std::string> SplitPacsInstanceKey(const std::string& key);

}  // namespace oncoatlas::agent
