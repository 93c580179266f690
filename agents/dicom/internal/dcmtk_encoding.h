// Internal to agents/dicom/: writes a DCMTK file or data set as a Part 10 file
// in memory (fresh file meta information), the one serialise loop of the
// DCMTK layer. Thread-safe: touches only its arguments.
#pragma once

#include "dicom/internal/dicom_only.h"

#include <dcmtk/config/osconfig.h>  // must come first
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace oncoatlas::dicom {

// Writes `file` in `xfer`; a deflated data set is flushed out of the
// compression filter to the last byte. `size_hint`: the expected size (one
// allocation usually holds the whole file). Errors read "cannot encode
// <what>: <DCMTK's reason>".
Result<std::string> WritePart10(DcmFileFormat& file, E_TransferSyntax xfer, E_GrpLenEncoding group_length,
                                std::string_view what, std::size_t size_hint = 0);

// A data set received over the network, in the transfer syntax it arrived in
// (explicit little endian when unknown). Takes ownership of `dataset`.
Result<std::string> EncodePart10(DcmDataset* dataset);

}  // namespace oncoatlas::dicom
