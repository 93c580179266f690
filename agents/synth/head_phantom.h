// A synthetic head phantom for Clean Recognizable Visual Features (defacing):
// one CT or MR study of one series, axial or sagittal, of an adult head made
// of ellipsoids (cranium, skull, brain, jaw, neck, eyes, nose, lips, chin,
// ears), written through the study generator so that its headers carry the
// same planted identifying values as the generator's other studies
// (manifest.json). Recognizable Visual Features is YES.
//
// Geometry, in patient coordinates (LPS, mm): 128 x 128 images at 2 mm pixel
// spacing. Axial (Image Orientation (Patient) 1\0\0\0\1\0): pixel centres
// x = -127 + 2 * column, y = -127 + 2 * row; slices along z. Sagittal (MR,
// 0\1\0\0\0\-1): y = -127 + 2 * column, z = top_mm - 2 * row; slices along x.
//
// labels/<study>.json (HeadPhantomResult::label_file) holds, besides the
// generator's study, studyInstanceUid and modality:
//   "headPhantom": {
//     "orientation": "axial" | "sagittal",
//     "air": [lo, hi],          // stored air values after rescale (CT: HU, MR: raw)
//     "rescale": {"slope": 1, "intercept": -1024 | 0},
//     "features": [{"name": "nose", "kind": "face" | "brain" | "ear" | "head",
//                   "shape": "ellipsoid", "center": [x, y, z], "semiAxes": [a, b, c],
//                   "value": v}, ...]
//   }
// Feature values are after rescale (CT HU). Deterministic for a seed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/status.h"

namespace oncoatlas::synth {

struct HeadPhantomOptions {
  std::filesystem::path output;  // gets dicom/, labels/ and manifest.json
  std::string modality = "CT";   // "CT" or "MR"
  bool sagittal = false;         // MR only: a sagittal stack (slices along x)
  // The highest z imaged (mm): axial, no slice above it (default 120, the
  // vertex is at z = 100); sagittal, the z of the first image row (default 117).
  std::optional<double> top_mm;
  // Slice positions along the slice normal (z axial, x sagittal), inclusive.
  // Defaults: axial -200 to 120 every 3 mm; sagittal -96 to 96 every 3 mm.
  std::optional<double> first_slice_mm, last_slice_mm;
  double slice_spacing_mm = 3.0;
  bool table = true;                         // CT: patient table (y 110-125) and foam head holder
  bool recognizable_visual_features = true;  // false: (0028,0302) is left out
  std::uint64_t seed = 1;
};

struct HeadPhantomResult {
  std::string study;                 // "study0001"
  std::filesystem::path series_dir;  // output/dicom/study0001/series01
  std::filesystem::path label_file;  // output/labels/study0001.json
  int images = 0;
};

// Writes the phantom described by `options`. InvalidArgument for a modality
// other than CT or MR, a sagittal CT, or options that leave no slice.
Result<HeadPhantomResult> GenerateHeadPhantom(const HeadPhantomOptions& options);

}  // namespace oncoatlas::synth
