#include "dicom/internal/defacer.h"

#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>

#include "dicom/internal/attribute_text.h"
#include "dicom/internal/pixel_cleaner.h"

namespace oncoatlas::dicom {
namespace {

// The image's pixels as the defacer reads and writes them.
struct Pixels {
  deid::ImagePlane plane;
  int bits_allocated = 0;
  int bits_stored = 0;
  bool is_signed = false;
  double slope = 1, intercept = 0;
  Uint8* bytes = nullptr;   // 8 bits allocated
  Uint16* words = nullptr;  // 16 bits allocated, host byte order

  long Stored(std::size_t i) const {
    long raw = bits_allocated == 8 ? bytes[i] : words[i];
    const long mask = (1L << bits_stored) - 1;
    raw &= mask;
    if (is_signed && (raw & (1L << (bits_stored - 1))) != 0) raw -= (1L << bits_stored);
    return raw;
  }
  double Value(std::size_t i) const { return static_cast<double>(Stored(i)) * slope + intercept; }
  void Store(std::size_t i, long stored) const {
    if (bits_allocated == 8) {
      bytes[i] = static_cast<Uint8>(stored & 0xFF);
    } else {
      words[i] = static_cast<Uint16>(stored & 0xFFFF);
    }
  }
  long StoredFor(double value) const {
    const long lo = is_signed ? -(1L << (bits_stored - 1)) : 0;
    const long hi = is_signed ? (1L << (bits_stored - 1)) - 1 : (1L << bits_stored) - 1;
    const double stored = std::round((value - intercept) / slope);
    if (!(stored > static_cast<double>(lo))) return lo;  // also NaN
    if (stored > static_cast<double>(hi)) return hi;
    return static_cast<long>(stored);
  }
};

bool Finite(double v) { return std::isfinite(v); }

Result<Pixels> OpenPixels(DcmDataset* ds, E_TransferSyntax* xfer) {
  Pixels p;
  double ipp[3], iop[6], spacing[2];
  for (int i = 0; i < 3; ++i) {
    Float64 v = 0;
    if (ds->findAndGetFloat64(DCM_ImagePositionPatient, v, static_cast<unsigned long>(i)).bad() || !Finite(v)) {
      return deid::CannotDeface("Image Position (Patient) (0020,0032) is missing or malformed");
    }
    ipp[i] = v;
  }
  for (int i = 0; i < 6; ++i) {
    Float64 v = 0;
    if (ds->findAndGetFloat64(DCM_ImageOrientationPatient, v, static_cast<unsigned long>(i)).bad() || !Finite(v)) {
      return deid::CannotDeface("Image Orientation (Patient) (0020,0037) is missing or malformed");
    }
    iop[i] = v;
  }
  for (int i = 0; i < 2; ++i) {
    Float64 v = 0;
    if (ds->findAndGetFloat64(DCM_PixelSpacing, v, static_cast<unsigned long>(i)).bad() || !Finite(v) || v <= 0 ||
        v > 100) {
      return deid::CannotDeface("Pixel Spacing (0028,0030) is missing or malformed");
    }
    spacing[i] = v;
  }
  p.plane.position = {ipp[0], ipp[1], ipp[2]};
  p.plane.row_direction = {iop[0], iop[1], iop[2]};
  p.plane.column_direction = {iop[3], iop[4], iop[5]};
  auto norm = [](const deid::Vec3& v) { return std::sqrt(v.x * v.x + v.y * v.y + v.z * v.z); };
  const deid::Vec3& a = p.plane.row_direction;
  const deid::Vec3& b = p.plane.column_direction;
  if (std::abs(norm(a) - 1) > 0.01 || std::abs(norm(b) - 1) > 0.01 ||
      std::abs(a.x * b.x + a.y * b.y + a.z * b.z) > 0.01) {
    return deid::CannotDeface("Image Orientation (Patient) (0020,0037) is not two perpendicular unit vectors");
  }
  p.plane.row_spacing = spacing[0];
  p.plane.column_spacing = spacing[1];

  Uint16 rows = 0, columns = 0, allocated = 0, stored = 0, representation = 0, samples = 1;
  if (ds->findAndGetUint16(DCM_Rows, rows).bad() || ds->findAndGetUint16(DCM_Columns, columns).bad() || rows == 0 ||
      columns == 0) {
    return deid::CannotDeface("Rows or Columns is missing or 0");
  }
  p.plane.rows = rows;
  p.plane.columns = columns;
  if (ds->findAndGetUint16(DCM_SamplesPerPixel, samples).bad()) samples = 1;
  const std::string photometric = AttributeText(ds, DCM_PhotometricInterpretation);
  if (samples != 1 || (photometric != "MONOCHROME1" && photometric != "MONOCHROME2")) {
    return deid::CannotDeface("the image is not greyscale (Samples per Pixel 1, MONOCHROME1 or MONOCHROME2)");
  }
  const std::string frames = AttributeText(ds, DCM_NumberOfFrames);
  if (!frames.empty() && frames != "1") {
    return deid::CannotDeface("the image is multi-frame (Number of Frames " + frames +
                              "); only stacks of single images are defaced");
  }
  if (ds->findAndGetUint16(DCM_BitsAllocated, allocated).bad() || (allocated != 8 && allocated != 16)) {
    return deid::CannotDeface("Bits Allocated is not 8 or 16");
  }
  if (ds->findAndGetUint16(DCM_BitsStored, stored).bad() || stored == 0 || stored > allocated) stored = allocated;
  if (ds->findAndGetUint16(DCM_PixelRepresentation, representation).bad()) representation = 0;
  p.bits_allocated = allocated;
  p.bits_stored = stored;
  p.is_signed = representation == 1;
  Float64 slope = 1, intercept = 0;
  if (ds->findAndGetFloat64(DCM_RescaleSlope, slope).bad() || !Finite(slope) || slope == 0) slope = 1;
  if (ds->findAndGetFloat64(DCM_RescaleIntercept, intercept).bad() || !Finite(intercept)) intercept = 0;
  p.slope = slope;
  p.intercept = intercept;

  if (allocated == 8 && (*xfer == EXS_BigEndianExplicit || *xfer == EXS_BigEndianImplicit)) {
    return deid::CannotDeface("8-bit Pixel Data in a big endian transfer syntax");
  }
  if (Status decoded = DecodePixelData(ds, xfer); !decoded.ok()) return deid::CannotDeface(decoded.message());
  DcmPixelData* pixel_data = FindPixelData(ds);
  if (pixel_data == nullptr) return deid::CannotDeface("the image has no readable Pixel Data (7FE0,0010)");
  const std::uint64_t count = std::uint64_t{rows} * columns;
  const std::uint64_t length = pixel_data->getLength();
  if (length < count * (allocated / 8u)) {
    return deid::CannotDeface("Pixel Data holds " + std::to_string(length) + " bytes, fewer than Rows x Columns needs");
  }
  if (allocated == 8) {
    if (pixel_data->getUint8Array(p.bytes).bad() || p.bytes == nullptr)
      return deid::CannotDeface("Pixel Data cannot be read");
  } else if (pixel_data->getUint16Array(p.words).bad() || p.words == nullptr) {
    return deid::CannotDeface("Pixel Data cannot be read");
  }
  return p;
}

}  // namespace

bool NeedsDefacing(DcmDataset* ds) {
  const std::string flag = AttributeText(ds, DCM_RecognizableVisualFeatures);
  if (flag == "YES") return true;
  if (!flag.empty()) return false;
  static const std::set<std::string> kModalities = {"CT", "MR", "PT"};
  static const std::set<std::string> kHead = {"HEAD", "BRAIN", "SKULL", "HEADNECK", "FACE", "ORBIT"};
  return ds->tagExists(DCM_PixelData) && kModalities.count(AttributeText(ds, DCM_Modality)) > 0 &&
         kHead.count(AttributeText(ds, DCM_BodyPartExamined)) > 0;
}

bool IsCt(DcmDataset* ds) { return AttributeText(ds, DCM_Modality) == "CT"; }

Result<deid::SampledImage> SampleImage(DcmDataset* ds, E_TransferSyntax* xfer) {
  auto pixels = OpenPixels(ds, xfer);
  if (!pixels.ok()) return pixels.status();
  const Pixels& p = *pixels;
  deid::SampledImage image;
  image.plane = p.plane;
  image.step = deid::SamplingStep(p.plane.rows, p.plane.columns, p.plane.row_spacing, p.plane.column_spacing);
  image.sampled_rows = (p.plane.rows + image.step - 1) / image.step;
  image.sampled_columns = (p.plane.columns + image.step - 1) / image.step;
  image.values.reserve(static_cast<std::size_t>(image.sampled_rows) * image.sampled_columns);
  for (int r = 0; r < p.plane.rows; r += image.step) {
    for (int c = 0; c < p.plane.columns; c += image.step) {
      image.values.push_back(static_cast<float>(p.Value(static_cast<std::size_t>(r) * p.plane.columns + c)));
    }
  }
  return image;
}

Status BlankFace(DcmDataset* ds, const deid::FaceRegion& region, E_TransferSyntax* xfer) {
  auto pixels = OpenPixels(ds, xfer);
  if (!pixels.ok()) return pixels.status();
  const Pixels& p = *pixels;
  const long air = p.StoredFor(region.air_value);
  for (int r = 0; r < p.plane.rows; ++r) {
    for (int c = 0; c < p.plane.columns; ++c) {
      if (region.Contains(p.plane.PixelCentre(r, c))) p.Store(static_cast<std::size_t>(r) * p.plane.columns + c, air);
    }
  }
  return Status::Ok();
}

}  // namespace oncoatlas::dicom
