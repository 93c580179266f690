// A structural pre-scan of a DICOM file's bytes that measures sequence nesting
// without recursion, so that a hostile file cannot exhaust the stack of the
// recursive parser that reads it next. It reads only tags, VRs and lengths; it
// does not validate (the parser does). Pure function; thread-safe.
#pragma once

#include <string_view>

namespace oncoatlas::dicom {

// The deepest sequence nesting found (0: no sequences), scanning at most until
// the depth exceeds `stop_above`.
int MaxSequenceNesting(std::string_view file_bytes, int stop_above);

}  // namespace oncoatlas::dicom
