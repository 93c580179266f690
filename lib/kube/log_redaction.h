// RedactSecrets: removes credentials from text before it is logged. Every log
// line of the runtime's logger passes through it (see logging.h), so bearer
// tokens, Authorization headers, PEM blocks (private keys, also base64
// encoded as in kubeconfig *-data fields), JWTs and token/password/secret-like
// fields never reach a log. It errs on the side of redacting too much.
// A pure function: safe from any thread; linear in the input, never throws.
#pragma once

#include <string>
#include <string_view>

namespace oncoatlas::kube {

inline constexpr char kRedacted[] = "[REDACTED]";

std::string RedactSecrets(std::string_view text);

}  // namespace oncoatlas::kube
