// Shifting DICOM dates by whole days (Retain Longitudinal Modified Dates).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace oncoatlas::deid {

// "YYYYMMDD" plus `days`; fails on anything that is not a valid calendar date.
Result<std::string> ShiftDate(std::string_view da, int days);

// A DT value ("YYYYMMDD[HHMMSS[.F]][&ZZXX]"): its date part shifted, the rest kept.
// A DT with only a year or a year and month cannot be shifted by days and fails.
Result<std::string> ShiftDateTime(std::string_view dt, int days);

}  // namespace oncoatlas::deid
