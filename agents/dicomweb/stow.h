// STOW-RS: stores DICOM Part 10 files on a PACS (POST <root>/studies with a
// multipart/related; type="application/dicom" body). Thread-safe as the
// http::Client it uses.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/client.h"

namespace oncoatlas::dicomweb {

// Sends `instances` in one request. Fails unless the server accepted every
// one (HTTP 200 and no Failed SOP Sequence), naming the count refused.
Status StowInstances(const http::Client& http, const std::vector<std::string_view>& instances);

}  // namespace oncoatlas::dicomweb
