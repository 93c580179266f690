// The engine's entry point as the rest of the agent sees it, free of any DICOM
// library: bytes of one DICOM file in, bytes of its de-identified copy out, or
// an error whose message is the quarantine reason (never an identifying value).
// Implementations must be safe to call from several threads at once.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace oncoatlas::deid {

struct DeidentifiedInstance {
  std::string bytes;  // a complete Part 10 file: preamble, new file meta, data set
  // UIDs after de-identification (for the output layout and the index).
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string sop_instance_uid;
  // Facets for the index, read from the de-identified data set (so they hold
  // only what the profile kept: sex and age need Retain Patient
  // Characteristics, the year a date option), empty or 0 when absent.
  std::string patient_pseudonym;  // keyed pseudonym of the original Patient ID
  std::string modality;
  std::string body_part;
  std::string sex;       // M, F or O
  std::string age_band;  // decade, e.g. "40-49"; "90+" from 90 years
  int study_year = 0;
  std::string manufacturer;
};

class InstanceDeidentifier {
 public:
  virtual ~InstanceDeidentifier() = default;
  // Any non-OK status means: quarantine this input, for the status's message.
  virtual Result<DeidentifiedInstance> Deidentify(std::string_view file_bytes) const = 0;
};

}  // namespace oncoatlas::deid
