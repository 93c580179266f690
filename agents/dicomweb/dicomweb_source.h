// An ImageSource that reads a PACS over DICOMweb: QIDO-RS at study level with
// the Dataset's filters (StudyDate range, AccessionNumber, StudyInstanceUID;
// paged with limit/offset; ModalitiesInStudy matched on the answers), then per
// study QIDO-RS for its series (kept when their Modality is listed) and
// instances, and WADO-RS to
// retrieve one instance (multipart/related; type="application/dicom", as
// stored). Keys are agent::PacsInstanceKey()s, as the DIMSE source's, so a
// dataset's record does not depend on the protocol.
//
// Not thread-safe (the pipeline calls one source from one thread).
#pragma once

#include <memory>
#include <string>

#include "http/client.h"
#include "ingest/image_source.h"
#include "ingest/source_query.h"

namespace oncoatlas::dicomweb {

struct DicomWebEndpoint {
  std::string url;           // the DICOMweb root, e.g. https://pacs.example.org/dicom-web
  http::ClientOptions http;  // credentials, CA bundle, timeout
  int page_size = 100;       // QIDO-RS limit per request
};

// Validates the endpoint and query.
Result<std::unique_ptr<agent::ImageSource>> MakeDicomWebSource(DicomWebEndpoint endpoint, agent::SourceQuery query);

}  // namespace oncoatlas::dicomweb
