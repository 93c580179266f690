// DICOM verification (C-ECHO) against a PACS with DCMTK: opens an association
// offering the Verification SOP class, sends one C-ECHO and releases it.
// Each call opens its own association; safe to call from several threads.
#pragma once

#include "core/status.h"
#include "dicom/dimse_source.h"

namespace oncoatlas::dicom {

// OK when the PACS answered the C-ECHO with Success. Otherwise Unavailable,
// with a one-line message that names the PACS and the cause, e.g.
// "C-ECHO to ORTHANC@127.0.0.1:4242 failed: connection refused".
Status DicomEcho(const DimseEndpoint& endpoint);

}  // namespace oncoatlas::dicom
