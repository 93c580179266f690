// Clean Recognizable Visual Features (PS3.15 E.3.2) for DCMTK data sets: which
// images are defaced, the coarse copy of an image the face is located from
// (deid/face_region.h), and the blanking of the face. Part of agents/dicom/,
// the only layer that includes DCMTK. Stateless; thread-safe on distinct data
// sets once RegisterPixelDecoders() has returned.
#pragma once

#include "dicom/internal/dicom_only.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include "core/status.h"
#include "deid/face_region.h"

class DcmDataset;

namespace oncoatlas::dicom {

// Whether the image must be defaced when the option is applied: Recognizable
// Visual Features (0028,0302) is YES, or it is absent on a CT, MR or PT image
// whose Body Part Examined is of the head (HEAD, BRAIN, SKULL, HEADNECK, FACE,
// ORBIT). An explicit NO is trusted, as the image's maker states it.
bool NeedsDefacing(DcmDataset* ds);

// Whether the image is CT (Hounsfield units after rescale).
bool IsCt(DcmDataset* ds);

// The image's plane and every SamplingStep()-th pixel in the modality's units.
// Encapsulated Pixel Data is decoded first (`*xfer` may become Explicit VR
// Little Endian). A single-frame, one-sample image of 8 or 16 bits allocated
// with Image Position and Orientation (Patient) and Pixel Spacing is needed;
// anything else is a FailedPrecondition naming what is missing.
Result<deid::SampledImage> SampleImage(DcmDataset* ds, E_TransferSyntax* xfer);

// Sets every pixel whose centre lies inside `region` to region.air_value
// (converted to a stored value with the image's rescale, clamped to the
// stored range). Same requirements as SampleImage().
Status BlankFace(DcmDataset* ds, const deid::FaceRegion& region, E_TransferSyntax* xfer);

}  // namespace oncoatlas::dicom
