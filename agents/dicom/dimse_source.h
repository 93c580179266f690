// An ImageSource that reads a PACS over DIMSE (DCMTK): C-FIND at study level
// with the Dataset's filters, then series and image level to name every
// instance, and C-GET to retrieve one. Keys are
// "<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>" (the PACS's
// original UIDs: keys stay at the site, in the index's source table).
//
// Each call opens its own association; a DimseSource is not thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ingest/image_source.h"

namespace oncoatlas::dicom {

struct DimseEndpoint {
  std::string host;
  int port = 104;
  std::string called_aet;                 // the PACS's AE title
  std::string calling_aet = "ONCOATLAS";  // ours
  std::chrono::seconds timeout{30};
};

// What to take from the PACS. Empty fields do not filter.
struct DimseQuery {
  std::string study_date_range;         // DICOM range, e.g. "20200101-20231231"
  std::vector<std::string> modalities;  // series kept when their Modality is listed
  std::vector<std::string> accession_numbers;
  std::vector<std::string> study_instance_uids;
};

// Validates the endpoint and query (AE titles, port, date range syntax).
Result<std::unique_ptr<agent::ImageSource>> MakeDimseSource(DimseEndpoint endpoint, DimseQuery query);

}  // namespace oncoatlas::dicom
