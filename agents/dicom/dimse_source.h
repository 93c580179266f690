// An ImageSource that reads a PACS over DIMSE (DCMTK): C-FIND at study level
// with the Dataset's filters, then series and image level to name every
// instance, and C-GET, or C-MOVE to the agent's own C-STORE SCP, to retrieve
// one. Keys are PacsInstanceKey()s (the PACS's original UIDs: keys stay at the
// site, in the index's source table), the same as the DICOMweb source's.
//
// List() opens its own association. C-GET Fetch() calls share one association,
// negotiated on first use with every SOP class List() found and opened again
// once when it breaks; an instance of a class List() did not report gets an
// association of its own, as does every C-MOVE. Not thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ingest/image_source.h"
#include "ingest/source_query.h"

namespace oncoatlas::dicom {

enum class DimseRetrieval {
  kGet,   // C-GET: the instances come back on the same association
  kMove,  // C-MOVE to calling_aet: the PACS connects to the agent's C-STORE SCP
};

struct DimseEndpoint {
  std::string host;
  int port = 104;
  std::string called_aet;                 // the PACS's AE title
  std::string calling_aet = "ONCOATLAS";  // ours; also the C-MOVE destination
  std::chrono::seconds timeout{30};
  DimseRetrieval retrieval = DimseRetrieval::kGet;
  // With kMove: the port the agent's C-STORE SCP listens on. The PACS must
  // know calling_aet as a destination at this host and port.
  int store_port = 0;
};

// What to take from the PACS. Empty fields do not filter.
using DimseQuery = agent::SourceQuery;

// Validates the endpoint and query (AE titles, ports, date range syntax).
// With kMove, starts the C-STORE SCP (and fails if its port cannot be opened);
// it stops when the source is destroyed.
Result<std::unique_ptr<agent::ImageSource>> MakeDimseSource(DimseEndpoint endpoint, DimseQuery query);

}  // namespace oncoatlas::dicom
