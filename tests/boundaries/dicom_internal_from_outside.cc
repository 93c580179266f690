// Must not compile: agents/dicom/internal/ is private to agents/dicom/ (the
// test include_boundary.dicom_internal builds this and expects the refusal).
#include "dicom/internal/dcmtk_encoding.h"
