// Matching objects' labels against a metav1.LabelSelector (matchLabels and
// matchExpressions with In, NotIn, Exists, DoesNotExist), as the API server
// does. Pure functions; safe from any thread.
#pragma once

#include <nlohmann/json.hpp>

namespace oncoatlas::op {

// Whether `object`'s metadata.labels satisfy `selector`. An empty selector
// matches everything; a malformed one (or an unknown operator) matches nothing.
bool SelectorMatches(const nlohmann::json& selector, const nlohmann::json& object);

}  // namespace oncoatlas::op
