// Matching objects' labels against a metav1.LabelSelector (matchLabels and
// matchExpressions with In, NotIn, Exists, DoesNotExist), as the API server
// does. Pure functions; safe from any thread.
#pragma once

#include <nlohmann/json.hpp>

namespace oncoatlas::op {

// Whether `object`'s metadata.labels satisfy `selector`. A selector without a
// requirement (no matchLabels entry and no matchExpressions; the CRD refuses
// it) matches nothing, unlike the API server's, so one grant can never cover
// every Dataset; so does a malformed one (an unknown operator, In or NotIn
// without values, Exists or DoesNotExist with values).
bool SelectorMatches(const nlohmann::json& selector, const nlohmann::json& object);

}  // namespace oncoatlas::op
