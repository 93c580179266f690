// Writes DICOM Part 10 files from a plain description of their attributes, so
// that code outside agents/dicom/ (the synthetic data generator, tests) can
// build files without DCMTK. Stateless; safe to call from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace oncoatlas::dicom {

struct Attribute {
  std::uint16_t group = 0;
  std::uint16_t element = 0;
  std::string vr;                             // two letters, e.g. "PN", "SQ", "OW"
  std::string value;                          // text for string VRs ("\\" separates values), raw bytes for OB/OW
  std::vector<std::vector<Attribute>> items;  // for SQ
};

// Writes `attributes` (their order does not matter) as Explicit VR Little Endian,
// with file meta information built from SOP Class/Instance UID. Creates parent folders.
Status WriteInstance(const std::vector<Attribute>& attributes, const std::filesystem::path& path);

}  // namespace oncoatlas::dicom
