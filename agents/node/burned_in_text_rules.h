// Clean Pixel Data's burned-in text rules from the API's shape (a Dataset's
// spec.deidentification.burnedInTextRegions, or a YAML/JSON file of that same
// list for `oncoatlas-agent deidentify --burned-in-text-regions`) to the
// profile's. Stateless; safe from any thread. Geometry is checked by
// deid::ProfileOptions::Validate(), not here.
#pragma once

#include <string>
#include <vector>

#include "api/dataset.h"
#include "core/status.h"
#include "deid/profile.h"

namespace oncoatlas::agent {

// Fails when a number does not fit an int (the CRD bounds them to 0..65535).
Result<std::vector<deid::BurnedInTextRule>> BurnedInTextRulesFromApi(
    const std::vector<api::BurnedInTextRegion>& regions);

// Reads a YAML or JSON file holding a list shaped like burnedInTextRegions.
// Errors name the file, the entry and the field.
Result<std::vector<deid::BurnedInTextRule>> LoadBurnedInTextRegionsFile(const std::string& path);

}  // namespace oncoatlas::agent
