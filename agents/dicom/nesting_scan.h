// A structural pre-scan of a DICOM file's bytes that measures sequence nesting
// without recursion, so that a hostile file cannot exhaust the stack of the
// recursive parser that reads it next. It reads only tags, VRs and lengths; it
// does not validate (the parser does). Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace oncoatlas::dicom {

struct StructureScan {
  int max_depth = 0;  // the deepest sequence nesting found (0: no sequences)
  // Top-level attributes must come in ascending tag order; the first one that
  // does not (e.g. trailing zero padding read as tag (0000,0000)) is reported.
  bool out_of_order = false;
  std::size_t out_of_order_offset = 0;
  // An attribute or item whose defined length runs past the end of the bytes
  // (a truncated file, or noise read as a length): reported before any parser
  // allocates a buffer of that length.
  bool truncated = false;
  std::size_t truncated_offset = 0;
  bool deflated = false;  // the data set is deflated: the scan stopped in the meta information
  // Where the meta information ends by its group length (0: none seen).
  std::uint64_t meta_end = 0;
  // With stop_at_pixel_data: the top-level Pixel Data (7FE0,0010), where the scan stopped.
  struct PixelData {
    bool found = false;
    std::size_t offset = 0;        // its tag
    std::size_t value_offset = 0;  // its value
    std::uint32_t length = 0;      // as declared (0xFFFFFFFF: undefined, i.e. encapsulated)
    bool explicit_vr = true;       // the data set's encoding
    bool big_endian = false;
    std::string vr;  // as written (explicit VR only)
  } pixel_data;
};

// Scans until the end, until the depth exceeds `stop_above`, until the first
// top-level attribute out of order, or (with `stop_at_pixel_data`) until the
// header of the top-level Pixel Data, whose value it does not need to see.
StructureScan ScanStructure(std::string_view file_bytes, int stop_above, bool stop_at_pixel_data = false);

// ScanStructure(...).max_depth.
int MaxSequenceNesting(std::string_view file_bytes, int stop_above);

}  // namespace oncoatlas::dicom
