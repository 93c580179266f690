// Internal to agents/dicom/: what the DIMSE users (C-ECHO, the C-FIND/C-GET/
// C-MOVE source and the C-STORE SCP) share: the transfer syntaxes they propose
// or accept, and a DcmSCU aimed at an endpoint. Thread-safe: the lists are
// immutable; ConfigureScu touches only its argument.
#pragma once

#include "dicom/internal/dicom_only.h"

#include <dcmtk/config/osconfig.h>  // must come first
#include <dcmtk/dcmnet/scu.h>

#include "dicom/dimse_source.h"

namespace oncoatlas::dicom {

// Explicit, then implicit VR little endian: for queries, retrieves and echoes.
const OFList<OFString>& UncompressedSyntaxes();

// Accepted for incoming instances: uncompressed first (preferred), then the
// common compressed ones so the PACS need not transcode.
const OFList<OFString>& StorageSyntaxes();

// Our AE title, the peer's address and AE title, and `ep.timeout` for
// connecting, association and DIMSE (non-blocking) messages.
void ConfigureScu(DcmSCU& scu, const DimseEndpoint& ep);

}  // namespace oncoatlas::dicom
