// MIME multipart bodies (RFC 2046) as DICOMweb uses them: WADO-RS answers and
// STOW-RS requests are multipart/related; type="application/dicom". Pure
// functions on strings; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace oncoatlas::dicomweb {

// The parameters of a Content-Type value, names in lower case, values
// unquoted; "" holds the media type itself, lower case, e.g.
// {"": "multipart/related", "type": "application/dicom", "boundary": "xyz"}.
Result<std::map<std::string, std::string>> ParseContentType(const std::string& content_type);

struct MultipartPart {
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// Splits a multipart body using the boundary from `content_type`. Accepts a
// preamble and epilogue, transport padding after delimiters and bare LF line
// ends; fails (naming what is wrong) when the content type is not multipart or
// has no boundary, or the body lacks its closing delimiter (a truncated answer).
Result<std::vector<MultipartPart>> ParseMultipart(const std::string& content_type, std::string_view body);

// A boundary that does not occur in any of `parts` (deterministic).
std::string ChooseBoundary(const std::vector<std::string_view>& parts);
// multipart/related body of `parts`, each with `part_type` as its Content-Type.
std::string MakeMultipart(const std::string& boundary, const std::string& part_type,
                          const std::vector<std::string_view>& parts);

}  // namespace oncoatlas::dicomweb
