// Internal to agents/dicom/: turns a data set DCMTK received over the network
// into a Part 10 file in memory (fresh file meta, the transfer syntax it
// arrived in). Thread-safe: touches only its argument.
#pragma once

#include <dcmtk/config/osconfig.h>  // must come first
#include <dcmtk/dcmdata/dcdatset.h>

#include <string>

#include "core/status.h"

namespace oncoatlas::dicom {

// Takes ownership of `dataset`.
Result<std::string> EncodePart10(DcmDataset* dataset);

}  // namespace oncoatlas::dicom
