// A structural pre-scan of a DICOM file's bytes that measures sequence nesting
// without recursion, so that a hostile file cannot exhaust the stack of the
// recursive parser that reads it next. It reads only tags, VRs and lengths; it
// does not validate (the parser does). Pure function; thread-safe.
#pragma once

#include <cstddef>
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
};

// Scans until the end, until the depth exceeds `stop_above`, or until the
// first top-level attribute out of order.
StructureScan ScanStructure(std::string_view file_bytes, int stop_above);

// ScanStructure(...).max_depth.
int MaxSequenceNesting(std::string_view file_bytes, int stop_above);

}  // namespace oncoatlas::dicom
