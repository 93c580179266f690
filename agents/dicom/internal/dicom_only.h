// Included first by every header of agents/dicom/internal/. Those headers
// expose DCMTK types and are for agents/dicom/ alone: the oncoatlas_dicom
// target defines ONCOATLAS_DICOM_INTERNAL privately (the tests of the
// internals get it from oncoatlas_dicom_internal), so any other target that
// includes one fails to compile here. No declarations; nothing to share.
#pragma once

#ifndef ONCOATLAS_DICOM_INTERNAL
#error "agents/dicom/internal/ is private to agents/dicom/ (its headers expose DCMTK types)"
#endif
