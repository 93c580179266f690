// Clean Pixel Data (PS3.15 E.3.1) for one DCMTK data set: blanks the given
// rectangles in every frame of the image. Part of agents/dicom/, the only layer
// that includes DCMTK. Stateless; calls on distinct data sets may run in
// parallel once RegisterPixelDecoders() has returned.
#pragma once

#include "dicom/internal/dicom_only.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <string>
#include <vector>

#include "core/status.h"
#include "deid/pixel_bits.h"
#include "deid/profile.h"

class DcmDataset;
class DcmPixelData;

namespace oncoatlas::dicom {

// Whether an instance may be stored as far as burned-in text goes: a
// FailedPrecondition when it may show burned-in text (Burned In Annotation
// YES or any value but an exact NO, or absent on an image of a modality or SOP
// class that often carries it) and is not `cleaned` (no burned-in text rule matched it). The reason
// names the device (modality, manufacturer, model, matrix), never patient
// values, and says which option or rule to add. Pure; thread-safe.
Status CheckBurnedInText(const std::string& burned_in_annotation, const std::string& sop_class, bool has_pixel_data,
                         const deid::ProfileOptions& options, const deid::ImageDevice& device, bool cleaned);

// Registers DCMTK's RLE, JPEG (baseline, extended, lossless) and JPEG-LS
// decoders, once per process; later calls do nothing. Thread-safe.
void RegisterPixelDecoders();

// The top-level Pixel Data (7FE0,0010) when DCMTK holds it as pixel data;
// null when absent or when a damaged file gave it another class (then it must
// not be treated as pixels).
DcmPixelData* FindPixelData(DcmDataset* ds);

// Decodes encapsulated Pixel Data (RLE, JPEG, JPEG-LS) in place; `*xfer`
// becomes Explicit VR Little Endian, in which the caller must write the data
// set. Native data is left alone. An error names the transfer syntax it cannot
// decode, or, for JPEG and JPEG-LS, why the first fragment's header cannot be
// walked to its frame header (then DCMTK never sees it: see jpeg_header.h).
Status DecodePixelData(DcmDataset* ds, E_TransferSyntax* xfer);

// Sets every sample inside `regions` to 0 in every frame (Number of Frames) of
// `ds`'s Pixel Data (7FE0,0010). Native data of 8, 16 or 32 bits allocated, 1
// or 3 samples per pixel, planar configuration 0 or 1 is cleaned in place.
// Encapsulated data is decoded first (RLE, JPEG, JPEG-LS) and `*xfer` becomes
// Explicit VR Little Endian, in which the caller must write the data set.
// REQUIRES: every region lies inside Rows x Columns (the caller matched a
// validated rule); none is clipped.
// A layout it cannot clean is an error naming it: the caller quarantines the
// instance rather than pass it on uncleaned. On error `ds` may be half decoded.
Status BlankRegions(DcmDataset* ds, const std::vector<deid::PixelRegion>& regions, E_TransferSyntax* xfer);

// The sample layout of `ds`'s Pixel Data (7FE0,0010): Bits Allocated, Bits
// Stored, High Bit and Pixel Representation. allocated is 0 when there is
// nothing the agent reads as samples (no Pixel Data, no Bits Stored, or Bits
// Allocated other than 8, 16 or 32). InvalidArgument when the values do not
// fit together (the instance is quarantined).
Result<deid::SampleBits> ReadSampleBits(DcmDataset* ds);

// Clears the bits outside Bits Stored of every sample (deid/pixel_bits.h).
// Native data is cleared in place. Encapsulated data is left as it is when its
// code stream cannot hold such bits (JPEG or JPEG-LS whose sample precision is
// at most Bits Stored); RLE and deeper JPEG streams are decoded first and
// `*xfer` becomes Explicit VR Little Endian; other encapsulated syntaxes
// (JPEG 2000, video) are left as they are. An error names what cannot be
// decoded; the caller quarantines the instance.
Status ClearUnusedPixelBits(DcmDataset* ds, const deid::SampleBits& bits, E_TransferSyntax* xfer);

}  // namespace oncoatlas::dicom
