// Covers(actual, desired): whether an object read from the API server already
// holds everything a server-side apply of `desired` would set, so the apply
// can be skipped (no write when nothing changed). Objects: every key of
// `desired` is in `actual` and covered; arrays: same length, covered element
// by element; scalars: equal. Fields the server adds (defaults, status,
// metadata) do not matter. Pure; safe from any thread.
#pragma once

#include <nlohmann/json.hpp>

namespace oncoatlas::datanode {

bool Covers(const nlohmann::json& actual, const nlohmann::json& desired);

}  // namespace oncoatlas::datanode
