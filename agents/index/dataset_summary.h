// Pure functions that turn what the index holds into what Dataset.status
// publishes: a content digest and facets with small-cell suppression.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "index/imaging_index.h"

namespace oncoatlas::agent {

// Merkle root over instance hashes (64 hex digits each). The hashes are
// sorted and de-duplicated first, so the root depends only on the set of
// stored objects: it changes exactly when the content does. Leaves are
// SHA-256(0x00 || hash), inner nodes SHA-256(0x01 || left || right); an odd
// node at the end of a level is carried up unchanged. The empty set's root is
// SHA-256 of the empty string. Returns "sha256:<hex>"; InvalidArgument names
// a malformed hash.
Result<std::string> MerkleRoot(std::vector<std::string> instance_hashes);

// Replaces every count below `minimum` (but above zero) by "<minimum", so no
// facet value singles out a small group of patients; counts at or above it
// are printed as numbers.
std::map<std::string, std::map<std::string, std::string>> SuppressSmallCells(const FacetCounts& facets,
                                                                             std::uint64_t minimum);

// "40-49" style age band from a DICOM Age String (e.g. "047Y"); "90+" for 90
// and over (PS3.15 E.1: ages over 89 are themselves identifying); "unknown"
// for anything unparseable or given in days, weeks or months (infants: "0-9").
std::string AgeBand(const std::string& dicom_age);

}  // namespace oncoatlas::agent
