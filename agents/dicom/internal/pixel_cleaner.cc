#include "dicom/internal/pixel_cleaner.h"

#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

#include "dicom/internal/attribute_text.h"
#include "dicom/internal/jpeg_header.h"

namespace oncoatlas::dicom {
namespace {

std::string XferName(E_TransferSyntax xfer) {
  DcmXfer x(xfer);
  return std::string(x.getXferName()) + " (" + x.getXferID() + ")";
}

// Modalities whose images often carry burned-in text (PS3.15 E.3.1 and practice).
bool OftenBurnedIn(const std::string& modality, const std::string& sop_class) {
  static const std::set<std::string> kModalities = {"US", "IVUS", "SC",  "OT",  "XA", "RF", "ES", "XC", "GM",
                                                    "SM", "OP",   "DOC", "ECG", "HD", "IO", "PX", "DG", "TG"};
  if (kModalities.count(modality) > 0) return true;
  return sop_class.rfind("1.2.840.10008.5.1.4.1.1.7", 0) == 0;  // the Secondary Capture family
}

std::string DescribeDevice(const deid::ImageDevice& d) {
  std::string s = "modality " + (d.modality.empty() ? std::string("(none)") : d.modality);
  if (!d.manufacturer.empty()) s += ", manufacturer \"" + d.manufacturer + "\"";
  if (!d.model.empty()) s += ", model \"" + d.model + "\"";
  return s + ", " + std::to_string(d.columns) + "x" + std::to_string(d.rows);
}

// DCMTK's JPEG and JPEG-LS decoders read the first fragment after the Basic
// Offset Table for the frame header; it must be walkable first
// (dicom/internal/jpeg_header.h says why).
// Returns the first frame's sample precision, or 0 for other transfer syntaxes.
Result<int> CheckJpegHeader(DcmPixelData* pixels, E_TransferSyntax xfer) {
  JpegFamily family;
  if (xfer >= EXS_JPEGProcess1 && xfer <= EXS_JPEGProcess14SV1) {
    family = JpegFamily::kJpeg;
  } else if (xfer == EXS_JPEGLSLossless || xfer == EXS_JPEGLSLossy) {
    family = JpegFamily::kJpegLs;
  } else {
    return 0;
  }
  DcmPixelSequence* sequence = nullptr;
  DcmPixelItem* fragment = nullptr;
  Uint8* bytes = nullptr;
  if (pixels->getEncapsulatedRepresentation(xfer, nullptr, sequence).bad() || sequence == nullptr ||
      sequence->getItem(fragment, 1).bad() || fragment == nullptr || fragment->getUint8Array(bytes).bad() ||
      bytes == nullptr) {
    return FailedPreconditionError("the compressed Pixel Data (" + XferName(xfer) +
                                   ") has no fragment after its Basic Offset Table");
  }
  Result<JpegFrameHeader> header = WalkJpegHeader(std::span<const std::uint8_t>(bytes, fragment->getLength()), family);
  if (!header.ok()) {
    return FailedPreconditionError("the first fragment of the compressed Pixel Data (" + XferName(xfer) +
                                   ") is malformed: " + header.status().message());
  }
  return int{header->precision};
}

Status Refuse(const std::string& why) {
  return FailedPreconditionError(why + "; such images cannot be cleaned (Clean Pixel Data) and are quarantined");
}

}  // namespace

Status CheckBurnedInText(const std::string& burned_in_annotation, const std::string& sop_class, bool has_pixel_data,
                         const deid::ProfileOptions& options, const deid::ImageDevice& device, bool cleaned) {
  // Only an exact NO vouches for the pixels: a lowercase "yes", "Y" or
  // "UNKNOWN" is not a valid value of the flag, and so is no promise.
  const bool flagged = burned_in_annotation == "YES";
  const bool invalid = !flagged && !burned_in_annotation.empty() && burned_in_annotation != "NO" && has_pixel_data;
  const bool unflagged_risk =
      burned_in_annotation.empty() && has_pixel_data && OftenBurnedIn(device.modality, sop_class);
  if (cleaned || !(flagged || invalid || unflagged_risk)) return Status::Ok();
  std::string why;
  if (flagged) {
    why = "Burned In Annotation is YES";
  } else if (invalid) {
    why = "Burned In Annotation (0028,0301) is neither YES nor NO (an invalid value is no promise of clean pixels)";
  } else {
    why = "Burned In Annotation is absent for modality " +
          (device.modality.empty() ? std::string("(none)") : device.modality) + ", which often carries burned-in text,";
  }
  if (!options.clean_pixel_data) {
    return FailedPreconditionError(why +
                                   " and Clean Pixel Data is not applied; turn it on with a burned-in text region "
                                   "rule for this device (" +
                                   DescribeDevice(device) + ")");
  }
  return FailedPreconditionError(why + " and no burnedInTextRegions rule matches this device (" +
                                 DescribeDevice(device) + "); add a rule for it");
}

void RegisterPixelDecoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    DcmRLEDecoderRegistration::registerCodecs();
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
  });
}

DcmPixelData* FindPixelData(DcmDataset* ds) {
  DcmElement* element = nullptr;
  if (ds->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) return nullptr;
  if (element->ident() != EVR_PixelData) return nullptr;
  return OFstatic_cast(DcmPixelData*, element);
}

Status DecodePixelData(DcmDataset* ds, E_TransferSyntax* xfer) {
  if (!DcmXfer(*xfer).isEncapsulated()) return Status::Ok();
  DcmPixelData* pixels = FindPixelData(ds);
  if (pixels == nullptr) return FailedPreconditionError("the image has no readable Pixel Data (7FE0,0010)");
  ONCOATLAS_RETURN_IF_ERROR(CheckJpegHeader(pixels, *xfer).status());
  RegisterPixelDecoders();
  if (ds->chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad() ||
      !ds->canWriteXfer(EXS_LittleEndianExplicit)) {
    return FailedPreconditionError("Pixel Data is compressed with transfer syntax " + XferName(*xfer) +
                                   ", which the agent cannot decode");
  }
  pixels->removeAllButCurrentRepresentations();
  *xfer = EXS_LittleEndianExplicit;
  return Status::Ok();
}

Status BlankRegions(DcmDataset* ds, const std::vector<deid::PixelRegion>& regions, E_TransferSyntax* xfer) {
  DcmPixelData* pixels = FindPixelData(ds);
  if (pixels == nullptr) {
    if (ds->tagExists(DCM_FloatPixelData) || ds->tagExists(DCM_DoubleFloatPixelData)) {
      return Refuse("the image holds Float or Double Float Pixel Data");
    }
    return Refuse("the image has no readable Pixel Data (7FE0,0010)");
  }
  if (Status decoded = DecodePixelData(ds, xfer); !decoded.ok()) return Refuse(decoded.message());

  Uint16 rows = 0, columns = 0, bits_allocated = 0, samples = 0, planar = 0;
  if (ds->findAndGetUint16(DCM_Rows, rows).bad() || ds->findAndGetUint16(DCM_Columns, columns).bad() || rows == 0 ||
      columns == 0) {
    return Refuse("Rows or Columns is missing or 0");
  }
  if (ds->findAndGetUint16(DCM_BitsAllocated, bits_allocated).bad() ||
      (bits_allocated != 8 && bits_allocated != 16 && bits_allocated != 32)) {
    return Refuse("Bits Allocated is " +
                  (bits_allocated == 0 ? std::string("missing") : std::to_string(bits_allocated)) +
                  ", not 8, 16 or 32");
  }
  if (ds->findAndGetUint16(DCM_SamplesPerPixel, samples).bad()) samples = 1;
  if (samples != 1 && samples != 3) return Refuse("Samples per Pixel is " + std::to_string(samples) + ", not 1 or 3");
  if (samples == 3) {
    if (ds->findAndGetUint16(DCM_PlanarConfiguration, planar).bad()) planar = 0;
    if (planar > 1) return Refuse("Planar Configuration is " + std::to_string(planar) + ", not 0 or 1");
  }
  const std::string photometric = AttributeText(ds, DCM_PhotometricInterpretation);
  if (photometric.find("422") != std::string::npos || photometric.find("420") != std::string::npos) {
    return Refuse("Photometric Interpretation " + photometric + " shares chroma samples between pixels");
  }
  if (bits_allocated == 8 && (*xfer == EXS_BigEndianExplicit || *xfer == EXS_BigEndianImplicit)) {
    return Refuse("8-bit Pixel Data in a big endian transfer syntax");
  }
  long frames = 1;
  std::string frames_text = AttributeText(ds, DCM_NumberOfFrames);
  if (!frames_text.empty()) {
    try {
      frames = std::stol(frames_text);
    } catch (const std::exception&) {
      frames = 0;
    }
    if (frames < 1) return Refuse("Number of Frames is \"" + frames_text + "\"");
  }

  const std::uint64_t bytes_per_sample = bits_allocated / 8u;
  const std::uint64_t frame_bytes = std::uint64_t{rows} * columns * samples * bytes_per_sample;
  const std::uint64_t needed = frame_bytes * static_cast<std::uint64_t>(frames);
  Uint8* data = nullptr;
  if (pixels->getUint8Array(data).bad() || data == nullptr) return Refuse("Pixel Data cannot be read");
  const std::uint64_t length = pixels->getLength();
  if (length < needed) {
    return Refuse("Pixel Data holds " + std::to_string(length) + " bytes where Rows x Columns x Samples per Pixel x " +
                  "Number of Frames needs " + std::to_string(needed));
  }
  for (const deid::PixelRegion& r : regions) {
    if (r.x < 0 || r.y < 0 || r.width < 1 || r.height < 1 || r.x + r.width > columns || r.y + r.height > rows) {
      return InternalError("a burned-in text region lies outside the image matrix");  // validation prevents it
    }
  }
  // Each row of a region is one run of bytes (per plane when planar).
  const std::uint64_t planes = planar == 1 ? samples : 1;
  const std::uint64_t pixel_bytes = (planar == 1 ? 1 : samples) * bytes_per_sample;
  const std::uint64_t plane_bytes = std::uint64_t{rows} * columns * pixel_bytes;
  for (long f = 0; f < frames; ++f) {
    for (std::uint64_t p = 0; p < planes; ++p) {
      Uint8* plane = data + static_cast<std::uint64_t>(f) * frame_bytes + p * plane_bytes;
      for (const deid::PixelRegion& r : regions) {
        for (int y = r.y; y < r.y + r.height; ++y) {
          std::uint64_t offset = (std::uint64_t(y) * columns + static_cast<std::uint64_t>(r.x)) * pixel_bytes;
          std::memset(plane + offset, 0, static_cast<std::size_t>(r.width) * pixel_bytes);
        }
      }
    }
  }
  return Status::Ok();
}

Result<deid::SampleBits> ReadSampleBits(DcmDataset* ds) {
  Uint16 allocated = 0, stored = 0, high_bit = 0, representation = 0;
  if (FindPixelData(ds) == nullptr || ds->findAndGetUint16(DCM_BitsAllocated, allocated).bad() ||
      ds->findAndGetUint16(DCM_BitsStored, stored).bad() || (allocated != 8 && allocated != 16 && allocated != 32)) {
    return deid::SampleBits{};  // nothing the agent reads as samples
  }
  if (ds->findAndGetUint16(DCM_HighBit, high_bit).bad()) high_bit = static_cast<Uint16>(stored - 1);
  if (ds->findAndGetUint16(DCM_PixelRepresentation, representation).bad()) representation = 0;
  deid::SampleBits bits{allocated, stored, high_bit, representation == 1};
  ONCOATLAS_RETURN_IF_ERROR(bits.Validate());
  return bits;
}

Status ClearUnusedPixelBits(DcmDataset* ds, const deid::SampleBits& bits, E_TransferSyntax* xfer) {
  if (!bits.HasUnusedBits()) return Status::Ok();
  DcmPixelData* pixels = FindPixelData(ds);
  if (pixels == nullptr) return Status::Ok();
  if (DcmXfer(*xfer).isEncapsulated()) {
    // A JPEG stream of no more precision than Bits Stored cannot set higher
    // bits; RLE and deeper JPEG streams are decoded to be cleared.
    const bool rle = *xfer == EXS_RLELossless;
    Result<int> precision = CheckJpegHeader(pixels, *xfer);
    if (!precision.ok()) return precision.status();
    if (!rle && (*precision == 0 || *precision <= bits.stored)) return Status::Ok();
    ONCOATLAS_RETURN_IF_ERROR(DecodePixelData(ds, xfer));
  }
  Uint8* data = nullptr;
  if (pixels->getUint8Array(data).bad() || data == nullptr) return Status::Ok();  // an empty Pixel Data
  deid::ClearUnusedBits(bits, std::span<std::uint8_t>(data, pixels->getLength()));
  return Status::Ok();
}

}  // namespace oncoatlas::dicom
