// Base64 (RFC 4648), the one encoder and decoder of OncoAtlas: Secret data,
// kubeconfig *-data fields, HTTP Basic credentials. Pure functions; safe from
// any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace oncoatlas {

// Standard base64 with padding.
std::string EncodeBase64(std::string_view in);

// Standard or URL-safe base64; white space is skipped and padding is optional.
// Any other character, data after padding, or a truncated last group is an
// InvalidArgument error (the message never quotes the input).
Result<std::string> DecodeBase64(std::string_view in);

}  // namespace oncoatlas
