// TokenSchedule: how long a DataNode agent's hub token lives and when the
// operator mints the next one. spec.agent.credentialRotationInterval (a Go
// duration, 1h..720h by the CRD) rotates every interval and lets each token
// live two intervals, so the previous token stays valid one more interval;
// without it, the operator's --agent-token-lifetime applies and the token is
// renewed at 2/3 of it. Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "api/datanode.h"
#include "core/status.h"

namespace oncoatlas::datanode {

struct TokenSchedule {
  std::chrono::seconds lifetime{3600};     // TokenRequest expirationSeconds
  std::chrono::seconds renew_after{2400};  // counted from the token's issue
};

// `default_lifetime` is the operator's flag; `renew_after_override` (tests)
// replaces the renewal point whatever the spec says. An unparsable interval
// (the CRD prevents it) is an InvalidArgument error naming the field.
Result<TokenSchedule> TokenScheduleFor(const api::DataNode& node, std::chrono::seconds default_lifetime,
                                       std::optional<std::chrono::seconds> renew_after_override = std::nullopt);

}  // namespace oncoatlas::datanode
