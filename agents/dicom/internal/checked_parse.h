// Reading an untrusted Part 10 file with DCMTK, checked first: the structure
// pre-scan (dicom/nesting_scan.h; a deflated data set is inflated, up to 256
// MiB, and scanned) refuses nesting deeper than `max_depth`, values that run
// past the end and attributes out of order before DCMTK allocates anything a
// damaged file claims. Part of agents/dicom/. Thread-safe.
#pragma once

#include "dicom/internal/dicom_only.h"

#include <memory>
#include <string_view>

#include "core/status.h"

class DcmFileFormat;

namespace oncoatlas::dicom {

// The parsed file, or an InvalidArgument whose message is the quarantine
// reason (never a value from the file).
Result<std::unique_ptr<DcmFileFormat>> ParseChecked(std::string_view bytes, int max_depth);

}  // namespace oncoatlas::dicom
