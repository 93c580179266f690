// Finding the face in a head volume, for Clean Recognizable Visual Features
// (PS3.15 E.3.2): pure geometry on a coarse copy of a series, free of any DICOM
// library (agents/dicom/internal/defacer.* reads and writes the pixels).
//
// The rule, in patient coordinates (PS3.3 C.7.6.2.1.1: +x left, +y posterior,
// +z superior), so it holds for axial, sagittal or coronal stacks, prone or
// supine, head or feet first:
//  1. Tissue is what lies above a threshold (CT: -400 HU; MR and others: Otsu's
//     threshold of the sampled values). The head is the largest connected
//     piece of tissue after a 1-sample in-plane erosion, which parts it from a
//     patient table or head holder that touches it.
//  2. The vertex is the head's highest point; it must lie inside the volume
//     (a series whose top cuts through the head cannot be placed and is
//     refused, never passed on uncleaned).
//  3. The brow level is kBrowBelowVertexMm below the vertex; the front of the
//     head there is its most anterior point within 5 mm of that level.
//  4. Removed: every point anterior to a plane that passes kSkinMarginMm behind
//     that front at brow level and leans back kShearSlope mm per mm downwards.
//     Above the brow it leaves the forehead; below it takes the eyes, nose,
//     lips, chin and the front of the jaw and neck; the ears and the brain of
//     an adult head stay (the constants are adult proportions: vertex to
//     glabella about 95-100 mm, brain 20-30 mm behind the skin at the brow).
// Limits: no anatomical model (no registration to an atlas); a head pitched
// far forward or a small child's head may keep part of the face. A series
// whose images are not a stack of parallel planes of at least kMinImages is
// refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace oncoatlas::deid {

inline constexpr double kBrowBelowVertexMm = 90.0;
inline constexpr double kSkinMarginMm = 10.0;
inline constexpr double kShearSlope = 0.8;
inline constexpr double kCtTissueThresholdHu = -400.0;
inline constexpr double kCtAirHu = -1000.0;
inline constexpr std::size_t kMinImages = 10;
// The most samples a series may give (memory: about 9 bytes each while the
// face is located); a larger series is refused.
inline constexpr std::size_t kMaxSamples = std::size_t{32} << 20;

struct Vec3 {
  double x = 0, y = 0, z = 0;
};

// Where an image's pixels lie in patient coordinates.
struct ImagePlane {
  Vec3 position;              // Image Position (Patient): centre of the first pixel, mm
  Vec3 row_direction;         // Image Orientation (Patient) 1-3: along a row (column index grows)
  Vec3 column_direction;      // Image Orientation (Patient) 4-6: down a column (row index grows)
  double row_spacing = 0;     // Pixel Spacing 1: between the centres of adjacent rows, mm
  double column_spacing = 0;  // Pixel Spacing 2: between adjacent columns, mm
  int rows = 0;
  int columns = 0;

  Vec3 PixelCentre(double row, double column) const;
  Vec3 Normal() const;  // row_direction x column_direction
};

// An image sampled every `step` pixels in both directions; values in the
// modality's units (CT: Hounsfield units, after Rescale Slope and Intercept).
struct SampledImage {
  ImagePlane plane;
  int step = 1;
  int sampled_rows = 0;
  int sampled_columns = 0;
  std::vector<float> values;  // sampled_rows x sampled_columns, row by row
};

// The part of patient space that is blanked.
struct FaceRegion {
  double vertex_z = 0;      // the top of the head
  double brow_z = 0;        // vertex_z - kBrowBelowVertexMm
  double brow_front_y = 0;  // the front of the head at brow level
  double air_value = 0;     // what removed pixels become, in the modality's units

  bool Contains(const Vec3& p) const { return p.y < brow_front_y + kSkinMarginMm + kShearSlope * (brow_z - p.z); }
};

// The step for sampling an image so that samples are at least ~2 mm apart and
// at most 256 per side.
int SamplingStep(int rows, int columns, double row_spacing, double column_spacing);

// Otsu's threshold over every sampled value.
double OtsuThreshold(const std::vector<SampledImage>& images);

// The refusal of a series or image the defacer cannot clean: a
// FailedPrecondition "Recognizable Visual Features cannot be cleaned: <why>"
// (the prefix is what the Dataset status classifies as UncleanableVisualFeatures).
Status CannotDeface(const std::string& why);

// Why a series of `samples` samples (more than kMaxSamples) is refused.
std::string TooManySamples(std::size_t samples);

// Locates the face in the images of one series (any order). `tissue_threshold`
// in the images' units; `air_value` is copied into the region. An error (a
// FailedPrecondition whose message says why, never a patient value) means the
// series cannot be defaced and must be quarantined.
Result<FaceRegion> LocateFace(const std::vector<SampledImage>& images, double tissue_threshold, double air_value);

}  // namespace oncoatlas::deid
